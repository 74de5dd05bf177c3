import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { PskError } from './errors.js';
import type { paths } from './generated/openapi.js';

// Marks the params of the library's own persisting call. Module-private: nobody else can mark a request, so the
// persisting call can only come from generateIpsecPsk, which sends it once and applies the outcome rules.
const PERSIST_APPROVED = Symbol('ipsec-psk persisting call');

/** Marks `params` as the library's own persisting call. */
export function approvePersisting<T extends object>(params: T): T {
  return Object.assign(params, { [PERSIST_APPROVED]: true });
}

// Matched on the final URL, so no spelling of the path (a trailing slash, percent-escapes, `validate_only=false`)
// slips through.
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

/**
 * A signal that aborts when `caller` does or after `ms`. A plain timer and controller rather than
 * AbortSignal.timeout + AbortSignal.any, whose sources Node holds weakly: here every link from the timer to the
 * request is a strong one, whatever a Node version does to keep composite signals alive. The timer is unref'd and
 * outlives a finished request harmlessly.
 */
function timeoutSignal(caller: AbortSignal, ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
    ms,
  );
  timer.unref?.();
  if (caller.aborted) controller.abort(caller.reason);
  else caller.addEventListener('abort', () => controller.abort(caller.reason), { once: true });
  return controller.signal;
}

/** What the openapi-fetch client is built from. */
export interface ApiClientOptions {
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * The one openapi-fetch client: the library's own calls and `client.api` go through it. Its middleware gives every
 * request `redirect: 'manual'` (a 307/308 would resend the persisting POST: a second rotation) and the client
 * timeout whatever the caller passes, and refuses the persisting `psk_generate` unless the library sends it.
 */
export function createApiClient(options: ApiClientOptions): Client<paths> {
  const api = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: options.headers,
    redirect: 'manual',
  });
  const safety: Middleware = {
    onRequest({ request, params }) {
      if (persistsKey(request) && (params as Record<symbol, unknown>)[PERSIST_APPROVED] !== true) {
        throw new PskError(
          'client.api does not send the persisting psk_generate call: use generateIpsecPsk(), which sends it at ' +
            'most once and reports an unknown outcome as such. Nothing was sent.',
          { code: 'invalid_input', outcome: 'not_executed' },
        );
      }
      return new Request(request, {
        redirect: 'manual',
        signal: timeoutSignal(request.signal, options.timeoutMs),
      });
    },
  };
  api.use(safety);
  return api;
}
