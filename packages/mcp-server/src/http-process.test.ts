import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { Captured, exitOf, isRunning } from '@ipsec-psk/rotation/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from './http/bearer-tokens.js';
import { CLI } from './test-support/binary.js';
import { until } from './test-support/harness.js';

// The built binary in HTTP mode, as a real process: a SIGTERM while a rotation is on its way to Cloudflare still
// stores the key before the process exits, as over stdio.

const API_TOKEN = 'SENTINELhttpProcessToken1b2c';
const BEARER = 'ipsk_SENTINELprocessBearer000000000000000000';

let sim: Simulator;
let pskDir: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [API_TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-http-process-'));
});
afterEach(async () => {
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

describe('HTTP mode as a process', { timeout: 30_000 }, () => {
  it('SIGTERM during a rotation: the key is stored, the process exits 0', async () => {
    const server = spawn(process.execPath, [CLI, '--http', '--port', '0'], {
      env: {
        PATH: process.env.PATH,
        CLOUDFLARE_API_TOKEN: API_TOKEN,
        CLOUDFLARE_BASE_URL: sim.url,
        CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
        IPSEC_PSK_DIR: pskDir,
        IPSEC_PSK_HTTP_TOKENS: `alice ${hashToken(BEARER)}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr = new Captured(server.stderr);
    const stdout = new Captured(server.stdout);
    const [, url] = await stderr.waitFor(/listening on (http:\/\/\S+)/);

    const client = new Client(
      { name: 'http-process-test', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } } },
    );
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { confirm: true },
    }));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url ?? ''), {
        requestInit: { headers: { Authorization: `Bearer ${BEARER}` } },
      }),
    );
    sim.inject({ type: 'delay', ms: 1_500, match: { operation: 'psk_generate', validateOnly: false } });
    void client
      .callTool({ name: 'generate_ipsec_psk', arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID } })
      .catch(() => {});
    await until(() => sim.count({ operation: 'psk_generate', validateOnly: false }) === 1);

    server.kill('SIGTERM');
    expect(await exitOf(server)).toBe(0);
    expect(isRunning(server.pid ?? 0)).toBe(false);
    expect(stderr.text).toMatch(/stopping: received SIGTERM/);
    expect(stderr.text).toMatch(/waiting for 1 call\(s\) in flight/);
    expect(stdout.text).toBe('');
    const dir = join(pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.psk'));
    expect(await readFile(join(dir, file ?? ''), 'utf8')).toBe(
      sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk,
    );
    const audit = (await readFile(join(pskDir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(audit.at(-1)).toMatchObject({ event: 'generated', principal: 'alice' });
    expect(stderr.text).not.toContain('SENTINEL');
    await client.close().catch(() => {});
  });
});
