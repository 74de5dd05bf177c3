/** Requests allowed per window. */
export interface RateLimitConfig {
  /** Requests allowed in one window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

/** Whether a request may go ahead; when not, how many whole seconds until the window resets (>= 1). */
export type RateLimitDecision =
  | { allowed: true; remaining: number; resetSeconds: number }
  | { allowed: false; retryAfterSeconds: number };

/** Cloudflare's documented global limit: 1200 requests per five minutes per user. */
export const CLOUDFLARE_RATE_LIMIT: RateLimitConfig = { limit: 1200, windowMs: 300_000 };

/** A fixed-window limiter keyed by credential; every allowed request counts, refused ones do not. */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; used: number }>();
  readonly #config: RateLimitConfig;
  readonly #now: () => Date;

  constructor(config: RateLimitConfig, now: () => Date) {
    this.#config = config;
    this.#now = now;
    if (!(config.limit >= 0 && Number.isFinite(config.windowMs) && config.windowMs > 0)) {
      throw new RangeError('rateLimit needs limit >= 0 and windowMs > 0');
    }
  }

  get config(): RateLimitConfig {
    return this.#config;
  }

  /** Count a request for `key` if the window allows it. */
  take(key: string): RateLimitDecision {
    const now = this.#now().getTime();
    let window = this.#windows.get(key);
    if (!window || now >= window.start + this.#config.windowMs) {
      window = { start: now, used: 0 };
      this.#windows.set(key, window);
    }
    if (window.used >= this.#config.limit) {
      const waitMs = window.start + this.#config.windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    window.used += 1;
    const resetMs = window.start + this.#config.windowMs - now;
    return {
      allowed: true,
      remaining: this.#config.limit - window.used,
      resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
    };
  }
}
