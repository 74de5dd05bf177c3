import { inspect } from 'node:util';
import {
  DEMO_ACCOUNT_ID,
  DEMO_TUNNEL_ID,
  DEMO_TUNNEL_ID_2,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { createPskClient, type PskClientOptions } from '../client.js';
import { classifyHealth } from '../health.js';
import { rejection } from '../test-support/fake-fetch.js';

// Real HTTP against the local simulator: the health query core sends is the one the simulator (and the spec it
// validates against) describes, and the tunnel reads carry the delivery facts.
const TOKEN = 'SENTINELhealthToken7f6e5d';
const ROTATION_ONLY = 'SENTINELrotationOnly4c3b2a';
let sim: Simulator | undefined;
afterEach(async () => {
  expect(sim?.specViolations ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}) {
  sim = await startSimulator({
    apiTokens: [TOKEN, ROTATION_ONLY],
    apiTokensWithoutAnalytics: [ROTATION_ONLY],
    ...options,
  });
  return sim;
}

function client(s: Simulator, options: Partial<PskClientOptions> = {}) {
  return createPskClient({
    apiToken: TOKEN,
    baseUrl: s.url,
    accountId: DEMO_ACCOUNT_ID,
    retry: { baseDelayMs: 1 },
    ...options,
  });
}

const fiveMinutesAgo = () => new Date(Date.now() - 300_000);

describe('getTunnelHealth against the simulator', () => {
  it('reads each tunnel’s samples per data centre, and classifyHealth says up, down or unknown', async () => {
    const s = await start({ health: { colos: 4 } });
    s.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2, 0);
    const health = await client(s).getTunnelHealth({
      tunnelNames: ['demo_tunnel_01', 'demo_tunnel_02', 'not_a_tunnel'],
      since: fiveMinutesAgo(),
    });
    expect(s.count({ operation: 'graphql' })).toBe(1);
    const [first, second, third] = health.tunnels;
    expect(first?.samples.map((sample) => [sample.colo, sample.state])).toEqual([
      ['ams01', 1],
      ['fra02', 1],
      ['lhr01', 1],
      ['cdg01', 1],
    ]);
    expect(first?.samples[0]?.count).toBeGreaterThan(0);
    expect(classifyHealth(first?.samples ?? []).state).toBe('up');
    expect(classifyHealth(second?.samples ?? []).state).toBe('down');
    expect(third?.samples).toEqual([]);
    expect(classifyHealth(third?.samples ?? []).state).toBe('unknown');
  });

  it('results not in yet (the dataset’s lag) are unknown, never down; a degraded tunnel is up again', async () => {
    const s = await start({ health: { lagMs: 120_000 } });
    const c = client(s);
    const recent = await c.getTunnelHealth({
      tunnelNames: ['demo_tunnel_01'],
      since: new Date(Date.now() - 60_000),
    });
    expect(classifyHealth(recent.tunnels[0]?.samples ?? []).state).toBe('unknown');
    s.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, 0.5);
    const older = await c.getTunnelHealth({
      tunnelNames: ['demo_tunnel_01'],
      since: new Date(Date.now() - 600_000),
      until: new Date(Date.now() - 130_000),
    });
    expect(classifyHealth(older.tunnels[0]?.samples ?? [])).toMatchObject({ state: 'up', healthyColos: 0 });
  });

  it('a token without Account Analytics Read: analytics_forbidden naming the permission, and no token in it', async () => {
    const s = await start();
    const c = client(s, { apiToken: ROTATION_ONLY });
    // The same token reads the tunnel: only the health query is refused.
    expect((await c.getIpsecTunnel({ ipsecTunnelId: DEMO_TUNNEL_ID })).name).toBe('demo_tunnel_01');
    const error = await rejection(
      c.getTunnelHealth({ tunnelNames: ['demo_tunnel_01'], since: fiveMinutesAgo() }),
    );
    expect(error).toMatchObject({ code: 'analytics_forbidden', outcome: 'not_executed', status: 403 });
    expect(error.message).toMatch(/not authorized for that account.*Account Analytics Read/);
    const printed = [error.message, error.stack, inspect(error, { depth: 8 }), JSON.stringify(error)].join(
      '\n',
    );
    expect(printed).not.toContain(ROTATION_ONLY);
    expect(s.count({ operation: 'graphql' })).toBe(1);
  });

  it('faults: a GraphQL error in a 200 is not retried; a 503 and a reset are', async () => {
    const s = await start();
    const c = client(s);
    const ask = () => c.getTunnelHealth({ tunnelNames: ['demo_tunnel_01'], since: fiveMinutesAgo() });
    s.inject({ type: 'graphql-error', message: 'cannot request data older than 7776000s' });
    expect(await rejection(ask())).toMatchObject({ code: 'graphql_error', status: 200 });
    expect(s.count({ operation: 'graphql' })).toBe(1);
    s.inject({ type: 'status', status: 503, match: { operation: 'graphql' } });
    s.inject({ type: 'reset', match: { operation: 'graphql' } });
    expect((await ask()).tunnels[0]?.samples).toHaveLength(3);
    expect(s.count({ operation: 'graphql' })).toBe(4);
    s.inject({ type: 'omit-psk', match: { operation: 'graphql' }, times: 3 });
    expect(await rejection(ask())).toMatchObject({ code: 'invalid_response' });
  });
});

describe('the delivery facts against the simulator', () => {
  it('getIpsecTunnel and listIpsecTunnels carry what the simulator configured', async () => {
    const s = await start();
    const c = client(s);
    const first = await c.getIpsecTunnel({ ipsecTunnelId: DEMO_TUNNEL_ID });
    expect(first).toMatchObject({
      cloudflareEndpoint: '162.159.66.164',
      customerEndpoint: '203.0.113.10',
      interfaceAddress: '10.213.0.0/31',
      interfaceAddress6: undefined,
      customRemoteIdentity: `demo01.${DEMO_ACCOUNT_ID}.custom.ipsec.cloudflare.com`,
      healthCheckEnabled: true,
      replayProtection: false,
      allowNullCipher: false,
      bgpState: undefined,
    });
    const [, second] = await c.listIpsecTunnels();
    expect(second).toMatchObject({
      id: DEMO_TUNNEL_ID_2,
      bgpState: 'BGP_UP',
      customRemoteIdentity: undefined,
    });
  });
});
