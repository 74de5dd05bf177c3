import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID } from './demo.js';
import { startSimulator } from './server.js';
import { authHeaders, envelope, getTunnel, listTunnels, TOKEN } from './test-support/http.js';
import type { Simulator } from './types.js';

let sim: Simulator | undefined;
afterEach(async () => {
  expect(sim?.specViolations ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

const newTarget = { ...authHeaders, 'x-magic-new-hc-target': 'true' };

describe('what a tunnel read shows for delivery and health', () => {
  it('every configured field, in the spec’s names, checked against the spec', async () => {
    sim = await startSimulator({
      apiTokens: [TOKEN],
      accounts: [
        {
          id: 'acct',
          tunnels: [
            {
              id: 't1',
              name: 'branch_a',
              cloudflareEndpoint: '162.159.66.164',
              customerEndpoint: '198.51.100.7',
              interfaceAddress: '10.10.0.4/31',
              interfaceAddress6: '2606:54c1:7:0:a9fe:12d2:1:200/127',
              customRemoteIdentity: 'branch-a.12345678.custom.ipsec.cloudflare.com',
              healthCheck: { type: 'request', direction: 'bidirectional', rate: 'high', target: '10.10.0.5' },
              replayProtection: true,
              allowNullCipher: true,
              bgp: { customerAsn: 65001, state: 'BGP_ESTABLISHING' },
            },
          ],
        },
      ],
    });
    const tunnel = (await envelope(await getTunnel(sim, { accountId: 'acct', tunnelId: 't1' }))).result
      .ipsec_tunnel;
    expect(tunnel).toMatchObject({
      cloudflare_endpoint: '162.159.66.164',
      customer_endpoint: '198.51.100.7',
      interface_address: '10.10.0.4/31',
      interface_address6: '2606:54c1:7:0:a9fe:12d2:1:200/127',
      custom_remote_identities: { fqdn_id: 'branch-a.12345678.custom.ipsec.cloudflare.com' },
      health_check: {
        enabled: true,
        type: 'request',
        direction: 'bidirectional',
        rate: 'high',
        target: '10.10.0.5',
      },
      replay_protection: true,
      allow_null_cipher: true,
      bgp: { customer_asn: 65001 },
      bgp_status: {
        state: 'BGP_ESTABLISHING',
        tcp_established: false,
        cf_speaker_ip: '10.10.0.4',
        customer_speaker_ip: '10.10.0.5',
      },
    });
  });

  it('health_check.target is a string, or { effective, saved } when the request sends x-magic-new-hc-target: true', async () => {
    const s = await startSimulator({ apiTokens: [TOKEN] });
    sim = s;
    const targetOf = async (headers: Record<string, string> = authHeaders) => {
      const tunnel = (await envelope(await getTunnel(s, { headers }))).result.ipsec_tunnel ?? {};
      return (tunnel.health_check as { target?: unknown }).target;
    };
    expect(await targetOf()).toBe('203.0.113.10');
    expect(await targetOf(newTarget)).toEqual({ effective: '203.0.113.10', saved: '' });
    expect(await targetOf({ ...authHeaders, 'x-magic-new-hc-target': 'false' })).toBe('203.0.113.10');
    const list = (await envelope(await listTunnels(s, { headers: newTarget }))).result.ipsec_tunnels ?? [];
    for (const tunnel of list)
      expect((tunnel.health_check as { target?: unknown }).target).toHaveProperty('saved');
    expect((await getTunnel(s, { headers: { ...authHeaders, 'x-magic-new-hc-target': 'yes' } })).status).toBe(
      400,
    );
    expect(s.specViolations).toEqual([expect.stringMatching(/header/)]);
    (s.specViolations as string[]).length = 0;
  });

  it('defaults: documentation addresses, Cloudflare’s health check defaults, no BGP, no custom IKE ID', async () => {
    sim = await startSimulator({
      apiTokens: [TOKEN],
      accounts: [{ id: 'acct', tunnels: [{ id: 't', name: 'n' }] }],
    });
    const tunnel = (await envelope(await getTunnel(sim, { accountId: 'acct', tunnelId: 't' }))).result
      .ipsec_tunnel;
    expect(tunnel).toMatchObject({
      cloudflare_endpoint: '203.0.113.1',
      customer_endpoint: '198.51.100.1',
      interface_address: '10.212.0.0/31',
      health_check: {
        enabled: true,
        type: 'reply',
        direction: 'unidirectional',
        rate: 'mid',
        target: '198.51.100.1',
      },
      replay_protection: false,
      allow_null_cipher: false,
    });
    for (const absent of ['bgp', 'bgp_status', 'custom_remote_identities', 'interface_address6'])
      expect(tunnel).not.toHaveProperty(absent);
    expect(sim.tunnel('acct', 't')?.tunnelState).toBe(1);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBeUndefined();
  });
});
