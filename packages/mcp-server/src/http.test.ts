import { request as httpRequest } from 'node:http';
import { DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from './http/bearer-tokens.js';
import { discoverAuthorizationServer, jwtVerifier } from './http/oauth.js';
import { type HttpHarness, startHttpHarness } from './test-support/http-harness.js';
import { type Issuer, startIssuer } from './test-support/oauth-issuer.js';

// The HTTP mode over real HTTP on loopback: authentication before anything reaches the API, sessions bound to
// their principal, scopes per call, the limits, and the audit log naming who did it.

const ALICE = 'ipsk_SENTINELaliceToken0000000000000000000001';
const BOB = 'ipsk_SENTINELbobToken00000000000000000000000002';
const VIEWER = 'ipsk_SENTINELviewerToken000000000000000000003';
const TOKENS = [
  `alice ${hashToken(ALICE)}`,
  `bob ${hashToken(BOB)}`,
  `viewer ${hashToken(VIEWER)} psk:validate`,
].join('\n');
const accept = () => ({ action: 'accept' as const, content: { confirm: true } });

let h: HttpHarness;
afterEach(async () => {
  await h?.close();
});

async function withTokens(tweak?: Parameters<typeof startHttpHarness>[0]['tweak']): Promise<HttpHarness> {
  const { bearerTokenVerifier, parseTokenList } = await import('./http/bearer-tokens.js');
  h = await startHttpHarness({
    env: { IPSEC_PSK_HTTP_TOKENS: TOKENS.replaceAll('\n', ',') },
    verifier: bearerTokenVerifier(parseTokenList(TOKENS, 'IPSEC_PSK_HTTP_TOKENS')),
    tweak,
  });
  return h;
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
};

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const text = (result: CallToolResult) =>
  result.content.map((part) => ('text' in part ? part.text : '')).join('\n');

describe('authentication', () => {
  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer ipsk_wrong' }],
    ['another scheme', { authorization: `Basic ${ALICE}` }],
  ])('%s: 401 with WWW-Authenticate, nothing reaches the API', async (_name, headers) => {
    await withTokens();
    const response = await post(initialize, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await response.text()).not.toContain('SENTINEL');
    expect(h.sim.requests).toHaveLength(0);
  });

  it('a rotation confirmed by form over the SSE stream; the audit log names the principal', async () => {
    await withTokens();
    const client = await h.connect({ token: ALICE, elicit: accept });
    const result = (await client.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ status: 'generated' });
    expect(h.sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(1);
    const lines = await h.auditLines();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.principal === 'alice')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('SENTINEL');
  });
});

describe('two principals', () => {
  it("cannot use each other's sessions or confirmation tokens", async () => {
    await withTokens();
    const alice = await h.connect({ token: ALICE });
    const asked = (await alice.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID },
    })) as CallToolResult;
    const token = (asked.structuredContent as { confirmation_token: string }).confirmation_token;
    expect(token).toMatch(/^psk-confirm-/);

    // Bob with alice's confirmation token: refused, nothing sent, and the token is spent (it left alice's hands).
    const bob = await h.connect({ token: BOB });
    const stolen = (await bob.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
    })) as CallToolResult;
    expect(stolen.isError).toBe(true);
    expect(text(stolen)).toMatch(/issued to someone else/);

    // Bob with alice's session id: not found.
    const sessionId = (alice.transport as { sessionId?: string }).sessionId ?? '';
    const hijack = await post(
      { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      { authorization: `Bearer ${BOB}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    );
    expect(hijack.status).toBe(404);
    expect(h.sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(0);

    // Alice's token is spent; she asks again and redeems her new one.
    const spent = (await alice.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
    })) as CallToolResult;
    expect(text(spent)).toMatch(/already used/);
    const again = (await alice.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID },
    })) as CallToolResult;
    const fresh = (again.structuredContent as { confirmation_token: string }).confirmation_token;
    const done = (await alice.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: fresh },
    })) as CallToolResult;
    expect(done.structuredContent).toMatchObject({ status: 'generated' });
    const principals = new Set((await h.auditLines()).map((line) => line.principal));
    expect(principals).toEqual(new Set(['alice', 'bob']));
  });

  it('the per-tunnel lock holds across principals', async () => {
    await withTokens();
    h.sim.inject({ type: 'delay', ms: 800, match: { operation: 'psk_generate', validateOnly: false } });
    const alice = await h.connect({ token: ALICE, elicit: accept });
    const bob = await h.connect({ token: BOB, elicit: accept });
    const call = (client: typeof alice) =>
      client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID_2 },
      }) as Promise<CallToolResult>;
    const [a, b] = await Promise.all([call(alice), call(bob)]);
    expect([a, b].filter((r) => r.isError).map(text)).toEqual([expect.stringMatching(/already in progress/)]);
    expect(h.sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(1);
  });
});

describe('scopes', () => {
  it('psk:validate lists and validates; a real rotation is 403 insufficient_scope naming psk:rotate', async () => {
    await withTokens();
    const viewer = await h.connect({ token: VIEWER, elicit: accept });
    const listed = (await viewer.callTool({ name: 'list_ipsec_tunnels', arguments: {} })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    const validated = (await viewer.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true },
    })) as CallToolResult;
    expect(validated.structuredContent).toMatchObject({ status: 'validated' });

    const sessionId = (viewer.transport as { sessionId?: string }).sessionId ?? '';
    const rotation = await post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'rotate_ipsec_psks', arguments: { ipsec_tunnel_ids: [DEMO_TUNNEL_ID] } },
      },
      {
        authorization: `Bearer ${VIEWER}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
    );
    expect(rotation.status).toBe(403);
    expect(rotation.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope", scope="psk:rotate"/,
    );
    expect(h.sim.count({ operation: 'set_psks', validateOnly: false })).toBe(0);
    expect(h.sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(0);
  });
});

describe('limits and checks', () => {
  it('a Host header that is not ours is refused (DNS rebinding)', async () => {
    await withTokens();
    // fetch() sets Host itself; a rebinding page's request carries its own name, which node:http can send.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(h.url, {
        method: 'POST',
        headers: {
          host: 'evil.example',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${ALICE}`,
        },
      });
      request.once('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.once('error', reject);
      request.end(JSON.stringify(initialize));
    });
    expect(status).toBe(403);
    expect(h.handle.sessions.size).toBe(0);
  });

  it('a browser page of another origin is refused; a local page on a loopback bind is not', async () => {
    await withTokens();
    const foreign = await post(initialize, {
      authorization: `Bearer ${ALICE}`,
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    const local = await post(initialize, {
      authorization: `Bearer ${ALICE}`,
      origin: 'http://localhost:6274',
    });
    expect(local.status).toBe(200);
  });

  it('a body over the limit is answered 413 in JSON-RPC', async () => {
    await withTokens();
    const response = await post(
      `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(1_100_000)}"}}`,
      {
        authorization: `Bearer ${ALICE}`,
      },
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
  });

  it('the session cap answers 503; the rate limit 429, per principal', async () => {
    await withTokens((config) => ({ ...config, maxSessions: 2, rateLimitPerMinute: 5 }));
    await h.connect({ token: ALICE });
    await h.connect({ token: BOB });
    const third = await post(initialize, { authorization: `Bearer ${VIEWER}` });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('60');
    // Alice spent 3 requests connecting (initialize, initialized, the GET stream); two more, then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await post(initialize, { authorization: `Bearer ${ALICE}` })).status);
    expect(statuses).toContain(429);
    // Bob's budget is his own.
    const bob = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${BOB}` });
    expect(bob.status).not.toBe(429);
  });

  it('an idle session is closed, but never while a call of it is running', async () => {
    await withTokens((config) => ({ ...config, sessionIdleMs: 200 }));
    h.sim.inject({ type: 'delay', ms: 700, match: { operation: 'psk_generate', validateOnly: false } });
    const busy = await h.connect({ token: ALICE, elicit: accept });
    const idle = await h.connect({ token: BOB });
    const running = busy.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID },
    });
    await new Promise((resolve) => setTimeout(resolve, 450));
    await h.handle.sessions.sweep();
    expect(h.handle.sessions.size).toBe(1);
    expect(((await running) as CallToolResult).structuredContent).toMatchObject({ status: 'generated' });
    await expect(idle.listTools()).rejects.toThrow();
  });

  it('the health endpoint answers without authentication and says nothing else', async () => {
    await withTokens();
    const response = await fetch(new URL('/healthz', h.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('OAuth resource server', () => {
  let idp: Issuer;
  const PUBLIC = 'http://localhost/mcp';

  async function withOAuth(): Promise<HttpHarness> {
    idp = await startIssuer();
    const metadata = await discoverAuthorizationServer(new URL(idp.issuer));
    h = await startHttpHarness({
      env: { IPSEC_PSK_OAUTH_ISSUER: idp.issuer, IPSEC_PSK_HTTP_PUBLIC_URL: PUBLIC },
      verifier: jwtVerifier({
        issuer: metadata.issuer,
        audience: PUBLIC,
        jwksUri: new URL(metadata.jwks_uri),
      }),
      oauthMetadata: metadata,
    });
    return h;
  }
  afterEach(async () => {
    await new Promise((resolve) => idp?.server.close(resolve));
  });

  const mint = (options: { audience?: string; expires?: string | number; scope?: string } = {}) =>
    new SignJWT({ scope: options.scope ?? 'psk:validate psk:rotate' })
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
      .setIssuer(idp.issuer)
      .setAudience(options.audience ?? PUBLIC)
      .setSubject('carol@example.com')
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(idp.privateKey);

  it('publishes its protected resource metadata, naming the issuer and the scopes', async () => {
    await withOAuth();
    const response = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', h.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: PUBLIC,
      authorization_servers: [idp.issuer],
      scopes_supported: ['psk:validate', 'psk:rotate'],
    });
  });

  it.each([
    ['no token', undefined],
    ['an expired token', { expires: Math.floor(Date.now() / 1000) - 3600 }],
    ['a token for another resource', { audience: 'https://other.example/mcp' }],
  ])('%s: 401 pointing at the metadata, nothing reaches the API', async (_name, claims) => {
    await withOAuth();
    const headers: Record<string, string> = claims ? { authorization: `Bearer ${await mint(claims)}` } : {};
    const response = await post(initialize, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /error="invalid_token".*resource_metadata="http:\/\/localhost\/.well-known\/oauth-protected-resource\/mcp"/,
    );
    expect(h.sim.requests).toHaveLength(0);
  });

  it('a valid token: the tools work, and the audit log names the subject', async () => {
    await withOAuth();
    const client = await h.connect({ token: await mint(), elicit: accept });
    const result = (await client.callTool({
      name: 'rotate_ipsec_psks',
      arguments: { ipsec_tunnel_ids: [DEMO_TUNNEL_ID] },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ status: 'completed', applied: 1 });
    const principals = new Set((await h.auditLines()).map((line) => line.principal));
    expect([...principals]).toEqual([expect.stringMatching(/^carol@example\.com \[[0-9a-f]{24}\]$/)]);
  });

  it('a token with psk:validate only is stepped up with scope psk:rotate', async () => {
    await withOAuth();
    const token = await mint({ scope: 'psk:validate' });
    const client = await h.connect({ token });
    const sessionId = (client.transport as { sessionId?: string }).sessionId ?? '';
    const response = await post(
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'generate_ipsec_psk', arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID } },
      },
      { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    );
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(
      /insufficient_scope", scope="psk:rotate".*resource_metadata=/,
    );
  });
});
