/** What went wrong, as a stable string to branch on. */
export type PskErrorCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'bad_request'
  | 'api_error'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'invalid_response'
  /** The token may not read analytics (tunnel health): it needs "Account Analytics Read" for the account. */
  | 'analytics_forbidden'
  /** Cloudflare's GraphQL API answered the query with errors (often in an HTTP 200). */
  | 'graphql_error';

/**
 * Whether the request may have changed anything at Cloudflare: `not_executed` means it certainly did not (safe to
 * retry); `unknown` means a persisting call may have replaced the tunnel's key (check before acting again).
 */
export type PskOutcome = 'not_executed' | 'unknown';

/** One entry of Cloudflare's `errors[]` or `messages[]`. */
export interface CloudflareMessage {
  /** Cloudflare's numeric code (≥ 1000). */
  code: number;
  /** Cloudflare's message text. */
  message: string;
  /** A link to documentation, when Cloudflare gives one. */
  documentationUrl?: string;
  /** A JSON pointer to the part of the request the message is about. */
  pointer?: string;
}

/** Details a PskError carries beyond its message. */
export interface PskErrorDetails {
  /** What went wrong. */
  code: PskErrorCode;
  /** Whether anything may have changed at Cloudflare. */
  outcome: PskOutcome;
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** Cloudflare's `errors[]`, when the response carried them. */
  cloudflareErrors?: CloudflareMessage[];
  /** For `rate_limited`: seconds to wait, from `Retry-After`. */
  retryAfterSeconds?: number;
  /** For `invalid_input`: the option or argument at fault. */
  field?: string;
  /** The underlying failure, scrubbed of secrets. */
  cause?: unknown;
}

/** The one error type this package throws. Its message, cause and fields never contain a credential or a PSK. */
export class PskError extends Error {
  override readonly name = 'PskError';
  readonly code: PskErrorCode;
  readonly outcome: PskOutcome;
  readonly status: number | undefined;
  readonly cloudflareErrors: CloudflareMessage[];
  readonly retryAfterSeconds: number | undefined;
  readonly field: string | undefined;

  constructor(message: string, details: PskErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.outcome = details.outcome;
    this.status = details.status;
    this.cloudflareErrors = details.cloudflareErrors ?? [];
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.field = details.field;
  }

  /** True when the key may already have been replaced: never resend blindly, check the tunnel first. */
  get outcomeUnknown(): boolean {
    return this.outcome === 'unknown';
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      outcome: this.outcome,
      message: this.message,
      status: this.status,
      cloudflareErrors: this.cloudflareErrors,
      retryAfterSeconds: this.retryAfterSeconds,
      field: this.field,
    };
  }
}

/** Narrows an unknown thrown value to PskError. */
export function isPskError(error: unknown): error is PskError {
  return error instanceof PskError;
}
