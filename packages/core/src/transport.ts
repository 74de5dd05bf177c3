import type { Middleware } from 'openapi-fetch';
import type { PskErrorCode, PskOutcome } from './errors.js';
import { PskError } from './errors.js';
import { sanitizeCause } from './redact.js';
import { connectFailure, failedBeforeSending, transportErrorCode } from './transport-errors.js';

/** What came back from one HTTP exchange, before it is interpreted. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** The body: text, or what openapi-fetch already parsed of an error body; undefined when empty. */
  body: unknown;
  /** Set when the headers arrived but reading the body failed (reset, truncation, timeout). */
  bodyError?: unknown;
}

/** What one openapi-fetch call returns, as far as the exchange needs it. */
export interface FetchOutcome {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * One call through the openapi-fetch client, with `parseAs: 'stream'` (the status is seen before the body is read)
 * and the given middleware added to the request.
 */
export type ApiCall = (init: {
  signal: AbortSignal | undefined;
  middleware: Middleware[];
}) => Promise<FetchOutcome>;

/** How one attempt is made. */
export interface AttemptContext {
  signal: AbortSignal | undefined;
  /** The client timeout, for the message when it strikes (the api client's middleware enforces it). */
  timeoutMs: number;
  /** Whether this request persists something: then any doubt about delivery makes the outcome unknown. */
  persisting: boolean;
  /** What an unknown outcome means for this operation and how to settle it; default `OUTCOME_UNKNOWN_ADVICE`. */
  unknownAdvice?: string | undefined;
  /** Secrets to scrub from anything we keep of a lower-level failure. */
  secrets: readonly (string | undefined)[];
  /** The API's host (and port), named in a connection failure. */
  host?: string | undefined;
}

export const OUTCOME_UNKNOWN_ADVICE =
  "The request may have reached Cloudflare, so the tunnel's key may already be replaced by one nobody has seen. " +
  'Do not retry blindly: check the tunnel (getIpsecTunnel, psk_metadata.last_generated_on) first.';

/** What every unknown outcome's message ends with: that it is unknown, and how to settle it. */
export const unknownOutcomeTail = (advice: string | undefined) =>
  ` Outcome unknown. ${advice ?? OUTCOME_UNKNOWN_ADVICE}`;

function transportFailure(
  context: AttemptContext,
  code: PskErrorCode,
  what: string,
  sent: boolean,
  cause: unknown,
): PskError {
  const outcome: PskOutcome = context.persisting && sent ? 'unknown' : 'not_executed';
  const tail = outcome === 'unknown' ? unknownOutcomeTail(context.unknownAdvice) : ' Nothing was changed.';
  return new PskError(`${what}.${tail}`, {
    code,
    outcome,
    cause: cause === undefined ? undefined : sanitizeCause(cause, context.secrets),
  });
}

const isTimeout = (failure: unknown) =>
  (failure as { name?: unknown })?.name === 'TimeoutError' ||
  (failure as { cause?: { name?: unknown } })?.cause?.name === 'TimeoutError';

/**
 * Performs one exchange and turns every way it can fail before a response status is known into a PskError whose
 * outcome says whether the request may have been received. Once the status is known, a body that cannot be read
 * is left to the caller (`bodyError`), who knows what that means for the operation.
 */
export async function performExchange(call: ApiCall, context: AttemptContext): Promise<RawResponse> {
  if (context.signal?.aborted) {
    throw transportFailure(
      context,
      'aborted',
      'The request was aborted before it was sent',
      false,
      undefined,
    );
  }
  // The response as it arrived, before openapi-fetch reads an error body that may fail half-way.
  let arrived: Response | undefined;
  const witness: Middleware = {
    onResponse({ response }) {
      arrived = response;
    },
  };
  try {
    const { data, error, response } = await call({ signal: context.signal, middleware: [witness] });
    let body = error;
    if (response.ok && data !== undefined) body = await new Response(data as ReadableStream).text();
    return { status: response.status, headers: response.headers, body: body === '' ? undefined : body };
  } catch (failure) {
    if (failure instanceof PskError) throw failure;
    if (arrived)
      return { status: arrived.status, headers: arrived.headers, body: undefined, bodyError: failure };
    if (isTimeout(failure)) {
      throw transportFailure(context, 'timeout', `No response within ${context.timeoutMs} ms`, true, failure);
    }
    if (context.signal?.aborted) {
      throw transportFailure(context, 'aborted', 'The request was aborted while in flight', true, failure);
    }
    const sent = !failedBeforeSending(failure);
    const host = context.host ?? 'the API';
    const code = transportErrorCode(failure);
    const what = sent
      ? `The connection to ${host} failed while the request was in flight${code ? ` (${code})` : ''}`
      : `Could not connect to ${host}: ${connectFailure(code)}`;
    throw transportFailure(context, 'network', what, sent, failure);
  }
}
