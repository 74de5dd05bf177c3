import type { Client } from 'openapi-fetch';
import { describeCloudflareErrors, type Envelope, errorCodeForStatus, readEnvelope } from './envelope.js';
import { PskError, type PskOutcome } from './errors.js';
import type { paths } from './generated/openapi.js';
import { assertIdentifier } from './identifiers.js';
import { redactKeyShaped, redactSecrets, sanitizeCause } from './redact.js';
import { parseRetryAfter, type RetryPolicy, type Sleep, withRetries } from './retry.js';
import { type ApiCall, performExchange, type RawResponse, unknownOutcomeTail } from './transport.js';
import { neutralizeText } from './untrusted.js';

/** The longest piece of API text a message quotes, in characters (as for Cloudflare's envelope messages). */
const MESSAGE_MAX_LENGTH = 300;

/** How a call's answer is read: whether it persists, and which secrets its text might quote. */
export interface CallKind {
  /** Whether this request persists something: then any doubt about delivery makes the outcome unknown. */
  persisting: boolean;
  /** Whether answers of this operation carry keys (their text is scrubbed of anything key-shaped too). */
  keyBearing: boolean;
  /** Keys the caller sent, as secret as the credentials. */
  keys?: readonly string[];
  /** What an unknown outcome means for this operation and how to settle it; default `OUTCOME_UNKNOWN_ADVICE`. */
  unknownAdvice?: string;
  /**
   * For operations whose answers are not Cloudflare envelopes (the GraphQL API): the error a refused (non-2xx)
   * answer becomes, given the one the envelope rules make of it (status, `Retry-After`, Cloudflare's errors).
   */
  refusal?(raw: RawResponse, standard: PskError): PskError;
}

/** What every operation shares: the one openapi-fetch client, the account default, and the outcome rules. */
export interface CallContext {
  api(): Client<paths>;
  accountFor(accountId: string | undefined): string;
  /**
   * One exchange whose answer is a 2xx read in full, with its scrubbed envelope: a refusal or a body cut short
   * is thrown as a PskError per the outcome rules. What makes the envelope usable is the operation's to judge.
   */
  receive(
    send: ApiCall,
    signal: AbortSignal | undefined,
    operation: string,
    kind: CallKind,
  ): Promise<Received>;
  /** A 2xx answer that cannot be used, as a PskError. */
  invalidResponse(raw: RawResponse, operation: string, kind: CallKind, problem: string): PskError;
  /**
   * API text (a message outside Cloudflare's envelope, such as a GraphQL error) made safe to quote: scrubbed of
   * the credentials and, for key-bearing calls, of keys, then neutralised and capped at `maxLength`.
   */
  untrusted(text: unknown, kind: CallKind, maxLength?: number): string;
  /** The client's clock (ms since the epoch). */
  now(): number;
  /** Runs attempts of a call that is safe to repeat, retrying transient failures. */
  retrying<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T>;
}

/** A 2xx answer read in full. */
export interface Received {
  raw: RawResponse;
  envelope: Envelope | undefined;
}

/** What to check when Cloudflare refuses the credentials or their permissions: the usual causes, in order. */
const STATUS_HINTS: Record<number, string> = {
  401: ' Check the credentials: the API token (or the account email and Global API key) is wrong, expired or revoked.',
  // Cloudflare answers "Authentication error" (10000) both for a token it does not know and for one without the
  // permission, so both are named.
  403:
    ' Check the API token: that it is the right one and not expired, that it has Magic WAN Write or Magic Transit ' +
    'Write (Account Analytics Read for tunnel health), and that its account resources include this account.',
};

export interface CallContextOptions {
  api(): Client<paths>;
  defaultAccountId: string | undefined;
  secrets: readonly string[];
  timeoutMs: number;
  retryPolicy: RetryPolicy;
  sleep: Sleep;
  now: () => number;
  /** The API's host, for messages about connecting to it. */
  host?: string | undefined;
}

export function createCallContext(options: CallContextOptions): CallContext {
  const secretsOf = (kind: CallKind) => [...options.secrets, ...(kind.keys ?? [])];
  // The envelope scrubbed of every secret it might quote.
  const envelopeOf = (raw: RawResponse, kind: CallKind) =>
    readEnvelope(raw.body, { secrets: secretsOf(kind), keyBearing: kind.keyBearing });

  // A non-2xx answer as a PskError.
  const refusal = (raw: RawResponse, operation: string, kind: CallKind): PskError => {
    const cloudflareErrors = envelopeOf(raw, kind)?.errors ?? [];
    const outcome: PskOutcome = kind.persisting && raw.status >= 500 ? 'unknown' : 'not_executed';
    const retryAfterSeconds =
      raw.status === 429 ? parseRetryAfter(raw.headers.get('retry-after'), options.now()) : undefined;
    let message = `${operation} failed: Cloudflare answered HTTP ${raw.status}.${describeCloudflareErrors(cloudflareErrors)}`;
    if (raw.status === 429) {
      message +=
        retryAfterSeconds === undefined
          ? ' Rate limited; nothing was changed.'
          : ` Rate limited; nothing was changed. Try again in ${retryAfterSeconds} s.`;
    } else if (outcome === 'unknown') {
      message += unknownOutcomeTail(kind.unknownAdvice);
    } else {
      message += ` Nothing was changed.${STATUS_HINTS[raw.status] ?? ''}`;
    }
    return new PskError(message, {
      code: errorCodeForStatus(raw.status),
      outcome,
      status: raw.status,
      cloudflareErrors,
      retryAfterSeconds,
    });
  };

  const context: CallContext = {
    api: options.api,

    accountFor(accountId) {
      if (accountId === undefined && options.defaultAccountId !== undefined) return options.defaultAccountId;
      return assertIdentifier('accountId', accountId);
    },

    async receive(send, signal, operation, kind) {
      // Transport failures become PskErrors per the outcome rules in there.
      const raw = await performExchange(send, {
        signal,
        timeoutMs: options.timeoutMs,
        persisting: kind.persisting,
        unknownAdvice: kind.unknownAdvice,
        secrets: secretsOf(kind),
        host: options.host,
      });
      if (raw.status < 200 || raw.status >= 300) {
        const standard = refusal(raw, operation, kind);
        throw kind.refusal?.(raw, standard) ?? standard;
      }
      if (raw.bodyError !== undefined) {
        throw context.invalidResponse(raw, operation, kind, 'the response body could not be read in full');
      }
      return { raw, envelope: envelopeOf(raw, kind) };
    },

    invalidResponse(raw, operation, kind, problem) {
      const outcome: PskOutcome = kind.persisting ? 'unknown' : 'not_executed';
      const tail = kind.persisting ? unknownOutcomeTail(kind.unknownAdvice) : '';
      return new PskError(`${operation}: Cloudflare answered HTTP ${raw.status} but ${problem}.${tail}`, {
        code: 'invalid_response',
        outcome,
        status: raw.status,
        cause: raw.bodyError === undefined ? undefined : sanitizeCause(raw.bodyError, secretsOf(kind)),
      });
    },

    untrusted(text, kind, maxLength = MESSAGE_MAX_LENGTH) {
      if (typeof text !== 'string') return '';
      const scrubbed = redactSecrets(text, secretsOf(kind));
      return neutralizeText(kind.keyBearing ? redactKeyShaped(scrubbed) : scrubbed, maxLength);
    },

    now: options.now,

    retrying(signal, attempt) {
      return withRetries(options.retryPolicy, options.sleep, signal, attempt);
    },
  };
  return context;
}
