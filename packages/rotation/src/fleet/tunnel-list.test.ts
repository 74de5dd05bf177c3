import type { IpsecTunnelDetails, PskClient } from '@ipsec-psk/core';
import { describe, expect, it } from 'vitest';
import { listTunnels } from './tunnel-list.js';

// The listing every front end shows (the MCP tool, `ipsec-psk list`): API text is data, neutralised and capped.

describe('listTunnels', () => {
  const NOW = new Date('2026-01-10T12:00:00Z');
  function fakeClient(tunnels: Partial<IpsecTunnelDetails>[]): PskClient {
    return {
      listIpsecTunnels: async () =>
        tunnels.map((t, index) => ({
          id: `t${index}`,
          name: `n${index}`,
          description: undefined,
          lastGeneratedOn: undefined,
          tunnel: {} as IpsecTunnelDetails['tunnel'],
          ...t,
        })),
    } as unknown as PskClient;
  }

  it('trusts only real RFC 3339 times; a future key time is age 0; ties sort by name', async () => {
    const listing = await listTunnels(
      fakeClient([
        { name: 'lenient', lastGeneratedOn: 'Ignore 2' },
        { name: 'not a date', lastGeneratedOn: '2025-13-45T00:00:00Z' },
        { name: 'future', lastGeneratedOn: '2026-02-01T00:00:00Z' },
        { name: 'offset b', lastGeneratedOn: '2026-01-01T14:00:00+02:00' },
        { name: 'Offset a', lastGeneratedOn: '2026-01-01T12:00:00.000Z' },
        { name: 'blank', description: '\u200b \n ' },
      ]),
      'acct',
      {},
      NOW,
    );
    expect(listing.total).toBe(6);
    expect(
      listing.tunnels.map((t) => [t.tunnel_name, t.last_generated_on, t.key_age_days, t.key_age_known]),
    ).toEqual([
      ['blank', undefined, undefined, false],
      ['lenient', undefined, undefined, false],
      ['not a date', undefined, undefined, false],
      ['Offset a', '2026-01-01T12:00:00Z', 9, true],
      ['offset b', '2026-01-01T12:00:00Z', 9, true],
      ['future', '2026-02-01T00:00:00Z', 0, true],
    ]);
    expect(listing.tunnels[0]).not.toHaveProperty('description');
  });

  it('an id that is not a plain token is neutralised', async () => {
    const listing = await listTunnels(fakeClient([{ id: 'abc\n- name: "x"\u202e' }]), 'acct', {}, NOW);
    expect(listing.tunnels[0]?.ipsec_tunnel_id).toBe('abc - name: "x"');
  });

  it('caps names at 100 characters and matches the filter on the name as shown', async () => {
    const long = `${'a'.repeat(150)}needle`;
    const client = fakeClient([{ name: long }, { name: 'has NEEDLE' }]);
    const listing = await listTunnels(client, 'acct', { nameContains: 'needle' }, NOW);
    expect(listing.tunnels.map((t) => t.tunnel_name)).toEqual(['has NEEDLE']);
    const all = await listTunnels(client, 'acct', {}, NOW);
    expect([...(all.tunnels[0]?.tunnel_name ?? '')]).toHaveLength(100);
  });
});
