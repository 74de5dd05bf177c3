// The part of Cloudflare's official OpenAPI document that we use: our operations, found by operationId wherever
// they sit, every component they reference (transitively), the security schemes they name, and the top-level
// fields. Keys are sorted, so two copies of the document that differ only in key order give the same extract.
// What we walk of the document is bounded (nesting) and what it refers to must be a component within it; anything
// else is a Refusal (refusal.mjs), found before anything is written.
import { MAX_DEPTH, Refusal, shown } from './refusal.mjs';

/** The operations the project uses, by Cloudflare's operationId. */
export const OPERATIONS = [
  'magic-ipsec-tunnels-list-ipsec-tunnels',
  'magic-ipsec-tunnels-list-ipsec-tunnel-details',
  'magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels',
  'magic-ipsec-tunnels-set-pre-shared-keys-for-ipsec-tunnels',
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TOP_LEVEL_ORDER = ['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components'];
// The kinds of component OpenAPI 3.0 and 3.1 define.
const COMPONENT_KINDS = [
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
  'pathItems',
];

// Recursive, but only ever over the extract, whose nesting refsIn has bounded.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

/**
 * The `$ref`s in `value`, each with where it was first found (`where`), walked without recursion. The walk is
 * bounded: nesting deeper than MAX_DEPTH is refused, which also ends a YAML alias that contains itself.
 */
function refsIn(value, where, found = new Map()) {
  const stack = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_DEPTH) throw new Refusal(`${where} nests deeper than ${MAX_DEPTH} levels`);
    for (const [key, child] of Object.entries(node)) {
      if (key === '$ref' && typeof child === 'string') {
        if (!found.has(child)) found.set(child, where);
      } else stack.push([child, depth + 1]);
    }
  }
  return found;
}

/** The keys a local JSON pointer (`#/a/b~1c`) walks, unescaped. */
export function pointerParts(ref) {
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

const pointerPart = (key) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The component a reference names, found in the document. Only references within the document are followed (a
 * remote one, or another file's, would be fetched by nobody, and must not be), and only to a component of a kind
 * OpenAPI has: the extract keeps components by kind, and no key from the document (`__proto__`) may become one
 * that changes what we build.
 */
function resolveComponent(document, ref, where) {
  const named = `$ref ${shown(ref)} in ${where}`;
  if (!ref.startsWith('#/')) {
    throw new Refusal(`${named} points outside the document; only references within it are followed`);
  }
  const parts = pointerParts(ref);
  const [section, kind, name] = parts;
  if (section !== 'components' || parts.length !== 3 || !COMPONENT_KINDS.includes(kind)) {
    throw new Refusal(`${named} does not name a component (#/components/<kind>/<name>)`);
  }
  let node = document;
  for (const part of parts) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) {
      throw new Refusal(`${named} does not resolve in the document`);
    }
    node = node[part];
  }
  return { kind, name, node };
}

/** A list of security requirements (objects naming schemes), as OpenAPI has them, of `owner`. */
function requirements(value, owner) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== 'object')) {
    throw new Refusal(`the security of ${owner} is not a list of requirements (${shown(value)})`);
  }
  return value;
}

/**
 * Extracts our operations from `document`. Returns the extract and, for each operation, where it was found
 * (`path`, `method`); an operation that is missing is listed in `missing`.
 */
export function extract(document, operations = OPERATIONS) {
  // Keyed by the document's own strings (a path may be `__proto__`): objects without a prototype to reach.
  const paths = Object.create(null);
  const found = {};
  const refs = new Map();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (!operation || !operations.includes(operation.operationId)) continue;
      if (!paths[path]) {
        paths[path] = Object.create(null);
        if (item.parameters) {
          paths[path].parameters = item.parameters;
          refsIn(item.parameters, `the parameters of path ${shown(path)}`, refs);
        }
      }
      paths[path][method] = operation;
      found[operation.operationId] = { path, method };
      refsIn(operation, `operation ${operation.operationId}`, refs);
    }
  }

  const components = Object.create(null);
  const queue = [...refs];
  const security = requirements(document.security, 'the document');
  // The top-level fields we copy are walked too, for their nesting only: references there are not ours to follow.
  for (const field of ['info', 'servers', 'security']) refsIn(document[field], field, new Map());
  // The schemes our operations name (each of them declares its own security).
  const schemes = new Set(
    Object.values(paths)
      .flatMap((item) =>
        METHODS.flatMap((method) =>
          item[method] ? requirements(item[method].security, `operation ${item[method].operationId}`) : [],
        ),
      )
      .flatMap((requirement) => Object.keys(requirement)),
  );
  for (const scheme of schemes) {
    if (Object.hasOwn(document.components?.securitySchemes ?? {}, scheme)) {
      queue.push([`#/components/securitySchemes/${pointerPart(scheme)}`, `security scheme ${shown(scheme)}`]);
    }
  }
  const seen = new Set();
  while (queue.length > 0) {
    const [ref, where] = queue.shift();
    if (seen.has(ref)) continue;
    seen.add(ref);
    const { kind, name, node } = resolveComponent(document, ref, where);
    components[kind] ??= Object.create(null);
    components[kind][name] = node;
    queue.push(...refsIn(node, ref));
  }

  const top = {
    openapi: document.openapi,
    info: document.info,
    servers: document.servers,
    // Only the requirements whose schemes came along: the others name schemes we do not extract.
    security: security.filter((requirement) =>
      Object.keys(requirement).every((scheme) => schemes.has(scheme)),
    ),
    paths,
    components,
  };
  const sorted = sortKeys(top);
  const ordered = Object.fromEntries(
    TOP_LEVEL_ORDER.filter((key) => sorted[key] !== undefined).map((key) => [key, sorted[key]]),
  );
  return { extract: ordered, found, missing: operations.filter((id) => !found[id]) };
}
