import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_ACCOUNT_ID,
  DEMO_TUNNEL_ID,
  DEMO_TUNNEL_ID_2,
  type Simulator,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from './test-support/binary.js';
import { type ClientEra, connectStdio, type TestClient } from './test-support/clients.js';
import { expectToolContract, type ListedTool } from './test-support/tool-contract.js';

// Both MCP eras over stdio, against the built binary in real mode (a local simulator for Cloudflare): a client of
// the SDK's current line pinned to 2026-07-28 (server/discover, then the form carried in input_required), the same
// line in its default 2025-11-25 handshake and in auto mode, and a client of the previous line (SDK 1.32.2).

const TOKEN = 'SENTINELerasApiToken4r5t6y7u';
const TIMEOUT = { timeout: 30_000 };

let sim: Simulator;
let pskDir: string;
const clients: TestClient[] = [];
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-eras-'));
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

const env = () => ({
  CLOUDFLARE_API_TOKEN: TOKEN,
  CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
  CLOUDFLARE_BASE_URL: sim.url,
  IPSEC_PSK_DIR: pskDir,
});

async function open(era: ClientEra, answer?: 'accept' | 'decline', ui = false): Promise<TestClient> {
  const client = await connectStdio({ era, answer, ui, env: env() });
  clients.push(client);
  return client;
}

const persisting = () =>
  sim.count({ operation: 'psk_generate', validateOnly: false }) +
  sim.count({ operation: 'set_psks', validateOnly: false });

async function keyFiles(): Promise<string[]> {
  return (await readdir(join(pskDir, DEMO_ACCOUNT_ID), { recursive: true }).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.psk'))
    .map((name) => join(pskDir, DEMO_ACCOUNT_ID, name));
}

describe('a client pinned to MCP 2026-07-28, over stdio', TIMEOUT, () => {
  it('finds the server with server/discover and sees the five tools, none of the panel’s', async () => {
    const c = await open('modern');
    expect(c.client.getProtocolEra()).toBe('modern');
    const { tools } = await c.client.listTools();
    expectToolContract(tools as ListedTool[]);
  });

  it('validates, then the form in input_required confirms: one persisting request, one key file', async () => {
    const c = await open('modern', 'accept');
    const validated = await c.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      validate_only: true,
    });
    expect(validated.structuredContent).toMatchObject({ status: 'validated' });
    expect(c.questions).toEqual([]);
    const rotated = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(rotated.structuredContent).toMatchObject({ status: 'generated' });
    expect(c.questions).toHaveLength(1);
    expect(c.questions[0]).toMatch(/Rotate the pre-shared key of IPsec tunnel/);
    expect(persisting()).toBe(1);
    const files = await keyFiles();
    expect(files).toHaveLength(1);
    expect(await readFile(files[0] ?? '', 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    const audit = await readFile(join(pskDir, 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"event":"rotation_attempt"[^\n]*"confirmed_by":"form"/);
  });

  it('a fleet: one form, keys made and stored, every tunnel applied', async () => {
    const c = await open('modern', 'accept');
    const result = await c.call('rotate_ipsec_psks', {
      ipsec_tunnel_ids: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2],
    });
    expect(result.structuredContent).toMatchObject({ status: 'completed', applied: 2 });
    expect(c.questions).toHaveLength(1);
    expect(await keyFiles()).toHaveLength(2);
    expect(sim.count({ operation: 'set_psks', validateOnly: false })).toBe(1);
  });

  it('a declined form sends nothing', async () => {
    const c = await open('modern', 'decline');
    const result = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.structuredContent).toMatchObject({ status: 'declined' });
    expect(persisting()).toBe(0);
  });

  it('a client with MCP Apps sees the panel’s tools and gets the panel; its secret is only in _meta', async () => {
    const c = await open('modern', undefined, true);
    const { tools } = await c.client.listTools();
    expectToolContract(tools as ListedTool[], { apps: true });
    const asked = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(asked.structuredContent).toMatchObject({ status: 'confirmation_required', confirm_via: 'app' });
    const secret = asked._meta?.['io.github.ipsec-psk/panel-secret'];
    expect(secret).toBeTypeOf('string');
    expect(JSON.stringify([asked.content, asked.structuredContent])).not.toContain(secret as string);
  });
});

describe('the other eras over stdio keep every flow', TIMEOUT, () => {
  it.each(['legacy', 'auto'] as const)(
    'SDK v2 client in %s mode: the form confirms one rotation',
    async (era) => {
      const c = await open(era, 'accept');
      expect(c.client.getProtocolEra()).toBe(era === 'legacy' ? 'legacy' : 'modern');
      const rotated = await c.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
      expect(rotated.structuredContent).toMatchObject({ status: 'generated' });
      expect(persisting()).toBe(1);
    },
  );

  it('SDK 1.32.2 client on 2025-11-25: validate, then the form confirms one rotation', async () => {
    const client = new ClientV1(
      { name: 'v1', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } } },
    );
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { confirm: true },
    }));
    await client.connect(
      new StdioV1({
        command: process.execPath,
        args: [CLI],
        env: { PATH: process.env.PATH ?? '', ...env() },
      }),
    );
    try {
      const validated = await client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true },
      });
      expect(validated.structuredContent).toMatchObject({ status: 'validated' });
      const rotated = await client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID },
      });
      expect(rotated.structuredContent).toMatchObject({ status: 'generated' });
      expect(persisting()).toBe(1);
      expect(await keyFiles()).toHaveLength(1);
    } finally {
      await client.close();
    }
  });
});

describe('a confirmation token outlives its connection', TIMEOUT, () => {
  it('issued on connection A, it confirms on connection B after A’s server stopped, once; a third use is refused', async () => {
    const a = await open('modern');
    const asked = await a.call('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const token = (asked.structuredContent as { confirmation_token: string }).confirmation_token;
    expect(token).toMatch(/^psk-confirm-/);
    await a.close();

    // Another connection, another server process: the server "after a restart".
    const b = await open('legacy');
    const confirmed = await b.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: token,
    });
    expect(confirmed.structuredContent).toMatchObject({ status: 'generated' });
    const c = await open('modern');
    const third = await c.call('generate_ipsec_psk', {
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: token,
    });
    expect(third.isError).toBe(true);
    expect(JSON.stringify(third.content)).toMatch(/already used/);
    expect(persisting()).toBe(1);
    expect(await keyFiles()).toHaveLength(1);
  });
});
