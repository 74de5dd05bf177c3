// The part of Cloudflare's official OpenAPI document that we use: our operations, found by operationId wherever
// they sit, every component they reference (transitively), the security schemes they name, and the top-level
// fields. Keys are sorted, so two copies of the document that differ only in key order give the same extract.

/** The operations the project uses, by Cloudflare's operationId. */
export const OPERATIONS = [
  'magic-ipsec-tunnels-list-ipsec-tunnels',
  'magic-ipsec-tunnels-list-ipsec-tunnel-details',
  'magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels',
  'magic-ipsec-tunnels-set-pre-shared-keys-for-ipsec-tunnels',
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TOP_LEVEL_ORDER = ['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components'];

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

function refsIn(value, found = new Set()) {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.add(child);
      else refsIn(child, found);
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

function resolvePointer(document, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local references are supported, found ${ref}`);
  const parts = pointerParts(ref);
  let node = document;
  for (const part of parts) {
    node = node?.[part];
    if (node === undefined) throw new Error(`${ref} does not resolve in the document`);
  }
  return { parts, node };
}

/**
 * Extracts our operations from `document`. Returns the extract and, for each operation, where it was found
 * (`path`, `method`); an operation that is missing is listed in `missing`.
 */
export function extract(document, operations = OPERATIONS) {
  const paths = {};
  const found = {};
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (!operation || !operations.includes(operation.operationId)) continue;
      paths[path] ??= item.parameters ? { parameters: item.parameters } : {};
      paths[path][method] = operation;
      found[operation.operationId] = { path, method };
    }
  }

  const components = {};
  const queue = [...refsIn(paths)];
  const security = document.security ?? [];
  // The schemes our operations name (each of them declares its own security).
  const schemes = new Set(
    Object.values(paths)
      .flatMap((item) => METHODS.flatMap((method) => item[method]?.security ?? []))
      .flatMap((requirement) => Object.keys(requirement)),
  );
  for (const scheme of schemes) {
    if (document.components?.securitySchemes?.[scheme]) queue.push(`#/components/securitySchemes/${scheme}`);
  }
  const seen = new Set();
  while (queue.length > 0) {
    const ref = queue.shift();
    if (seen.has(ref)) continue;
    seen.add(ref);
    const { parts, node } = resolvePointer(document, ref);
    const [section, kind, name] = parts;
    if (section !== 'components' || parts.length !== 3) throw new Error(`unexpected reference ${ref}`);
    components[kind] ??= {};
    components[kind][name] = node;
    queue.push(...refsIn(node));
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
