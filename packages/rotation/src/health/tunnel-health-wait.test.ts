import { DEMO_ACCOUNT_ID, manyTunnels, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTunnelHealth } from './check-health.js';
import { awaitTunnelHealth, type HealthTarget } from './tunnel-health-wait.js';

// The check after delivery: a bounded wait on Cloudflare's health view, against the simulator's health model.
// "No data yet" must never read as down; a missing permission ends the wait at once; a tunnel coming back is
// seen at the next poll.

const TOKEN = 'SENTINELhealthToken5t4r3e2w';
const NO_ANALYTICS = 'SENTINELnoAnalytics1q2w3e4r';
const FLEET = manyTunnels(25);
const ids = FLEET.tunnels.map((tunnel) => tunnel.id);
const names = FLEET.tunnels.map((tunnel) => tunnel.name);

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: Parameters<typeof startSimulator>[0] = {}) {
  sim = await startSimulator({
    apiTokens: [TOKEN],
    apiTokensWithoutAnalytics: [NO_ANALYTICS],
    accounts: [FLEET],
    ...options,
  });
  return sim;
}

const client = (s: Simulator, token = TOKEN) => createPskClient({ apiToken: token, baseUrl: s.url });
const targets = (count: number, since = new Date()): HealthTarget[] =>
  ids.slice(0, count).map((tunnelId, index) => ({ tunnelId, name: names[index], since }));
const graphqlCalls = (s: Simulator) => s.count({ operation: 'graphql' });

describe('waiting for Cloudflare to see delivered tunnels up', () => {
  it('says up at the first poll when every data centre sees the tunnel', async () => {
    const s = await start();
    const health = await awaitTunnelHealth(client(s), DEMO_ACCOUNT_ID, targets(2), { waitMs: 5_000 });
    expect([...health.values()].map((h) => h.state)).toEqual(['up', 'up']);
    expect(health.get(ids[0] ?? '')).toMatchObject({ colos: 3, detail: expect.stringMatching(/3 of 3/) });
    expect(graphqlCalls(s)).toBe(1);
  });

  it('sees a tunnel that comes back at a later poll, and stops asking then', async () => {
    const s = await start();
    s.setTunnelState(DEMO_ACCOUNT_ID, ids[0] ?? '', 0);
    let polls = 0;
    const health = await awaitTunnelHealth(client(s), DEMO_ACCOUNT_ID, targets(1), {
      waitMs: 10_000,
      pollMs: 1,
      sleep: async () => {
        polls += 1;
        if (polls === 2) s.setTunnelState(DEMO_ACCOUNT_ID, ids[0] ?? '', 0.5);
      },
    });
    expect(health.get(ids[0] ?? '')).toMatchObject({
      state: 'up',
      detail: expect.stringMatching(/degraded/),
    });
    expect(graphqlCalls(s)).toBe(3);
  });

  it('says down after the bounded wait, with what to check on the device', async () => {
    const s = await start();
    s.setTunnelState(DEMO_ACCOUNT_ID, ids[0] ?? '', 0);
    const health = await awaitTunnelHealth(client(s), DEMO_ACCOUNT_ID, targets(1), {
      waitMs: 150,
      pollMs: 50,
    });
    expect(health.get(ids[0] ?? '')).toMatchObject({
      state: 'down',
      detail: expect.stringMatching(/0 of 3 .*key and IKE identity on the device/),
    });
    expect(graphqlCalls(s)).toBeGreaterThanOrEqual(2);
  });

  it('never says down when Cloudflare has no data yet: unknown, with how to ask again', async () => {
    const s = await start({ health: { lagMs: 60_000 } });
    const health = await awaitTunnelHealth(client(s), DEMO_ACCOUNT_ID, targets(1), {
      waitMs: 100,
      pollMs: 50,
    });
    expect(health.get(ids[0] ?? '')).toMatchObject({
      state: 'unknown',
      detail: expect.stringMatching(/No verdict|not "down".*ask again/s),
    });
  });

  it('ends at once, unknown, when the token may not read analytics, and names the permission', async () => {
    const s = await start();
    const health = await awaitTunnelHealth(client(s, NO_ANALYTICS), DEMO_ACCOUNT_ID, targets(2), {
      waitMs: 60_000,
      pollMs: 60_000,
    });
    for (const h of health.values()) {
      expect(h).toMatchObject({ state: 'unknown', detail: expect.stringMatching(/Account Analytics Read/) });
    }
    expect(graphqlCalls(s)).toBe(1);
  });

  it('does not ask about a tunnel without health checks, or whose name is unknown', async () => {
    const s = await start();
    const health = await awaitTunnelHealth(
      client(s),
      DEMO_ACCOUNT_ID,
      [
        { tunnelId: ids[0] ?? '', name: names[0], since: new Date(), healthCheckEnabled: false },
        { tunnelId: ids[1] ?? '', name: undefined, since: new Date() },
      ],
      { waitMs: 5_000 },
    );
    expect(health.get(ids[0] ?? '')).toMatchObject({ state: 'unknown', detail: /no health checks/ });
    expect(health.get(ids[1] ?? '')).toMatchObject({ state: 'unknown', detail: /name is not known/ });
    expect(graphqlCalls(s)).toBe(0);
  });

  it('asks about at most 20 tunnels per query: 25 tunnels, two queries per poll', async () => {
    const s = await start();
    const health = await awaitTunnelHealth(client(s), DEMO_ACCOUNT_ID, targets(25), { waitMs: 5_000 });
    expect([...health.values()].every((h) => h.state === 'up')).toBe(true);
    expect(health.size).toBe(25);
    expect(graphqlCalls(s)).toBe(2);
  });
});

describe('asking later (ipsec-psk health, check_ipsec_tunnel_health)', () => {
  it('reads each tunnel’s name, then its health: up, down, and unknown for one that cannot be read', async () => {
    const s = await start();
    s.setTunnelState(DEMO_ACCOUNT_ID, ids[1] ?? '', 0);
    const missing = 'f'.repeat(32);
    const report = await checkTunnelHealth(client(s), {
      accountId: DEMO_ACCOUNT_ID,
      tunnelIds: [ids[0] ?? '', ids[1] ?? '', missing],
    });
    expect(report.map((r) => [r.ipsec_tunnel_id, r.tunnel_name, r.health.state])).toEqual([
      [ids[0], names[0], 'up'],
      [ids[1], names[1], 'down'],
      [missing, undefined, 'unknown'],
    ]);
    expect(report[2]?.health.detail).toMatch(/could not be read \(HTTP 404, /);
  });
});
