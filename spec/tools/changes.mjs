// What changed between two upstream extracts, for the operations we use, in the terms a reviewer needs: operations,
// parameters, and the request and response fields of each, with the changes that break our client marked.
import diff from 'microdiff';
import { pointerParts } from './extract.mjs';

// The tunnel fields the client reads, in the single read and in the list (getIpsecTunnel's delivery facts among
// them).
const TUNNEL_FIELDS = [
  'id',
  'name',
  'description',
  'psk_metadata.last_generated_on',
  'customer_endpoint',
  'cloudflare_endpoint',
  'interface_address',
  'interface_address6',
  'custom_remote_identities.fqdn_id',
  'health_check.enabled',
  'replay_protection',
  'allow_null_cipher',
  'bgp_status.state',
];
// The response fields the client reads and the request fields it sends: removing one, or changing its type, breaks
// us. (Keep in step with packages/core/src/ops/.)
const CLIENT_USES = [
  'response result.psk',
  'response result.ipsec_tunnel_id',
  'response result.psk_metadata.last_generated_on',
  ...TUNNEL_FIELDS.map((field) => `response result.ipsec_tunnel.${field}`),
  ...TUNNEL_FIELDS.map((field) => `response result.ipsec_tunnels[].${field}`),
  'response result.successfully_applied_psks{}.psk',
  'response result.successfully_applied_psks{}.ipsec_id',
  'response result.successfully_applied_psks{}.psk_metadata.last_generated_on',
  'response result.unapplied_psks',
  'response success',
  'response errors',
  'response messages',
  'request psks',
  'request psks[].id',
  'request psks[].psk',
];
const SENT_PARAMETERS = ['path account_id', 'path ipsec_tunnel_id', 'query validate_only'];

function resolve(document, node) {
  let current = node;
  for (let hops = 0; current?.$ref && hops < 20; hops++) {
    current = pointerParts(current.$ref).reduce((value, part) => value?.[part], document);
  }
  return current;
}

/** A schema flattened to `prefix.field` → { type, required }, following references (to a sane depth). */
function flatten(document, schema, prefix, into, required = false, depth = 0) {
  const node = resolve(document, schema);
  if (!node || depth > 8) return into;
  const type = Array.isArray(node.type)
    ? node.type.join('|')
    : (node.type ?? (node.properties ? 'object' : 'any'));
  if (prefix) into[prefix] = { type, required };
  const join = (name) => (prefix ? `${prefix}.${name}` : name);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    flatten(document, child, join(name), into, (node.required ?? []).includes(name), depth + 1);
  }
  if (node.items) flatten(document, node.items, `${prefix}[]`, into, false, depth + 1);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    flatten(document, node.additionalProperties, `${prefix}{}`, into, false, depth + 1);
  }
  for (const part of node.allOf ?? []) flatten(document, part, prefix, into, required, depth + 1);
  return into;
}

/** One operation as the comparison sees it: where it is, its parameters and its fields. */
function describeOperation(document, path, method) {
  const item = document.paths[path];
  const operation = item[method];
  const parameters = {};
  for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
    const resolved = resolve(document, parameter);
    const schema = resolve(document, resolved.schema) ?? {};
    parameters[`${resolved.in} ${resolved.name}`] = {
      required: resolved.required === true,
      type: schema.type ?? 'any',
    };
  }
  const fields = {};
  const body = resolve(document, operation.requestBody);
  if (body) {
    fields.request = { required: body.required === true, type: 'body' };
    const schema = body.content?.['application/json']?.schema;
    for (const [name, value] of Object.entries(flatten(document, schema, '', {})))
      fields[`request ${name}`] = value;
  }
  const ok = resolve(document, operation.responses?.['200'])?.content?.['application/json']?.schema;
  for (const [name, value] of Object.entries(flatten(document, ok, '', {})))
    fields[`response ${name}`] = value;
  return { at: `${method.toUpperCase()} ${path}`, parameters, fields };
}

function operationsOf(extract, found) {
  return Object.fromEntries(
    Object.entries(found).map(([id, { path, method }]) => [id, describeOperation(extract, path, method)]),
  );
}

/** A change: what, where, and whether it breaks our client. */
function change(kind, operation, what, breaking) {
  return { kind, operation, what, breaking };
}

/**
 * Compares two extracts (with where each operation was found) and lists every change to operations, parameters and
 * fields, marking those that break the client, plus how many differences the extracts have in all (the rest are descriptions, examples and the like).
 */
export function compareExtracts(before, beforeFound, after, afterFound, operations) {
  const changes = [];
  const old = operationsOf(before, beforeFound);
  const now = operationsOf(after, afterFound);
  for (const id of operations) {
    const [was, is] = [old[id], now[id]];
    if (was && !is) changes.push(change('removed', id, `operation (was ${was.at})`, true));
    else if (!was && is) changes.push(change('added', id, `operation at ${is.at}`, false));
    if (!was || !is) continue;
    if (was.at !== is.at)
      changes.push(change('changed', id, `operation moved from ${was.at} to ${is.at}`, true));
    for (const entry of diff(was.parameters, is.parameters)) {
      const name = entry.path[0];
      const parameter = `parameter ${name}`;
      if (entry.type === 'CREATE' && entry.path.length === 1) {
        changes.push(
          change(
            'added',
            id,
            `${parameter}${entry.value.required ? ' (required)' : ''}`,
            entry.value.required,
          ),
        );
      } else if (entry.type === 'REMOVE' && entry.path.length === 1) {
        changes.push(change('removed', id, parameter, SENT_PARAMETERS.includes(name)));
      } else {
        const property = entry.path[1];
        const breaking = property === 'type' || (property === 'required' && entry.value === true);
        changes.push(
          change('changed', id, `${parameter}: ${property} ${entry.oldValue} → ${entry.value}`, breaking),
        );
      }
    }
    for (const entry of diff(was.fields, is.fields)) {
      const name = entry.path[0];
      const field = name === 'request' ? 'request body' : `field ${name}`;
      const used = CLIENT_USES.includes(name);
      if (entry.type === 'CREATE' && entry.path.length === 1) {
        const newlyRequired = name.startsWith('request') && entry.value.required;
        changes.push(
          change('added', id, `${field}${entry.value.required ? ' (required)' : ''}`, newlyRequired),
        );
      } else if (entry.type === 'REMOVE' && entry.path.length === 1) {
        changes.push(change('removed', id, field, used));
      } else {
        const property = entry.path[1];
        const breaking =
          (property === 'type' && used) ||
          (property === 'required' && entry.value === true && name.startsWith('request'));
        changes.push(
          change('changed', id, `${field}: ${property} ${entry.oldValue} → ${entry.value}`, breaking),
        );
      }
    }
  }
  return { changes, differences: diff(before, after).length };
}
