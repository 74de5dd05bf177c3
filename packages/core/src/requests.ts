import { createFinalURL, createQuerySerializer, defaultPathSerializer } from 'openapi-fetch';
import type { components, operations, paths } from './generated/openapi.js';
import type { Send } from './transport.js';

// The requests of our two operations, typed by the generated spec and addressed by openapi-fetch's own URL
// builder (so they are built exactly as `client.api` would build them). They skip openapi-fetch's per-call
// machinery (option merging, two Headers objects, a Request that fetch copies again): on the persisting call
// that was about a tenth of the client's CPU per call (docs/benchmarks.md).

export const PSK_PATH =
  '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate' satisfies keyof paths;
export const TUNNEL_PATH =
  '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}' satisfies keyof paths;

type Parameters<Operation extends keyof operations> = operations[Operation]['parameters'];
type GenerateParameters = Pick<
  Parameters<'magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels'>,
  'path' | 'query'
>;
type TunnelParameters = Pick<Parameters<'magic-ipsec-tunnels-list-ipsec-tunnel-details'>, 'path'>;

const EMPTY_BODY = JSON.stringify({} satisfies components['schemas']['empty_body']);
const querySerializer = createQuerySerializer();

/** Builds ready-to-send requests for the two operations. */
export interface Requests {
  pskGenerate(parameters: GenerateParameters): Send;
  ipsecTunnel(parameters: TunnelParameters): Send;
}

export function createRequests(
  baseUrl: string,
  fetch: typeof globalThis.fetch,
  headers: Record<string, string>,
): Requests {
  const jsonHeaders = { ...headers, 'Content-Type': 'application/json' };
  const url = (path: string, params: GenerateParameters | TunnelParameters) =>
    createFinalURL(path, { baseUrl, params, querySerializer, pathSerializer: defaultPathSerializer });
  return {
    pskGenerate(parameters) {
      const target = url(PSK_PATH, parameters);
      // redirect 'manual': a 307/308 would resend the POST, a second rotation. Cloudflare never redirects it.
      return (signal) =>
        fetch(target, { method: 'POST', headers: jsonHeaders, body: EMPTY_BODY, signal, redirect: 'manual' });
    },
    ipsecTunnel(parameters) {
      const target = url(TUNNEL_PATH, parameters);
      return (signal) => fetch(target, { method: 'GET', headers, signal });
    },
  };
}
