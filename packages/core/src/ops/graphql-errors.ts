// Cloudflare's GraphQL API fails in two shapes: GraphQL errors (`{ data: null, errors: [{ message, path }] }`,
// in a 200 as often as in a 4xx/5xx) and, when the credentials are refused before the query runs, Cloudflare's API
// envelope. Both become one PskError here, by status and by Cloudflare's documented words, so a caller can tell a
// token without the analytics permission from everything else.
import type { CallContext, CallKind } from '../call-context.js';
import { describeCloudflareErrors, isRecord } from '../envelope.js';
import { PskError, type PskErrorCode } from '../errors.js';
import type { RawResponse } from '../transport.js';
import { quoteText } from '../untrusted.js';

/** What a token without the analytics permission is told, and what to do about it. */
export const ANALYTICS_PERMISSION_ADVICE =
  'The API token needs the "Account Analytics Read" permission (Account > Account Analytics > Read) for this ' +
  'account to read tunnel health; the PSK rotation permission (Magic WAN Write / Magic Transit Write) does not ' +
  'include it. Add it to the token, or give the health check a token of its own.';

// Cloudflare's documented messages (https://developers.cloudflare.com/analytics/graphql-api/errors/).
const FORBIDDEN = /not authori[sz]ed|does not have access|forbidden/i;
const UNAUTHORIZED = /^unauthori[sz]ed$/i;
const RATE_LIMITED = /rate limit|budget depleted|quota exceeded|limit reached, please/i;
const AFTER_MINUTES = /try again after (\d{1,3}) minutes?/i;
/** At most this many GraphQL errors are quoted. */
const MAX_QUOTED = 3;

/** The `message`s of a GraphQL answer's `errors`, from its body as text or as parsed. */
export function graphqlMessages(body: unknown): string[] {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return [];
    }
  }
  const errors = isRecord(parsed) ? parsed.errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((error) =>
    isRecord(error) && typeof error.message === 'string' && !('code' in error) ? [error.message] : [],
  );
}

/**
 * The error a failed GraphQL answer becomes: `analytics_forbidden` for a 403 or Cloudflare's "not authorized",
 * `unauthorized`, `rate_limited` (with the wait Cloudflare names), `api_error` for a 5xx (retried like any read),
 * otherwise `graphql_error` for GraphQL errors, or `standard` (the envelope rules' error) for anything else. Nothing
 * is ever changed by a query, so the outcome is always `not_executed`.
 */
export function graphqlFailure(
  context: CallContext,
  kind: CallKind,
  raw: RawResponse,
  standard: PskError | undefined,
  operation: string,
): PskError {
  const messages = graphqlMessages(raw.body).map((message) => context.untrusted(message, kind));
  const cloudflareErrors = standard?.cloudflareErrors ?? [];
  const said =
    messages.length > 0
      ? ` Cloudflare said: ${messages
          .slice(0, MAX_QUOTED)
          .map((message) => quoteText(message, 300))
          .join('; ')}.`
      : describeCloudflareErrors(cloudflareErrors);
  const answered =
    raw.status === 200 ? 'Cloudflare answered with errors' : `Cloudflare answered HTTP ${raw.status}`;
  const fail = (code: PskErrorCode, advice: string, retryAfterSeconds?: number) =>
    new PskError(`${operation} failed: ${answered}.${said} ${advice}`, {
      code,
      outcome: 'not_executed',
      status: raw.status,
      cloudflareErrors,
      retryAfterSeconds,
    });
  const any = (pattern: RegExp) => messages.some((message) => pattern.test(message));

  if (raw.status === 403 || any(FORBIDDEN)) return fail('analytics_forbidden', ANALYTICS_PERMISSION_ADVICE);
  if (raw.status === 401 || any(UNAUTHORIZED)) {
    return fail('unauthorized', 'The API token or key was not accepted. Nothing was changed.');
  }
  if (raw.status === 429 || any(RATE_LIMITED)) {
    const minutes = messages.map((message) => AFTER_MINUTES.exec(message)?.[1]).find(Boolean);
    const wait = standard?.retryAfterSeconds ?? (minutes === undefined ? undefined : Number(minutes) * 60);
    const advice =
      wait === undefined ? 'Rate limited; try again later.' : `Rate limited; try again in ${wait} s.`;
    return fail('rate_limited', advice, wait);
  }
  if (raw.status >= 500)
    return fail('api_error', 'The query could not run; it changes nothing, so try again.');
  if (messages.length > 0) return fail('graphql_error', 'The query was refused; nothing was changed.');
  return standard ?? fail('invalid_response', 'Nothing was changed.');
}
