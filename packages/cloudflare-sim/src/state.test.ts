import { describe, expect, it } from 'vitest';
import { generatePsk, isoSeconds, SimState } from './state.js';

describe('generatePsk', () => {
  it('makes 32 characters of [A-Za-z0-9], different each time', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generatePsk()));
    expect(keys.size).toBe(200);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
    const used = new Set([...keys].join(''));
    expect(used.size).toBeGreaterThan(55);
  });
});

describe('isoSeconds', () => {
  it('writes UTC at second precision', () => {
    expect(isoSeconds(new Date('2026-11-27T00:20:00.999Z'))).toBe('2026-11-27T00:20:00Z');
  });
});

describe('SimState', () => {
  it('lists an account in configured order and stores a given key like a generated one', () => {
    const state = new SimState(
      [
        {
          id: 'a',
          tunnels: [
            { id: 't2', name: 'two' },
            { id: 't1', name: 'one' },
          ],
        },
      ],
      '2026-01-01T00:00:00Z',
    );
    expect(state.tunnels('a').map((t) => t.id)).toEqual(['t2', 't1']);
    expect(state.tunnels('nobody')).toEqual([]);
    const tunnel = state.find('a', 't1');
    if (!tunnel) throw new Error('missing tunnel');
    state.setPsk(tunnel, 'given', new Date('2026-02-03T04:05:06.789Z'));
    expect(state.snapshot('a', 't1')).toEqual({
      id: 't1',
      name: 'one',
      psk: 'given',
      lastGeneratedOn: '2026-02-03T04:05:06Z',
      rotations: 1,
      tunnelState: 1,
    });
    expect(tunnel.modifiedOn).toBe('2026-02-03T04:05:06Z');
    state.rotate(tunnel, new Date('2026-02-03T04:05:07Z'));
    expect(state.snapshot('a', 't1')).toMatchObject({
      psk: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      rotations: 2,
    });
  });
});
