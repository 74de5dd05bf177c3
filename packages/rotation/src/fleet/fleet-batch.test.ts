import { describe, expect, it } from 'vitest';
import { RateGate } from '../rate-gate.js';

// The gate that keeps a fleet's requests inside Cloudflare's rate limit, from what its answers say is left.

function gate() {
  let now = 0;
  const waits: number[] = [];
  const g = new RateGate(
    () => now,
    async (ms) => {
      waits.push(ms);
      now += ms;
    },
  );
  return { g, waits, advance: (ms: number) => (now += ms) };
}

describe('the rate gate', () => {
  it('lets requests go while what is left covers those already out, then waits for the reset', async () => {
    const { g, waits } = gate();
    g.observe({ remaining: 2, resetSeconds: 3 });
    await g.before(() => {});
    await g.before(() => {});
    expect(waits).toEqual([]);
    const messages: string[] = [];
    await g.before((message) => messages.push(message));
    expect(waits).toEqual([3000]);
    expect(messages[0]).toMatch(/waiting 3 s/);
  });

  it('answers that come back out of order do not raise what is left within a window', async () => {
    const { g, waits } = gate();
    g.observe({ remaining: 1, resetSeconds: 5 });
    g.observe({ remaining: 9, resetSeconds: 5 });
    await g.before(() => {});
    await g.before(() => {});
    expect(waits).toEqual([5000]);
  });

  it('a later reset is a new window, whatever it says is left', async () => {
    const { g, waits, advance } = gate();
    g.observe({ remaining: 0, resetSeconds: 1 });
    advance(2_000);
    g.observe({ remaining: 50, resetSeconds: 60 });
    await g.before(() => {});
    expect(waits).toEqual([]);
  });

  it('without a word from Cloudflare, nothing waits', async () => {
    const { g, waits } = gate();
    for (let i = 0; i < 20; i++) await g.before(() => {});
    g.after(undefined);
    expect(waits).toEqual([]);
  });
});
