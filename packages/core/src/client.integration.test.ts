import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPskClient, type PskClientOptions } from './client.js';
import { rejection } from './test-support/fake-fetch.js';

// Real HTTP against the local simulator: every outcome row is checked by what the server actually received.
const TOKEN = 'SENTINELintegrationToken9f8e7d';
const ids = { accountId: DEMO_ACCOUNT_ID, ipsecTunnelId: DEMO_TUNNEL_ID };
let sim: Simulator;

beforeEach(async () => {
  sim = await startSimulator({
    apiTokens: [TOKEN],
    apiKeys: [{ email: 'ops@example.com', key: 'SENTINELglobalKey1a2b3c' }],
    rateLimit: { limit: 1200, windowMs: 300_000 },
  });
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
});

function client(options: Partial<PskClientOptions> = {}) {
  return createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { baseDelayMs: 1 }, ...options });
}

const persistingCalls = () => sim.count({ operation: 'psk_generate', validateOnly: false });
const rotations = () => sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations;

describe('generated', () => {
  it('returns the key the server persisted, after exactly one request', async () => {
    const result = await client().generateIpsecPsk(ids);
    const state = sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    expect(persistingCalls()).toBe(1);
    expect(state?.rotations).toBe(1);
    expect(result.psk.reveal()).toBe(state?.psk);
    expect(result.lastGeneratedOn).toBe(state?.lastGeneratedOn);
    expect(inspect(result)).not.toContain(state?.psk);
  });

  it('works with an email and Global API key too', async () => {
    const result = await client({
      apiToken: undefined,
      apiEmail: 'ops@example.com',
      apiKey: 'SENTINELglobalKey1a2b3c',
    }).generateIpsecPsk(ids);
    expect(result.psk.reveal()).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
  });
});

describe('validate-only', () => {
  it('sends validate_only=true once and changes nothing', async () => {
    const before = sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    const result = await client().generateIpsecPsk({ ...ids, validateOnly: true });
    expect(result.validateOnly).toBe(true);
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]?.query).toEqual({ validate_only: 'true' });
    expect(sim.count({ operation: 'psk_generate', validateOnly: true })).toBe(1);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toEqual(before);
    expect(result).not.toHaveProperty('psk');
  });

  it('is retried after a 503 and a reset, since it persists nothing', async () => {
    sim.inject({ type: 'status', status: 503, match: { validateOnly: true } });
    sim.inject({ type: 'reset', match: { validateOnly: true } });
    await client().generateIpsecPsk({ ...ids, validateOnly: true });
    expect(sim.count({ operation: 'psk_generate', validateOnly: true })).toBe(3);
    expect(rotations()).toBe(0);
  });
});

describe('outcome unknown: the persisting call reaches the server exactly once', () => {
  it.each([
    ['HTTP 500 (not persisted)', { type: 'status', status: 500 }, 'api_error', 0],
    ['HTTP 502 after persisting', { type: 'status', status: 502, persist: true }, 'api_error', 1],
    ['a connection reset after persisting', { type: 'reset' }, 'network', 1],
    ['a body truncated inside the key', { type: 'truncate' }, 'invalid_response', 1],
    ['a 200 without a psk', { type: 'omit-psk' }, 'invalid_response', 1],
    ['a 200 that is not JSON', { type: 'invalid-json' }, 'invalid_response', 1],
  ] as const)('%s', async (_name, fault, code, persisted) => {
    sim.inject(fault);
    const error = await rejection(client().generateIpsecPsk(ids));
    expect(error).toMatchObject({ code, outcome: 'unknown' });
    expect(error.message).toContain('may already be replaced');
    expect(persistingCalls()).toBe(1);
    expect(rotations()).toBe(persisted);
  });

  it('a timeout after sending', async () => {
    sim.inject({ type: 'delay', ms: 2_000 });
    const error = await rejection(client({ timeoutMs: 150 }).generateIpsecPsk(ids));
    expect(error).toMatchObject({ code: 'timeout', outcome: 'unknown' });
    expect(persistingCalls()).toBe(1);
  });

  it('an abort after sending', async () => {
    sim.inject({ type: 'delay', ms: 2_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(client().generateIpsecPsk({ ...ids, signal: controller.signal }));
    expect(error).toMatchObject({ code: 'aborted', outcome: 'unknown' });
    expect(persistingCalls()).toBe(1);
  });

  it('the check-back tells a rotation from none', async () => {
    const c = client();
    const before = await c.getIpsecTunnel(ids);
    sim.inject({ type: 'reset' });
    await rejection(c.generateIpsecPsk(ids));
    const after = await c.getIpsecTunnel(ids);
    expect(after.lastGeneratedOn).not.toBe(before.lastGeneratedOn);
    expect(after.lastGeneratedOn).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.lastGeneratedOn);
  });
});

describe('not executed', () => {
  it('429 → rate_limited with retryAfterSeconds, one request, nothing rotated', async () => {
    sim.inject({ type: 'status', status: 429, retryAfterSeconds: 37 });
    const error = await rejection(client().generateIpsecPsk(ids));
    expect(error).toMatchObject({
      code: 'rate_limited',
      outcome: 'not_executed',
      status: 429,
      retryAfterSeconds: 37,
    });
    expect(persistingCalls()).toBe(1);
    expect(rotations()).toBe(0);
  });

  it("the simulator's own rate limit → rate_limited with its Retry-After", async () => {
    await sim.close();
    sim = await startSimulator({ apiTokens: [TOKEN], rateLimit: { limit: 1, windowMs: 60_000 } });
    await client().getIpsecTunnel(ids);
    const error = await rejection(client().generateIpsecPsk(ids));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(rotations()).toBe(0);
  });

  it('an unknown tunnel → not_found with Cloudflare’s error code', async () => {
    const error = await rejection(
      client().generateIpsecPsk({ ...ids, ipsecTunnelId: 'ffffffffffffffffffffffffffffffff' }),
    );
    expect(error).toMatchObject({ code: 'not_found', outcome: 'not_executed', status: 404 });
    expect(error.cloudflareErrors.length).toBeGreaterThan(0);
    expect(rotations()).toBe(0);
  });

  it('a wrong token → forbidden, without echoing it', async () => {
    const error = await rejection(client({ apiToken: 'SENTINELwrongToken000111' }).generateIpsecPsk(ids));
    expect(error).toMatchObject({ code: 'forbidden', outcome: 'not_executed', status: 403 });
    expect(JSON.stringify(error) + error.message).not.toContain('SENTINELwrongToken000111');
  });

  it('a refused connection → network, not executed', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const error = await rejection(
      client({ baseUrl: `http://127.0.0.1:${port}/client/v4` }).generateIpsecPsk(ids),
    );
    expect(error).toMatchObject({ code: 'network', outcome: 'not_executed' });
  });

  it.each([
    ['33 characters', 'a'.repeat(33)],
    ['a slash', 'a/b'],
    ['a question mark', 'a?b'],
    ['a hash', 'a#b'],
    ['a percent sign', 'a%2e'],
    ['two dots', '..'],
    ['a space', 'a b'],
  ])('an id with %s is refused with zero requests', async (_shape, bad) => {
    const c = client();
    await rejection(c.generateIpsecPsk({ ...ids, ipsecTunnelId: bad }));
    await rejection(c.generateIpsecPsk({ ...ids, accountId: bad, validateOnly: true }));
    await rejection(c.getIpsecTunnel({ ...ids, ipsecTunnelId: bad }));
    expect(sim.requests).toHaveLength(0);
  });
});

// #7.14: a 307/308 on the persisting path would make a following client send the POST again: a second rotation.
describe('#7.14 redirects are never followed', () => {
  async function redirectingServer(status: number) {
    const { createServer: createHttpServer } = await import('node:http');
    const hits: string[] = [];
    const server = createHttpServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(status, { location: req.url ?? '/' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { hits, baseUrl: `http://127.0.0.1:${port}/client/v4`, close: () => server.close() };
  }

  it.each([307, 308])('a %i on generateIpsecPsk: one request, not executed', async (status) => {
    const server = await redirectingServer(status);
    try {
      const error = await rejection(client({ baseUrl: server.baseUrl }).generateIpsecPsk(ids));
      expect(error).toMatchObject({ code: 'api_error', outcome: 'not_executed', status });
      expect(server.hits).toHaveLength(1);
    } finally {
      server.close();
    }
  });

  it.each([307, 308])('a %i through client.api: one request, the redirect handed back', async (status) => {
    const server = await redirectingServer(status);
    try {
      const { response } = await client({ baseUrl: server.baseUrl }).api.POST(
        '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate',
        {
          params: {
            path: { account_id: DEMO_ACCOUNT_ID, ipsec_tunnel_id: DEMO_TUNNEL_ID },
            query: { validate_only: true },
          },
        },
      );
      expect(response.status).toBe(status);
      expect(server.hits).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
