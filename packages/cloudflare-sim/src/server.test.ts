import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
import { startSimulator } from './server.js';
import {
  authHeaders,
  envelope,
  generate,
  getTunnel,
  manualClock,
  TOKEN,
  tunnelUrl,
} from './test-support/http.js';
import type { Simulator, SimulatorOptions } from './types.js';

const EMAIL = 'ops@example.com';
const KEY = 'gak_Sim7GlobalKey0Never1Echoed2';

let sim: Simulator;
let clock: ReturnType<typeof manualClock>;

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  await sim?.close();
  sim = await startSimulator({
    apiTokens: [TOKEN],
    apiKeys: [{ email: EMAIL, key: KEY }],
    now: clock.now,
    ...options,
  });
  return sim;
}

beforeEach(async () => {
  clock = manualClock('2026-11-27T00:20:00.750Z');
  await start();
});
afterEach(async () => {
  await sim.close();
});

describe('auth', () => {
  it('accepts a bearer token and an email + Global API key pair', async () => {
    expect((await getTunnel(sim)).status).toBe(200);
    const keyed = await getTunnel(sim, { headers: { 'x-auth-email': EMAIL, 'x-auth-key': KEY } });
    expect(keyed.status).toBe(200);
  });

  it('answers 400 with code 9106 when credentials are missing or incomplete', async () => {
    const incomplete: Record<string, string>[] = [{}, { 'x-auth-email': EMAIL }, { 'x-auth-key': KEY }];
    for (const headers of incomplete) {
      const response = await getTunnel(sim, { headers });
      expect(response.status).toBe(400);
      expect((await envelope(response)).errors[0]?.code).toBe(9106);
    }
  });

  it('answers 403 with code 10000 for unknown credentials, and persists nothing', async () => {
    const token = await generate(sim, { headers: { authorization: 'Bearer someone-else' } });
    const pair = await generate(sim, { headers: { 'x-auth-email': EMAIL, 'x-auth-key': 'wrong' } });
    for (const response of [token, pair]) {
      expect(response.status).toBe(403);
      expect(await envelope(response)).toMatchObject({
        success: false,
        errors: [{ code: 10000 }],
        result: null,
      });
    }
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
  });

  it('refuses a malformed Authorization header with 400', async () => {
    const response = await getTunnel(sim, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(response.status).toBe(400);
    expect((await envelope(response)).errors[0]?.code).toBe(6003);
  });

  it('in sandbox mode accepts any credential but still requires one', async () => {
    await start({ apiTokens: [], apiKeys: [], acceptAnyCredentials: true });
    expect((await getTunnel(sim, { headers: { authorization: 'Bearer anything' } })).status).toBe(200);
    expect((await getTunnel(sim, { headers: { 'x-auth-email': 'a@b.c', 'x-auth-key': 'k' } })).status).toBe(
      200,
    );
    expect((await getTunnel(sim, { headers: {} })).status).toBe(400);
  });
});

describe('psk_generate', () => {
  it('rotates: new 32-char PSK, lastGeneratedOn from the injected clock at second precision', async () => {
    const first = await envelope(await generate(sim));
    const state = sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    expect(first).toMatchObject({ success: true, errors: [], messages: [] });
    expect(first.result.ipsec_tunnel_id).toBe(DEMO_TUNNEL_ID);
    expect(first.result.psk).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(first.result.psk_metadata).toEqual({ last_generated_on: '2026-11-27T00:20:00Z' });
    expect(state).toEqual({
      id: DEMO_TUNNEL_ID,
      name: 'demo_tunnel_01',
      psk: first.result.psk,
      lastGeneratedOn: '2026-11-27T00:20:00Z',
      rotations: 1,
      tunnelState: 1,
    });

    clock.advance(65_000);
    const second = await envelope(await generate(sim, { query: 'validate_only=false' }));
    expect(second.result.psk).not.toBe(first.result.psk);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toMatchObject({
      psk: second.result.psk,
      lastGeneratedOn: '2026-11-27T00:21:05Z',
      rotations: 2,
    });
    expect(sim.requests.map((r) => r.persisted)).toEqual([true, true]);
  });

  it('accepts no body as well as {}', async () => {
    const response = await generate(sim, { body: null, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(1);
  });

  it('with validate_only=true changes nothing and returns a key that is not stored', async () => {
    const before = sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2);
    const response = await generate(sim, { tunnelId: DEMO_TUNNEL_ID_2, query: 'validate_only=true' });
    const body = await envelope(response);
    expect(response.status).toBe(200);
    expect(body.result.psk).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(body.result.psk_metadata).toEqual({ last_generated_on: '2025-01-15T09:30:00Z' });
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2)).toEqual(before);
    expect(before).toMatchObject({ psk: undefined, rotations: 0 });
    expect(sim.requests[0]).toMatchObject({ validateOnly: true, persisted: false, status: 200 });
  });

  it('answers 404 for an unknown tunnel or account', async () => {
    const tunnel = await generate(sim, { tunnelId: 'ffffffffffffffffffffffffffffffff' });
    const account = await generate(sim, { accountId: 'ffffffffffffffffffffffffffffffff' });
    expect(tunnel.status).toBe(404);
    expect((await envelope(tunnel)).errors[0]).toEqual({ code: 1001, message: 'IPsec tunnel not found' });
    expect(account.status).toBe(404);
    expect((await envelope(account)).errors[0]?.code).toBe(1001);
    expect(sim.specViolations).toEqual([]);
  });

  it('answers 400 with code 7003 for a 33-character id', async () => {
    const response = await generate(sim, { tunnelId: `${DEMO_TUNNEL_ID}0` });
    expect(response.status).toBe(400);
    expect((await envelope(response)).errors[0]?.code).toBe(7003);
    expect(sim.specViolations).toEqual([
      expect.stringContaining('path /ipsec_tunnel_id must NOT have more than 32'),
    ]);
  });

  it('percent-decodes path ids before validating them', async () => {
    const encoded = [...DEMO_TUNNEL_ID].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const response = await generate(sim, { tunnelId: encoded });
    expect(response.status).toBe(200);
    expect(sim.requests[0]?.tunnelId).toBe(DEMO_TUNNEL_ID);
  });

  it.each(['yes', '1', 'TRUE', '', 'true&validate_only=false'])(
    'answers 400 for validate_only=%s and persists nothing',
    async (value) => {
      const response = await generate(sim, { query: `validate_only=${value}` });
      expect(response.status).toBe(400);
      expect((await envelope(response)).errors[0]).toMatchObject({ code: 1002 });
      expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
    },
  );

  it('answers 400 with a source.pointer for a body with extra fields, and for non-JSON', async () => {
    const extra = await generate(sim, { body: '{"x":1}' });
    expect(extra.status).toBe(400);
    expect((await envelope(extra)).errors[0]).toMatchObject({ code: 1002, source: { pointer: '/x' } });
    const notJson = await generate(sim, { body: '{x' });
    expect(notJson.status).toBe(400);
    expect((await envelope(notJson)).errors[0]).toMatchObject({ code: 1002, source: { pointer: '' } });
    const notObject = await generate(sim, { body: '[]' });
    expect(notObject.status).toBe(400);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
  });

  it('answers 415 for a body that is not sent as JSON', async () => {
    const response = await generate(sim, {
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(415);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
  });
});

describe('get_tunnel', () => {
  it('returns the tunnel and the last generation time, never the PSK', async () => {
    const fresh = await envelope(await getTunnel(sim));
    expect(fresh.result.ipsec_tunnel).toEqual({
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
      psk_metadata: {},
    });
    clock.advance(3_000);
    const { psk } = (await envelope(await generate(sim))).result;
    const response = await getTunnel(sim);
    const text = await response.text();
    expect(text).not.toContain(String(psk));
    expect(JSON.parse(text).result.ipsec_tunnel).toMatchObject({
      modified_on: '2026-11-27T00:20:03Z',
      psk_metadata: { last_generated_on: '2026-11-27T00:20:03Z' },
    });
    expect(JSON.parse(text).result.ipsec_tunnel).not.toHaveProperty('psk');
  });
});

describe('routing', () => {
  it('answers 404 code 7000 for unknown paths and 405 for a wrong method', async () => {
    const unknown = await fetch(`${sim.url}/accounts/${DEMO_ACCOUNT_ID}/magic/gre_tunnels`, {
      headers: authHeaders,
    });
    expect(unknown.status).toBe(404);
    expect((await envelope(unknown)).errors[0]).toEqual({ code: 7000, message: 'No route for that URI' });
    const wrong = await fetch(tunnelUrl(sim), { method: 'DELETE', headers: authHeaders });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await envelope(wrong)).errors[0]?.code).toBe(7001);
    const wrongGenerate = await fetch(`${tunnelUrl(sim)}/psk_generate`, { headers: authHeaders });
    expect(wrongGenerate.status).toBe(405);
    expect(wrongGenerate.headers.get('allow')).toBe('POST');
    expect(sim.requests.map((r) => r.operation)).toEqual([undefined, undefined, undefined]);
  });
});

describe('rate limit', () => {
  it('answers 429 with code 1015 and Retry-After once a credential spends its window, and does nothing', async () => {
    await start({ rateLimit: { limit: 2, windowMs: 10_000 } });
    expect((await generate(sim)).status).toBe(200);
    expect((await getTunnel(sim)).status).toBe(200);
    clock.advance(1_500);
    const limited = await generate(sim);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('9');
    expect((await envelope(limited)).errors[0]?.code).toBe(1015);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(1);
    expect(sim.requests.at(-1)).toMatchObject({ status: 429, persisted: false });

    const other = await getTunnel(sim, { headers: { 'x-auth-email': EMAIL, 'x-auth-key': KEY } });
    expect(other.status).toBe(200);
    clock.advance(8_500);
    expect((await generate(sim)).status).toBe(200);
    expect(sim.specViolations).toEqual([]);
  });
});

describe('records', () => {
  it('records each request with its outcome, and count() filters them', async () => {
    await generate(sim, { query: 'validate_only=true' });
    await generate(sim);
    await getTunnel(sim);
    await generate(sim, { query: 'validate_only=true' });
    await generate(sim, { headers: {} });
    expect(sim.requests[1]).toMatchObject({
      method: 'POST',
      path: `/client/v4/accounts/${DEMO_ACCOUNT_ID}/magic/ipsec_tunnels/${DEMO_TUNNEL_ID}/psk_generate`,
      operation: 'psk_generate',
      accountId: DEMO_ACCOUNT_ID,
      tunnelId: DEMO_TUNNEL_ID,
      validateOnly: false,
      query: {},
      body: '{}',
      status: 200,
      persisted: true,
    });
    expect(sim.requests[1]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sim.requests[0]?.query).toEqual({ validate_only: 'true' });
    expect(sim.count()).toBe(5);
    expect(sim.count({ operation: 'psk_generate' })).toBe(4);
    expect(sim.count({ operation: 'get_tunnel' })).toBe(1);
    expect(sim.count({ validateOnly: true })).toBe(2);
    // validateOnly filters only psk_generate: the GET is not counted as validateOnly=false.
    expect(sim.count({ validateOnly: false })).toBe(2);
    expect(sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(2);
  });
});

describe('latency', () => {
  it('latencyMs holds every answer at least that long, and requests sent together arrive together', async () => {
    await start({ latencyMs: 120 });
    const sent = Date.now();
    await Promise.all([getTunnel(sim), generate(sim, { query: 'validate_only=true' })]);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(120);
    const [first, second] = sim.requests;
    expect(Math.abs((first?.receivedAt ?? 0) - (second?.receivedAt ?? 0))).toBeLessThan(120);
    expect(first?.receivedAt).toBeGreaterThanOrEqual(sent);
  });
});

describe('spec validation', () => {
  it('finds nothing to report after normal traffic', async () => {
    await generate(sim, { query: 'validate_only=true' });
    await generate(sim, { query: 'validate_only=false' });
    await getTunnel(sim);
    await getTunnel(sim, { tunnelId: DEMO_TUNNEL_ID_2 });
    await generate(sim, { tunnelId: 'ffffffffffffffffffffffffffffffff' });
    await generate(sim, { headers: { authorization: 'Bearer nope' } });
    expect(sim.count()).toBe(6);
    expect(sim.specViolations).toEqual([]);
  });

  it('records a response that breaks the spec, and still sends it', async () => {
    await start({
      accounts: [{ id: 'a1', tunnels: [{ id: 't1', name: 'x', lastGeneratedOn: 'yesterday' }] }],
    });
    const response = await getTunnel(sim, { accountId: 'a1', tunnelId: 't1' });
    expect(response.status).toBe(200);
    expect(sim.specViolations).toEqual([
      expect.stringContaining('200 body /result/ipsec_tunnel/modified_on must match format "date-time"'),
      expect.stringContaining(
        '200 body /result/ipsec_tunnel/psk_metadata/last_generated_on must match format "date-time"',
      ),
    ]);
  });

  it('refuses to start with ids the spec would reject', async () => {
    await expect(startSimulator({ accounts: [{ id: 'a'.repeat(33), tunnels: [] }] })).rejects.toThrow(
      RangeError,
    );
    await expect(
      startSimulator({ accounts: [{ id: 'a', tunnels: [{ id: 'b'.repeat(33), name: 'x' }] }] }),
    ).rejects.toThrow(RangeError);
  });
});

describe('secrets', () => {
  it('never echoes a credential in a response body or a spec violation', async () => {
    await start({ rateLimit: { limit: 4, windowMs: 60_000 } });
    const responses = [
      await generate(sim),
      await generate(sim, { body: `{"${TOKEN}":1}`.replace(TOKEN, 'x') }),
      await generate(sim, { headers: { authorization: `Bearer ${TOKEN}x` } }),
      await generate(sim, { headers: { authorization: `Basic ${TOKEN}` } }),
      await generate(sim, { headers: { 'x-auth-email': EMAIL, 'x-auth-key': `${KEY}x` } }),
      await generate(sim, { headers: { 'x-auth-email': EMAIL } }),
      await generate(sim, { tunnelId: 'ffffffffffffffffffffffffffffffff' }),
      await generate(sim, { query: 'validate_only=maybe' }),
      await fetch(`${sim.url}/nowhere`, { headers: authHeaders }),
      await generate(sim),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 400, 403, 400, 403, 400, 404, 400, 404, 429]);
    const texts = await Promise.all(responses.map((r) => r.text()));
    for (const text of [...texts, ...sim.specViolations]) {
      for (const secret of [TOKEN, KEY, EMAIL]) expect(text).not.toContain(secret);
    }
  });
});

describe('close', () => {
  it('does not wait for keep-alive connections', async () => {
    expect((await getTunnel(sim)).status).toBe(200);
    const started = Date.now();
    await sim.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
