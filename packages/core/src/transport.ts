import type { PskErrorCode, PskOutcome } from './errors.js';
import { PskError } from './errors.js';
import { sanitizeCause } from './redact.js';
import { failedBeforeSending } from './transport-errors.js';

/** What came back from one HTTP exchange, before it is interpreted. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** The body text; undefined when it was empty. */
  body: string | undefined;
  /** Set when the headers arrived but reading the body failed (reset, truncation, timeout). */
  bodyError?: unknown;
}

/** Sends one request with the given signal: a fetch call, resolving when the response headers arrive. */
export type Send = (signal: AbortSignal) => Promise<Response>;

/** How one attempt is made. */
export interface AttemptContext {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Whether this request persists something: then any doubt about delivery makes the outcome unknown. */
  persisting: boolean;
  /** Secrets to scrub from anything we keep of a lower-level failure. */
  secrets: readonly (string | undefined)[];
}

export const OUTCOME_UNKNOWN_ADVICE =
  "The request may have reached Cloudflare, so the tunnel's key may already be replaced by one nobody has seen. " +
  'Do not retry blindly: check the tunnel (getIpsecTunnel, psk_metadata.last_generated_on) first.';

function transportFailure(
  context: AttemptContext,
  code: PskErrorCode,
  what: string,
  sent: boolean,
  cause: unknown,
): PskError {
  const outcome: PskOutcome = context.persisting && sent ? 'unknown' : 'not_executed';
  const tail =
    outcome === 'unknown' ? ` Outcome unknown. ${OUTCOME_UNKNOWN_ADVICE}` : ' Nothing was changed.';
  return new PskError(`${what}.${tail}`, {
    code,
    outcome,
    cause: cause === undefined ? undefined : sanitizeCause(cause, context.secrets),
  });
}

/**
 * Performs one HTTP exchange with a timeout and the caller's signal, and turns every way it can fail before a
 * response status is known into a PskError whose outcome says whether the request may have been received.
 */
export async function performExchange(send: Send, context: AttemptContext): Promise<RawResponse> {
  if (context.signal?.aborted) {
    throw transportFailure(
      context,
      'aborted',
      'The request was aborted before it was sent',
      false,
      undefined,
    );
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${context.timeoutMs} ms`));
  }, context.timeoutMs);
  const onAbort = () => controller.abort(context.signal?.reason);
  context.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    let response: Response;
    try {
      response = await send(controller.signal);
    } catch (failure) {
      if (timedOut) {
        throw transportFailure(
          context,
          'timeout',
          `No response within ${context.timeoutMs} ms`,
          true,
          failure,
        );
      }
      if (context.signal?.aborted) {
        throw transportFailure(context, 'aborted', 'The request was aborted while in flight', true, failure);
      }
      const sent = !failedBeforeSending(failure);
      const what = sent
        ? 'The connection failed while the request was in flight'
        : 'Could not connect to the API';
      throw transportFailure(context, 'network', what, sent, failure);
    }
    try {
      const body = await response.text();
      return { status: response.status, headers: response.headers, body: body === '' ? undefined : body };
    } catch (failure) {
      // The status arrived but the body did not (reset, truncation, timeout): the caller decides what that means.
      return { status: response.status, headers: response.headers, body: undefined, bodyError: failure };
    }
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onAbort);
  }
}
