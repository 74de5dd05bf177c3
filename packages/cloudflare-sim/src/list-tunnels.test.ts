import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
import { manyTunnels } from './many-tunnels.js';
import { startSimulator } from './server.js';
import {
  authHeaders,
  envelope,
  generate,
  listTunnels,
  manualClock,
  TOKEN,
  tunnelsUrl,
} from './test-support/http.js';
import type { Simulator, SimulatorOptions } from './types.js';

let sim: Simulator;
let clock: ReturnType<typeof manualClock>;

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  await sim?.close();
  sim = await startSimulator({ apiTokens: [TOKEN], now: clock.now, ...options });
  return sim;
}

beforeEach(async () => {
  clock = manualClock('2026-11-27T00:20:00.750Z');
  await start();
});
afterEach(async () => {
  await sim.close();
});

describe('list_tunnels', () => {
  it('lists the account tunnels as get_tunnel shows them, in configured order, never with a key', async () => {
    const { psk } = (await envelope(await generate(sim))).result;
    const response = await listTunnels(sim);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain(String(psk));
    const body = JSON.parse(text);
    expect(body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(body.result.ipsec_tunnels).toEqual([
      {
        id: DEMO_TUNNEL_ID,
        name: 'demo_tunnel_01',
        description: 'Simulated tunnel (sandbox)',
        cloudflare_endpoint: '162.159.66.164',
        customer_endpoint: '203.0.113.10',
        interface_address: '10.213.0.0/31',
        custom_remote_identities: { fqdn_id: `demo01.${DEMO_ACCOUNT_ID}.custom.ipsec.cloudflare.com` },
        health_check: {
          enabled: true,
          type: 'reply',
          direction: 'unidirectional',
          rate: 'mid',
          target: '203.0.113.10',
        },
        replay_protection: false,
        allow_null_cipher: false,
        created_on: '2026-11-27T00:20:00Z',
        modified_on: '2026-11-27T00:20:00Z',
        psk_metadata: { last_generated_on: '2026-11-27T00:20:00Z' },
      },
      {
        id: DEMO_TUNNEL_ID_2,
        name: 'demo_tunnel_02',
        description: 'Simulated tunnel with an earlier key (sandbox)',
        cloudflare_endpoint: '162.159.67.164',
        customer_endpoint: '203.0.113.10',
        interface_address: '10.213.0.2/31',
        health_check: {
          enabled: true,
          type: 'reply',
          direction: 'bidirectional',
          rate: 'low',
          target: '203.0.113.10',
        },
        replay_protection: false,
        allow_null_cipher: false,
        bgp: { customer_asn: 65010 },
        bgp_status: {
          state: 'BGP_UP',
          tcp_established: true,
          updated_at: '2026-11-27T00:20:00Z',
          bgp_state: 'Established',
          cf_speaker_ip: '10.213.0.2',
          customer_speaker_ip: '10.213.0.3',
        },
        created_on: '2026-11-27T00:20:00Z',
        modified_on: '2025-01-15T09:30:00Z',
        psk_metadata: { last_generated_on: '2025-01-15T09:30:00Z' },
      },
    ]);
    expect(sim.requests[1]).toMatchObject({
      method: 'GET',
      operation: 'list_tunnels',
      accountId: DEMO_ACCOUNT_ID,
      tunnelId: undefined,
      validateOnly: false,
      status: 200,
      persisted: false,
    });
    expect(sim.count({ operation: 'list_tunnels' })).toBe(1);
    expect(sim.specViolations).toEqual([]);
  });

  it('answers an account without tunnels with an empty list', async () => {
    await start({ accounts: [{ id: 'a1', tunnels: [] }] });
    const body = await envelope(await listTunnels(sim, { accountId: 'a1' }));
    expect(body.result).toEqual({ ipsec_tunnels: [] });
    expect(sim.specViolations).toEqual([]);
  });

  it('lists 50 tunnels built by manyTunnels, each with a distinct /31', async () => {
    const account = manyTunnels(50, { namePrefix: 'branch_' });
    await start({ accounts: [account] });
    const tunnels = (await envelope(await listTunnels(sim))).result.ipsec_tunnels ?? [];
    expect(tunnels.map((t) => t.id)).toEqual(account.tunnels.map((t) => t.id));
    expect(tunnels[49]).toMatchObject({ name: 'branch_50' });
    expect(new Set(tunnels.map((t) => t.interface_address)).size).toBe(50);
    expect(sim.specViolations).toEqual([]);
  });

  it('answers 404 code 1001 for an unknown account', async () => {
    const response = await listTunnels(sim, { accountId: 'ffffffffffffffffffffffffffffffff' });
    expect(response.status).toBe(404);
    expect((await envelope(response)).errors).toEqual([{ code: 1001, message: 'Account not found' }]);
    expect(sim.specViolations).toEqual([]);
  });

  it('requires credentials: 400 code 9106 without, 403 code 10000 for unknown ones', async () => {
    const missing = await listTunnels(sim, { headers: {} });
    expect(missing.status).toBe(400);
    expect((await envelope(missing)).errors[0]?.code).toBe(9106);
    const unknown = await listTunnels(sim, { headers: { authorization: 'Bearer someone-else' } });
    expect(unknown.status).toBe(403);
    expect((await envelope(unknown)).errors[0]?.code).toBe(10000);
    expect(sim.specViolations).toEqual([expect.stringContaining('lacks the credentials')]);
  });

  it('counts against the rate limit like every other call', async () => {
    await start({ rateLimit: { limit: 2, windowMs: 10_000 } });
    expect((await listTunnels(sim)).status).toBe(200);
    expect((await generate(sim, { query: 'validate_only=true' })).status).toBe(200);
    const limited = await listTunnels(sim);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect((await envelope(limited)).errors[0]?.code).toBe(1015);
    clock.advance(10_000);
    expect((await listTunnels(sim)).status).toBe(200);
    expect(sim.specViolations).toEqual([]);
  });

  it('checks the spec header x-magic-new-hc-target: a boolean is fine, anything else is 400 code 6003', async () => {
    const fine = await listTunnels(sim, { headers: { ...authHeaders, 'x-magic-new-hc-target': 'true' } });
    expect(fine.status).toBe(200);
    expect(sim.specViolations).toEqual([]);
    const bad = await listTunnels(sim, { headers: { ...authHeaders, 'X-Magic-New-HC-Target': 'maybe' } });
    expect(bad.status).toBe(400);
    expect((await envelope(bad)).errors[0]).toMatchObject({ code: 6003 });
    expect(sim.specViolations).toEqual([
      expect.stringContaining('header /x-magic-new-hc-target must be boolean'),
    ]);
  });

  it('answers 405 with Allow: GET for another method', async () => {
    const response = await fetch(tunnelsUrl(sim), { method: 'POST', headers: authHeaders, body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});

describe('faults on list_tunnels', () => {
  it('omit-psk drops psk_metadata from every tunnel', async () => {
    sim.inject({ type: 'omit-psk', match: { operation: 'list_tunnels' } });
    const tunnels = (await envelope(await listTunnels(sim))).result.ipsec_tunnels ?? [];
    expect(tunnels).toHaveLength(2);
    for (const tunnel of tunnels) {
      expect(tunnel).toMatchObject({ id: expect.any(String), name: expect.any(String) });
      expect(tunnel).not.toHaveProperty('psk_metadata');
    }
    expect(sim.specViolations).toEqual([]);
  });

  it('status, truncate, invalid-json, reset and delay act as on the other operations', async () => {
    sim.inject({ type: 'status', status: 503, retryAfterSeconds: 2 });
    sim.inject({ type: 'truncate' });
    sim.inject({ type: 'invalid-json' });
    sim.inject({ type: 'reset' });
    sim.inject({ type: 'delay', ms: 100 });
    const failed = await listTunnels(sim);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect((await envelope(failed)).errors[0]?.code).toBe(10001);
    const truncated = await listTunnels(sim);
    expect(truncated.status).toBe(200);
    await expect(truncated.json()).rejects.toThrow();
    await expect((await listTunnels(sim)).json()).rejects.toThrow(SyntaxError);
    await expect(listTunnels(sim)).rejects.toThrow(TypeError);
    const started = Date.now();
    expect((await envelope(await listTunnels(sim))).result.ipsec_tunnels).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(sim.requests.map((r) => r.persisted)).toEqual([false, false, false, false, false]);
    expect(sim.specViolations).toEqual([]);
  });
});
