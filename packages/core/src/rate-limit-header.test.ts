import { describe, expect, it } from 'vitest';
import { parseRateLimit } from './rate-limit-header.js';

describe('the Ratelimit header', () => {
  it('reads the structured form Cloudflare documents, and the older draft', () => {
    expect(parseRateLimit('"default";r=1180;t=240')).toEqual({ remaining: 1180, resetSeconds: 240 });
    expect(parseRateLimit('"burst";r=0;t=7')).toEqual({ remaining: 0, resetSeconds: 7 });
    expect(parseRateLimit('limit=1200, remaining=30, reset=12')).toEqual({ remaining: 30, resetSeconds: 12 });
    expect(parseRateLimit('"default";r=5')).toEqual({ remaining: 5, resetSeconds: undefined });
  });

  it('says nothing for an absent, unreadable or oversized header', () => {
    expect(parseRateLimit(null)).toBeUndefined();
    expect(parseRateLimit('"default";q=1200;w=300')).toBeUndefined();
    expect(parseRateLimit('r=x')).toBeUndefined();
    expect(parseRateLimit(`r=1;${'x'.repeat(2000)}`)).toBeUndefined();
  });
});
