import { DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { bearerTokenVerifier, hashToken, parseTokenList } from './http/bearer-tokens.js';
import type { HttpConfig } from './http/http-config.js';
import { connectHttp } from './test-support/clients.js';
import { type HttpHarness, startHttpHarness } from './test-support/http-harness.js';

// Issue 19, items 2 and 3: one principal cannot take every session slot, and no request shape (a JSON-RPC batch, a
// tool that reads many tunnels, a bad token) spends more of the operator's Cloudflare quota than its rate limit.

const ALICE = 'ipsk_SENTINELlimitsAlice000000000000000000001';
const VIEWER = 'ipsk_SENTINELlimitsViewer00000000000000000002';
const TOKENS = `alice ${hashToken(ALICE)}\nviewer ${hashToken(VIEWER)} psk:validate`;

let h: HttpHarness;
afterEach(async () => {
  await h?.close();
});

async function serve(tweak: (config: HttpConfig) => HttpConfig): Promise<HttpHarness> {
  h = await startHttpHarness({
    env: { IPSEC_PSK_HTTP_TOKENS: TOKENS.replaceAll('\n', ',') },
    verifier: bearerTokenVerifier(parseTokenList(TOKENS, 'IPSEC_PSK_HTTP_TOKENS')),
    tweak,
  });
  return h;
}

function post(body: unknown, token: string | undefined, headers: Record<string, string> = {}) {
  return fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const initialize = (id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
});
const call = (id: number, name: string, args: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** Opens a 2025-11-25 session by hand; its id. */
async function session(token: string): Promise<string> {
  const response = await post(initialize(), token);
  expect(response.status).toBe(200);
  await response.body?.cancel();
  return response.headers.get('mcp-session-id') ?? '';
}

describe('#19.2 sessions per principal', { timeout: 30_000 }, () => {
  it('one principal holds at most its own cap; the others still get in', async () => {
    await serve((config) => ({ ...config, maxSessions: 4, maxSessionsPerPrincipal: 2 }));
    await session(VIEWER);
    await session(VIEWER);
    const third = await post(initialize(), VIEWER);
    expect(third.status).toBe(429);
    expect(await third.text()).toMatch(/at most 2 open sessions per user/);
    expect(await session(ALICE)).not.toBe('');
  });

  it('when every slot is taken, the principal holding most gives up its longest-idle session', async () => {
    await serve((config) => ({ ...config, maxSessions: 3, maxSessionsPerPrincipal: 3 }));
    const first = await session(VIEWER);
    await session(VIEWER);
    await session(VIEWER);
    // A validate-only monitor cannot make a rotate user's initialize fail.
    expect(await session(ALICE)).not.toBe('');
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    const stale = await post(ping, VIEWER, { 'mcp-session-id': first, 'mcp-protocol-version': '2025-11-25' });
    expect(stale.status).toBe(404);
    expect(h.handle.sessions.size).toBe(3);
  });
});

describe('#19.3 every call and every Cloudflare request counts', { timeout: 30_000 }, () => {
  const limited = (config: HttpConfig) => ({ ...config, rateLimitPerMinute: 5 });
  const cloudflare = () => h.sim.requests.length;
  /** Distinct tunnel ids: each one a read at Cloudflare (a 404 for most: it is the request that counts). */
  const tunnelId = (i: number) => (i === 0 ? DEMO_TUNNEL_ID : i.toString(16).padStart(32, 'a'));

  it('a batch is refused in protocol versions without batching, before anything runs', async () => {
    await serve(limited);
    const id = await session(VIEWER);
    const batch = Array.from({ length: 20 }, (_, i) => call(i + 2, 'list_ipsec_tunnels', {}));
    const refused = await post(batch, VIEWER, { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/batch.*2025-06-18/i);
    expect(cloudflare()).toBe(0);
  });

  it('a batch where batching exists counts each call: 20 calls against 5 a minute are refused whole', async () => {
    await serve(limited);
    const batch = Array.from({ length: 20 }, (_, i) => call(i + 2, 'list_ipsec_tunnels', {}));
    const response = await post(batch, VIEWER);
    expect(response.status).toBe(429);
    expect(cloudflare()).toBe(0);
  });

  it('under 5 a minute, no request shape causes more than 5 Cloudflare requests', async () => {
    await serve(limited);
    for (const era of ['modern', 'legacy'] as const) {
      const c = await connectHttp(h.url, { era, token: VIEWER }).catch(() => undefined);
      if (!c) continue;
      // One call that reads 40 tunnels (each read a Cloudflare request), then a validate-only fleet and lists.
      const many = Array.from({ length: 40 }, (_, i) => tunnelId(i));
      await c.call('check_ipsec_tunnel_health', { ipsec_tunnel_ids: many }).catch(() => undefined);
      for (let i = 0; i < 5; i++) {
        await c
          .call('rotate_ipsec_psks', {
            ipsec_tunnel_ids: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2],
            validate_only: true,
          })
          .catch(() => undefined);
        await c.call('list_ipsec_tunnels', {}).catch(() => undefined);
      }
      await c.close();
    }
    expect(cloudflare()).toBeGreaterThan(0);
    expect(cloudflare()).toBeLessThanOrEqual(5);
  });

  it('a tool reading many tunnels is cut at the budget: the rest are answered rate-limited, not asked', async () => {
    await serve((config) => ({ ...config, rateLimitPerMinute: 8 }));
    const c = await connectHttp(h.url, { era: 'modern', token: VIEWER });
    const ids = Array.from({ length: 30 }, (_, i) => tunnelId(i));
    const result = await c.call('check_ipsec_tunnel_health', { ipsec_tunnel_ids: ids });
    await c.close();
    expect(cloudflare()).toBeLessThanOrEqual(8);
    expect(JSON.stringify(result.structuredContent)).toMatch(/HTTP 429, rate_limited/);
  });

  it('requests with a bad or missing token are rate-limited too', async () => {
    await serve(limited);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(initialize(), 'ipsk_wrong')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });
});
