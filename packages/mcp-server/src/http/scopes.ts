import { SCOPES, type Scope } from './bearer-tokens.js';

// Calls that change nothing at Cloudflare: listing, asking about health, and the validate-only form of the rotation
// tools.
const READ_ONLY_TOOLS = new Set(['list_ipsec_tunnels', 'check_ipsec_tunnel_health']);
const ROTATION_TOOLS = new Set(['generate_ipsec_psk', 'rotate_ipsec_psks']);

/**
 * The scope one JSON-RPC message needs. Everything that can lead to a rotation needs `psk:rotate`: a real call,
 * a confirmation token, and every call of the confirmation panel (whose answer rotates). Anything else — the
 * session's own requests, listing, validate-only calls — needs `psk:validate`. Unknown tools need `psk:rotate`:
 * a new tool is not read-only until it is listed here.
 */
export function requiredScope(message: unknown): Scope {
  const { method, params } = (message ?? {}) as {
    method?: unknown;
    params?: { name?: unknown; arguments?: unknown };
  };
  if (method !== 'tools/call') return SCOPES.validate;
  const name = params?.name;
  const args = (params?.arguments ?? {}) as { validate_only?: unknown; confirmation_token?: unknown };
  if (typeof name === 'string' && READ_ONLY_TOOLS.has(name)) return SCOPES.validate;
  if (typeof name === 'string' && ROTATION_TOOLS.has(name)) {
    return args.validate_only === true && args.confirmation_token === undefined
      ? SCOPES.validate
      : SCOPES.rotate;
  }
  return SCOPES.rotate;
}
