import { describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID } from './demo.js';
import { manyTunnels } from './many-tunnels.js';

describe('manyTunnels', () => {
  it('builds one account with distinct 32-hex ids and zero-padded names, the same in every call', () => {
    const account = manyTunnels(50, { namePrefix: 'site_' });
    expect(account.id).toBe(DEMO_ACCOUNT_ID);
    expect(account.tunnels).toHaveLength(50);
    for (const tunnel of account.tunnels) expect(tunnel.id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(account.tunnels.map((t) => t.id)).size).toBe(50);
    expect(account.tunnels.map((t) => t.name).slice(0, 2)).toEqual(['site_01', 'site_02']);
    expect(account.tunnels[49]?.name).toBe('site_50');
    expect(account.tunnels[0]).not.toHaveProperty('lastGeneratedOn');
    expect(manyTunnels(50, { namePrefix: 'site_' })).toEqual(account);
  });

  it('takes an account id, a default prefix, and key ages for all or per tunnel', () => {
    const same = manyTunnels(3, { accountId: 'a1', lastGeneratedOn: '2025-01-01T00:00:00Z' });
    expect(same.id).toBe('a1');
    expect(same.tunnels.map((t) => [t.name, t.lastGeneratedOn])).toEqual([
      ['bulk_tunnel_1', '2025-01-01T00:00:00Z'],
      ['bulk_tunnel_2', '2025-01-01T00:00:00Z'],
      ['bulk_tunnel_3', '2025-01-01T00:00:00Z'],
    ]);
    const aged = manyTunnels(3, {
      lastGeneratedOn: (i) => (i === 1 ? undefined : `2025-01-0${i + 1}T00:00:00Z`),
    });
    expect(aged.tunnels.map((t) => t.lastGeneratedOn)).toEqual([
      '2025-01-01T00:00:00Z',
      undefined,
      '2025-01-03T00:00:00Z',
    ]);
    expect(manyTunnels(3, { accountId: 'a2' }).tunnels[0]?.id).not.toBe(manyTunnels(3).tunnels[0]?.id);
  });

  it('refuses a count that is not a whole number >= 0', () => {
    expect(manyTunnels(0).tunnels).toEqual([]);
    expect(() => manyTunnels(-1)).toThrow(RangeError);
    expect(() => manyTunnels(2.5)).toThrow(RangeError);
  });
});
