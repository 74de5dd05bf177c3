import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2, startSimulator } from '@ipsec-psk/cloudflare-sim';
import type { RotationOutput } from '@ipsec-psk/rotation';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI } from './test-support/binary.js';
import { expectToolContract, type ListedTool } from './test-support/tool-contract.js';
import { SERVER_VERSION } from './version.js';

const TOOL = 'generate_ipsec_psk';
const TIMEOUT = { timeout: 30_000 };
const KEY = /^[A-Za-z0-9]{32}$/;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix = 'ipsec-psk-stdio-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface SessionOptions {
  /** Environment beyond the transport's safe defaults (PATH, HOME, ...); IPSEC_PSK_DIR is set unless given. */
  env?: Record<string, string>;
  /** Declare form elicitation and answer every question this way; undefined: no elicitation capability. */
  answer?: 'accept' | 'decline';
  sandbox?: boolean;
  /** Start the server with umask 000, to prove key files are 0600 whatever the umask. */
  umask000?: boolean;
}

async function startSession(options: SessionOptions = {}) {
  const pskDir = options.env?.IPSEC_PSK_DIR ?? (await tempDir());
  const serverArgs = options.sandbox === false ? [] : ['--sandbox'];
  const transport = new StdioClientTransport({
    ...(options.umask000
      ? { command: 'sh', args: ['-c', 'umask 000; exec "$0" "$@"', process.execPath, CLI, ...serverArgs] }
      : { command: process.execPath, args: [CLI, ...serverArgs] }),
    env: { IPSEC_PSK_DIR: pskDir, IPSEC_PSK_SANDBOX_DIR: pskDir, ...options.env },
    stderr: 'pipe',
  });
  const stderr = new Captured(transport.stderr);
  const client = new Client(
    { name: 'stdio-test', version: '1.0.0' },
    { capabilities: options.answer ? { elicitation: { form: {} } } : {} },
  );
  // A line on stdout that is not JSON-RPC surfaces here, as a parse error of the transport.
  const protocolErrors: Error[] = [];
  client.onerror = (error) => protocolErrors.push(error);
  const questions: string[] = [];
  if (options.answer) {
    const answer = options.answer;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params.message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  await client.connect(transport);
  cleanups.push(() => client.close());
  await stderr.waitFor(/ready/);

  const call = async (args: Record<string, unknown>) => {
    const result = await client.callTool({ name: TOOL, arguments: args }, undefined, { timeout: 20_000 });
    return {
      result,
      output: result.structuredContent as RotationOutput | undefined,
      text: (result.content as { type: string; text?: string }[]).map((part) => part.text ?? '').join('\n'),
    };
  };
  return { client, call, stderr, pskDir, questions, protocolErrors };
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

async function readKey(output: RotationOutput | undefined): Promise<string> {
  expect(output?.psk_file).toBeTypeOf('string');
  return readFile(output?.psk_file as string, 'utf8');
}

describe('the built binary over stdio (sandbox)', TIMEOUT, () => {
  it('lists the tools by the contract, and logs ready on stderr only', async () => {
    const session = await startSession();
    const { tools } = await session.client.listTools();
    expectToolContract(tools as ListedTool[]);
    expect(session.client.getInstructions()).toMatch(/SANDBOX/);
    expect(session.client.getServerVersion()?.version).toBe(SERVER_VERSION);
    expect(session.stderr.text).toMatch(/^ipsec-psk-mcp info: ready in SANDBOX mode/m);
    expect(session.protocolErrors).toEqual([]);
  });

  it('validates without writing anything but the audit log', async () => {
    const session = await startSession();
    const { result, output } = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true });
    expect(result.isError).toBeFalsy();
    expect(output).toMatchObject({
      status: 'validated',
      sandbox: true,
      account_id: DEMO_ACCOUNT_ID,
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
    });
    expect((await filesUnder(session.pskDir)).filter((file) => file !== 'audit.jsonl')).toEqual([]);
  });

  it.each([
    ['the default umask', false],
    ['umask 000', true],
  ])('rotates after the user accepts, storing the key in a 0600 file (%s)', async (_label, umask000) => {
    const session = await startSession({ answer: 'accept', umask000 });
    const { result, output } = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBeFalsy();
    expect(session.questions).toHaveLength(1);
    expect(session.questions[0]).toMatch(/demo_tunnel_01/);
    expect(output).toMatchObject({ status: 'generated', sandbox: true });

    const key = await readKey(output);
    expect(key).toMatch(KEY);
    expect((await stat(output?.psk_file as string)).mode & 0o777).toBe(0o600);
    expect((await stat(join(session.pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID))).mode & 0o777).toBe(0o700);
    expect((await stat(join(session.pskDir, 'audit.jsonl'))).mode & 0o777).toBe(0o600);
    expect(output?.psk).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain(key);
    expect(output?.psk_fingerprint).toBe(
      `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`,
    );
    expect(await readFile(join(session.pskDir, 'audit.jsonl'), 'utf8')).not.toContain(key);
  });

  it('puts the key in the result only when the operator sets IPSEC_PSK_REVEAL=1', async () => {
    const session = await startSession({ answer: 'accept', env: { IPSEC_PSK_REVEAL: '1' } });
    const { output } = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(output?.status).toBe('generated');
    expect(output?.psk).toMatch(KEY);
    expect(output?.psk).toBe(await readKey(output));
  });

  it('sends nothing and writes no key when the user declines', async () => {
    const session = await startSession({ answer: 'decline' });
    const { result, output } = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBeFalsy();
    expect(session.questions).toHaveLength(1);
    expect(output).toMatchObject({ status: 'declined', sandbox: true });
    expect(output?.psk_file).toBeUndefined();
    expect((await filesUnder(session.pskDir)).filter((file) => file.endsWith('.psk'))).toEqual([]);
  });

  it('uses a single-use confirmation token with a client that cannot ask the user', async () => {
    const session = await startSession();
    const first = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(first.output).toMatchObject({ status: 'confirmation_required', sandbox: true });
    const token = first.output?.confirmation_token;
    expect(token).toBeTypeOf('string');
    expect(Date.parse(first.output?.expires_at ?? '')).toBeGreaterThan(Date.now());
    expect((await filesUnder(session.pskDir)).filter((file) => file.endsWith('.psk'))).toEqual([]);

    const second = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect(second.result.isError).toBeFalsy();
    expect(second.output?.status).toBe('generated');
    expect(await readKey(second.output)).toMatch(KEY);

    const reuse = await session.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect(reuse.result.isError).toBe(true);
    expect(reuse.text).toMatch(/confirmation_token/);
    expect((await filesUnder(session.pskDir)).filter((file) => file.endsWith('.psk'))).toHaveLength(1);
  });

  /** The built binary in sandbox mode, spoken to in raw JSON-RPC lines, already initialized. */
  async function rawSession(capabilities: object) {
    const pskDir = await tempDir();
    const child = spawn(process.execPath, [CLI, '--sandbox'], {
      env: { PATH: process.env.PATH ?? '', IPSEC_PSK_DIR: pskDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    cleanups.push(async () => child.kill('SIGKILL'));
    const exited = exitOf(child);
    const stdout = new Captured(child.stdout);
    const stderr = new Captured(child.stderr);
    const send = (message: object) => child.stdin?.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities,
        clientInfo: { name: 'raw', version: '1' },
      },
    });
    await stdout.waitFor(/"id":1\b/);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return { child, exited, stdout, stderr, send, pskDir };
  }

  it('writes only JSON-RPC lines to stdout and exits 0 when stdin closes', async () => {
    const { child, exited, stdout, stderr, send } = await rawSession({});
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: TOOL, arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true } },
    });
    await stdout.waitFor(/"id":3\b/);
    await stderr.waitFor(/ready/);
    child.stdin?.end();
    expect(await exited).toBe(0);

    const lines = stdout.text.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    const call = lines.map((line) => JSON.parse(line)).find((message) => message.id === 3);
    expect(call.result.structuredContent.status).toBe('validated');
  });

  it('exits promptly when the client leaves while the user is being asked, sending nothing', async () => {
    const { child, exited, stdout, send, pskDir } = await rawSession({ elicitation: { form: {} } });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: TOOL, arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID } },
    });
    await stdout.waitFor(/elicitation\/create/);
    child.stdin?.end();
    const deadline = new Promise((resolve) => setTimeout(resolve, 10_000, 'still running'));
    expect(await Promise.race([exited, deadline])).toBe(0);
    expect((await filesUnder(pskDir)).filter((file) => file.endsWith('.psk'))).toEqual([]);
  });
});

describe('secrets never reach stderr (real mode against a local simulator)', TIMEOUT, () => {
  it('logs neither the API token, nor confirmation tokens, nor keys', async () => {
    const apiToken = `SENTINEL-stdio-api-token-${Date.now()}`;
    const simulator = await startSimulator({ apiTokens: [apiToken] });
    cleanups.push(() => simulator.close());
    const pskDir = await tempDir();
    const env = {
      CLOUDFLARE_API_TOKEN: apiToken,
      CLOUDFLARE_BASE_URL: simulator.url,
      CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
      IPSEC_PSK_DIR: pskDir,
    };

    const twoStep = await startSession({ sandbox: false, env });
    const validated = await twoStep.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true });
    expect(validated.output).toMatchObject({ status: 'validated', sandbox: false });
    const first = await twoStep.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const confirmationToken = first.output?.confirmation_token as string;
    expect(confirmationToken).toBeTypeOf('string');
    const second = await twoStep.call({
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: confirmationToken,
    });
    expect(second.output).toMatchObject({ status: 'generated', sandbox: false });

    const elicit = await startSession({ sandbox: false, env, answer: 'accept' });
    const third = await elicit.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(third.output).toMatchObject({ status: 'generated', sandbox: false });

    const keys = [await readKey(second.output), await readKey(third.output)];
    expect(keys[0]).toBe(simulator.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    expect(keys[1]).toBe(simulator.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2)?.psk);
    expect(simulator.count({ operation: 'psk_generate', validateOnly: false })).toBe(2);
    expect(simulator.specViolations).toEqual([]);

    // Closing flushes whatever the servers still had to say.
    await twoStep.client.close();
    await elicit.client.close();
    const stderr = twoStep.stderr.text + elicit.stderr.text;
    expect(stderr).toMatch(/ready; confirmation mode auto/);
    const audit = await readFile(join(pskDir, 'audit.jsonl'), 'utf8');
    for (const secret of [apiToken, confirmationToken, ...keys]) {
      expect(stderr).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
  });
});
