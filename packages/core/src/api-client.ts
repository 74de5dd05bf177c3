import createClient, { type Client } from 'openapi-fetch';
import { PskError } from './errors.js';
import type { paths } from './generated/openapi.js';

// Only generateIpsecPsk may send the persisting call: it sends it once, never follows a redirect (a 307/308 would
// resend the POST, a second rotation) and tells an unknown outcome from a refusal. Matched on the final URL, so no
// spelling of the path (a trailing slash, percent-escapes, `validate_only=false`) slips through.
const PSK_GENERATE = /\/magic\/ipsec_tunnels\/[^/]+\/psk_generate\/?$/i;

function persistsKey(request: Request): boolean {
  if (request.method.toUpperCase() !== 'POST') return false;
  const url = new URL(request.url);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return true;
  }
  if (!PSK_GENERATE.test(path)) return false;
  const validateOnly = url.searchParams.getAll('validate_only');
  return validateOnly.length === 0 || validateOnly.some((value) => value !== 'true');
}

/** What the openapi-fetch client behind `client.api` is built from. */
export interface ApiClientOptions {
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * The authenticated openapi-fetch client of `client.api`: every request gets `redirect: 'manual'` and the client
 * timeout whatever the caller passes, and the persisting `psk_generate` is refused before anything is sent.
 */
export function createApiClient(options: ApiClientOptions): Client<paths> {
  const api = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: options.headers,
    redirect: 'manual',
  });
  api.use({
    onRequest({ request }) {
      if (persistsKey(request)) {
        throw new PskError(
          'client.api does not send the persisting psk_generate call: use generateIpsecPsk(), which sends it at ' +
            'most once and reports an unknown outcome as such. Nothing was sent.',
          { code: 'invalid_input', outcome: 'not_executed' },
        );
      }
      return new Request(request, {
        redirect: 'manual',
        signal: AbortSignal.any([request.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    },
  });
  return api;
}
