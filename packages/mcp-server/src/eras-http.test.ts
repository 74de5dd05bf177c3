import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { bearerTokenVerifier, hashToken, parseTokenList } from './http/bearer-tokens.js';
import { type ClientEra, connectHttp, type TestClient } from './test-support/clients.js';
import { type HttpHarness, startHttpHarness } from './test-support/http-harness.js';
import { expectToolContract, type ListedTool } from './test-support/tool-contract.js';

// Both MCP eras over Streamable HTTP with bearer tokens: a client pinned to 2026-07-28 (stateless requests, the
// form carried in input_required), the SDK's 2025-11-25 handshake and auto mode; scopes, principals and the token
// outliving its connection and the server.

const ALICE = 'ipsk_SENTINELaliceErasToken00000000000000000001';
const BOB = 'ipsk_SENTINELbobErasToken000000000000000000000002';
const VIEWER = 'ipsk_SENTINELviewerErasToken000000000000000003';
const TOKENS = [
  `alice ${hashToken(ALICE)}`,
  `bob ${hashToken(BOB)}`,
  `viewer ${hashToken(VIEWER)} psk:validate`,
].join('\n');
const TIMEOUT = { timeout: 30_000 };

const harnesses: HttpHarness[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const harness of harnesses.splice(0).reverse()) await harness.close();
});

async function serve(after?: HttpHarness): Promise<HttpHarness> {
  const harness = await startHttpHarness({
    env: { IPSEC_PSK_HTTP_TOKENS: TOKENS.replaceAll('\n', ',') },
    verifier: bearerTokenVerifier(parseTokenList(TOKENS, 'IPSEC_PSK_HTTP_TOKENS')),
    after,
  });
  harnesses.push(harness);
  return harness;
}

async function open(
  h: HttpHarness,
  era: ClientEra,
  token: string,
  answer?: 'accept' | 'decline',
): Promise<TestClient> {
  const client = await connectHttp(h.url, { era, token, answer });
  clients.push(client);
  return client;
}

const persisting = (h: HttpHarness) =>
  h.sim.count({ operation: 'psk_generate', validateOnly: false }) +
  h.sim.count({ operation: 'set_psks', validateOnly: false });

async function keyFiles(h: HttpHarness): Promise<string[]> {
  const dir = join(h.pskDir, DEMO_ACCOUNT_ID);
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).filter((name) =>
    name.endsWith('.psk'),
  );
}

const text = (result: CallToolResult) => JSON.stringify(result.content);

describe('a client pinned to MCP 2026-07-28, over HTTP with a bearer token', TIMEOUT, () => {
  it('connects with server/discover, lists the five tools, validates, and the form confirms one rotation', async () => {
    const h = await serve();
    const c = await open(h, 'modern', ALICE, 'accept');
    expect(c.client.getProtocolEra()).toBe('modern');
    expectToolContract((await c.client.listTools()).tools as ListedTool[]);
    const validated = await c.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      validate_only: true,
    });
    expect(validated.structuredContent).toMatchObject({ status: 'validated' });
    const rotated = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(rotated.structuredContent).toMatchObject({ status: 'generated' });
    expect(c.questions).toHaveLength(1);
    expect(persisting(h)).toBe(1);
    expect(await keyFiles(h)).toHaveLength(1);
    const attempt = (await h.auditLines()).find((line) => line.event === 'rotation_attempt');
    expect(attempt).toMatchObject({ principal: 'alice', confirmed_by: 'form' });
  });

  it('a fleet: one form, every key applied, audited for its principal', async () => {
    const h = await serve();
    const c = await open(h, 'modern', BOB, 'accept');
    const result = await c.call('rotate_ipsec_psks', {
      ipsec_tunnel_ids: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2],
    });
    expect(result.structuredContent).toMatchObject({ status: 'completed', applied: 2 });
    expect(await keyFiles(h)).toHaveLength(2);
    const principals = new Set((await h.auditLines()).map((line) => line.principal));
    expect(principals).toEqual(new Set(['bob']));
  });

  it('a validate-only token validates, and is stopped at the door before a rotation: 403 insufficient_scope', async () => {
    const h = await serve();
    const c = await open(h, 'modern', VIEWER, 'accept');
    const validated = await c.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      validate_only: true,
    });
    expect(validated.structuredContent).toMatchObject({ status: 'validated' });
    const refused = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(`${refused?.name}: ${refused?.message}`).toMatch(/insufficient_scope|InsufficientScope|403/i);
    expect(persisting(h)).toBe(0);
  });
});

describe('the 2025-11-25 handshake and auto mode over HTTP', TIMEOUT, () => {
  it.each(['legacy', 'auto'] as const)(
    'SDK v2 client in %s mode: the form confirms one rotation',
    async (era) => {
      const h = await serve();
      const c = await open(h, era, ALICE, 'accept');
      expect(c.client.getProtocolEra()).toBe(era === 'legacy' ? 'legacy' : 'modern');
      const rotated = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
      expect(rotated.structuredContent).toMatchObject({ status: 'generated' });
      expect(persisting(h)).toBe(1);
    },
  );
});

describe('a confirmation token outlives its connection and the server', TIMEOUT, () => {
  it('issued to alice on one connection, it confirms on another and after a restart, once', async () => {
    const first = await serve();
    const a = await open(first, 'modern', ALICE);
    const asked = await a.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const token = (asked.structuredContent as { confirmation_token: string }).confirmation_token;

    // Bob cannot use it; that attempt spends it (it has left alice's hands).
    const b = await open(first, 'legacy', BOB);
    const stolen = await b.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: token,
    });
    expect(text(stolen)).toMatch(/issued to someone else/);

    const again = await a.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const fresh = (again.structuredContent as { confirmation_token: string }).confirmation_token;
    await first.handle.close();

    // The server restarts on the same key directory; alice's next connection redeems her token there, once.
    const second = await serve(first);
    const later = await open(second, 'legacy', ALICE);
    const confirmed = await later.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: fresh,
    });
    expect(confirmed.structuredContent).toMatchObject({ status: 'generated' });
    const third = await (await open(second, 'modern', ALICE)).call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: fresh,
    });
    expect(text(third)).toMatch(/already used/);
    expect(persisting(second)).toBe(1);
    expect(await keyFiles(second)).toHaveLength(1);
  });
});

describe('the key reaches a remote human: a one-time page offered by URL-mode elicitation', TIMEOUT, () => {
  async function form(url: string, token: string): Promise<Response> {
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
      body: new URLSearchParams({ token }).toString(),
    });
  }

  it.each(['modern', 'legacy'] as const)(
    '%s client: the page shows the key once, to alice only; the model never sees the link or the key',
    async (era) => {
      const h = await serve();
      const c = await connectHttp(h.url, { era, token: ALICE, answer: 'accept', urls: true });
      clients.push(c);
      const result = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
      expect(result.structuredContent).toMatchObject({ status: 'generated' });
      expect(c.links).toHaveLength(1);
      const [link = ''] = c.links;
      const key = h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk ?? '';
      const seen = JSON.stringify([result.content, result.structuredContent]);
      expect(seen).not.toContain(link);
      expect(seen).not.toContain(key);
      expect(seen).toMatch(/offered a one-time page/);

      const asked = await fetch(link);
      expect(asked.status).toBe(200);
      expect(asked.headers.get('cache-control')).toBe('no-store');
      expect(await asked.text()).not.toContain(key);
      const bob = await form(link, BOB);
      expect(bob.status).toBe(403);
      expect(await bob.text()).not.toContain(key);
      const alice = await form(link, ALICE);
      expect(alice.status).toBe(200);
      expect(await alice.text()).toContain(key);
      const again = await form(link, ALICE);
      expect(again.status).toBe(404);
      expect(persisting(h)).toBe(1);
    },
  );

  it('a client with the panel, or without URL elicitation, is not offered the page', async () => {
    const h = await serve();
    const c = await open(h, 'modern', ALICE, 'accept');
    await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(c.links).toEqual([]);
  });
});
