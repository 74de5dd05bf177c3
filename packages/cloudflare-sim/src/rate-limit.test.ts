import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows `limit` requests per key per fixed window, then says when the window resets', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 2, windowMs: 10_000 }, () => new Date(now));
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 1, resetSeconds: 10 });
    now += 4_001;
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 0, resetSeconds: 6 });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(limiter.take('b')).toEqual({ allowed: true, remaining: 1, resetSeconds: 10 });
    now += 5_990;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 9;
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 1, resetSeconds: 10 });
  });

  it('does not count refused requests', () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000 }, () => new Date(now));
    limiter.take('a');
    for (let i = 0; i < 5; i++) expect(limiter.take('a').allowed).toBe(false);
    now = 1_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('answers Cloudflare’s Ratelimit headers: what is left, and when the window resets', async () => {
    const { startSimulator } = await import('./server.js');
    const sim = await startSimulator({
      apiTokens: ['SENTINELrateHeaders'],
      rateLimit: { limit: 3, windowMs: 60_000 },
    });
    try {
      const get = () =>
        fetch(`${sim.url}/accounts/023e105f4ecef8ad9ca31a8372d0c353/magic/ipsec_tunnels`, {
          headers: { authorization: 'Bearer SENTINELrateHeaders' },
        });
      const first = await get();
      expect(first.headers.get('ratelimit')).toBe('"default";r=2;t=60');
      expect(first.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60');
      expect((await get()).headers.get('ratelimit')).toMatch(/^"default";r=1;t=(59|60)$/);
    } finally {
      await sim.close();
    }
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new RateLimiter({ limit: 1, windowMs: 0 }, () => new Date())).toThrow(RangeError);
  });
});
