import { PskError } from './errors.js';

/** How calls that change nothing (validate-only, GET) are retried. The persisting call is never retried. */
export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. Default 3. */
  maxAttempts?: number;
  /** Backoff before the second attempt, doubled each time, with full jitter. Default 250 ms. */
  baseDelayMs?: number;
  /** The longest wait between attempts; a `Retry-After` longer than this is not waited for. Default 10 000 ms. */
  maxDelayMs?: number;
}

/** Waits `ms`, or rejects when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The resolved retry policy. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function resolveRetryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(options?.maxAttempts ?? 3)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? 250),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 10_000),
  };
}

/**
 * The wait before attempt `attempt + 1`, or undefined when the server asked for a longer wait than we allow.
 * `random` is injectable so tests can pin the jitter.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterSeconds !== undefined) {
    const requested = retryAfterSeconds * 1000;
    return requested > policy.maxDelayMs ? undefined : requested;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** Parses `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Failures worth another attempt for a call that changes nothing. */
function isTransient(error: PskError): boolean {
  switch (error.code) {
    case 'network':
    case 'timeout':
    case 'rate_limited':
    case 'invalid_response':
      return true;
    case 'api_error':
      return error.status !== undefined && error.status >= 500;
    default:
      return false;
  }
}

/**
 * Runs attempts of a call that changes nothing (validate-only, GET), retrying transient failures with bounded,
 * jittered backoff. The persisting call never comes here.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  sleep: Sleep,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PskError) || attemptNumber >= policy.maxAttempts || !isTransient(error))
        throw error;
      const delay = retryDelayMs(policy, attemptNumber, error.retryAfterSeconds);
      if (delay === undefined) throw error;
      try {
        await sleep(delay, signal);
      } catch {
        throw error;
      }
    }
  }
}
