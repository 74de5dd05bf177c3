import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows `limit` requests per key per fixed window, then says when the window resets', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 2, windowMs: 10_000 }, () => new Date(now));
    expect(limiter.take('a')).toEqual({ allowed: true });
    now += 4_001;
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(limiter.take('b')).toEqual({ allowed: true });
    now += 5_990;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 9;
    expect(limiter.take('a')).toEqual({ allowed: true });
  });

  it('does not count refused requests', () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000 }, () => new Date(now));
    limiter.take('a');
    for (let i = 0; i < 5; i++) expect(limiter.take('a').allowed).toBe(false);
    now = 1_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new RateLimiter({ limit: 1, windowMs: 0 }, () => new Date())).toThrow(RangeError);
  });
});
