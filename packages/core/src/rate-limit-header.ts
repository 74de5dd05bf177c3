// Cloudflare's answers say how much of the account's API budget is left, in the IETF rate-limit header fields its
// documentation shows (`Ratelimit: "default";r=1180;t=240`). Older drafts wrote `remaining=…, reset=…`; both are
// read. A caller sending many requests uses this to slow down before the 429, not after.

/** What is left of the rate limit, as Cloudflare said with an answer. */
export interface RateLimitState {
  /** Requests left in the current window. */
  remaining: number;
  /** Seconds until the window resets, when said. */
  resetSeconds: number | undefined;
}

function parameter(value: string, names: readonly string[]): number | undefined {
  for (const name of names) {
    const match = new RegExp(`(?:^|[;,\\s])${name}=(\\d{1,9})(?![\\d])`).exec(value);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** Reads a `Ratelimit` header; undefined when absent or unreadable. */
export function parseRateLimit(value: string | null): RateLimitState | undefined {
  if (value === null || value.length > 1000) return undefined;
  const remaining = parameter(value, ['r', 'remaining']);
  if (remaining === undefined) return undefined;
  return { remaining, resetSeconds: parameter(value, ['t', 'reset']) };
}
