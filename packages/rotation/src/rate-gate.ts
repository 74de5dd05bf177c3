import type { RateLimitState } from '@ipsec-psk/core';

/** How long a rate-limited request may wait for Cloudflare's window to reset before the rest is left unsent. */
export const MAX_RATE_LIMIT_WAIT_S = 300;

/**
 * Keeps a fleet's requests inside Cloudflare's rate limit: its answers say what is left (`Ratelimit`), and when
 * less is left than requests are about to go out, the next one waits for the window to reset (bounded), instead of
 * running into 429s.
 */
export class RateGate {
  // One per Cloudflare client: the limit is the API token's, shared by every fleet of the process.
  private remaining: number | undefined;
  private resetAt: number | undefined;
  private inFlight = 0;

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Waits when what Cloudflare reported as left is spent by the requests already out. */
  async before(waiting: (message: string) => void): Promise<void> {
    if (this.remaining !== undefined && this.remaining <= this.inFlight && this.resetAt !== undefined) {
      const waitMs = Math.min(this.resetAt - this.now(), MAX_RATE_LIMIT_WAIT_S * 1000);
      if (waitMs > 0) {
        waiting(
          `Cloudflare's rate limit is nearly spent: waiting ${Math.ceil(waitMs / 1000)} s before sending.`,
        );
        await this.sleep(waitMs);
      }
      this.remaining = undefined;
    }
    this.inFlight += 1;
  }

  /** A request of ours came back (with what Cloudflare said is left, if it did). */
  after(state: RateLimitState | undefined): void {
    this.inFlight -= 1;
    this.observe(state);
  }

  /** What any answer said is left (the validations', before the first key is sent). */
  observe(state: RateLimitState | undefined): void {
    if (!state) return;
    const resetAt = state.resetSeconds === undefined ? undefined : this.now() + state.resetSeconds * 1000;
    // Answers come back out of order: within one window the lowest count left is the latest; a later reset is a
    // new window. (Reset times are whole seconds, so "the same window" is within a second.)
    const sameWindow =
      this.resetAt !== undefined && resetAt !== undefined && Math.abs(resetAt - this.resetAt) < 1_000;
    if (sameWindow && this.remaining !== undefined && state.remaining >= this.remaining) return;
    this.remaining = state.remaining;
    this.resetAt = resetAt;
  }
}
