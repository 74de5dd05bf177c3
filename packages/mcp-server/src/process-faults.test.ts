import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { Captured, exitOf, isRunning } from '@ipsec-psk/rotation/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type CallToolResult, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from './test-support/binary.js';
import { until } from './test-support/harness.js';

// Issue 7, the faults that happen to processes: real server processes (the built binary), real clients that die,
// real signals. The simulator runs in this test process, so it sees every request and can hold one in flight.

const FORM_CLIENT = fileURLToPath(new URL('./test-support/form-client.mjs', import.meta.url));
const API_TOKEN = 'SENTINEL-process-faults-token';
const TIMEOUT = { timeout: 45_000 };

let sim: Simulator;
let pskDir: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [API_TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-process-'));
  cleanups.push(
    () => sim.close(),
    () => rm(pskDir, { recursive: true, force: true }),
  );
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const persisting = () => sim.count({ operation: 'psk_generate', validateOnly: false });
const serverEnv = () => ({
  PATH: process.env.PATH ?? '',
  CLOUDFLARE_API_TOKEN: API_TOKEN,
  CLOUDFLARE_BASE_URL: sim.url,
  CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
  IPSEC_PSK_DIR: pskDir,
  IPSEC_PSK_FALLBACK_DIR: join(pskDir, 'fallback'),
});

/** Holds the persisting call in flight for `ms` (Cloudflare has already replaced the key meanwhile). */
function holdPersistingCall(ms: number, times = 1) {
  sim.inject({ type: 'delay', ms, times, match: { operation: 'psk_generate', validateOnly: false } });
}

async function keyFiles(): Promise<string[]> {
  const entries = await readdir(join(pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).catch(() => [] as string[]);
  return entries
    .filter((name) => name.endsWith('.psk'))
    .map((name) => join(pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, name));
}

async function auditEvents(): Promise<string[]> {
  const text = await readFile(join(pskDir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).event);
}

/** An SDK client (in this process) on a fresh server process; `answer` says how it answers each form. */
async function startSession(answer: 'accept' | 'decline' = 'accept') {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: serverEnv(),
    stderr: 'pipe',
  });
  const stderr = new Captured(transport.stderr);
  const client = new Client(
    { name: 'process-test', version: '1' },
    { capabilities: { elicitation: { form: {} } } },
  );
  const questions: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    questions.push(request.params.message);
    return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
  });
  await client.connect(transport);
  const pid = transport.pid as number;
  cleanups.push(async () => {
    await client.close().catch(() => {});
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  });
  await stderr.waitFor(/ready/);
  const rotate = () =>
    client.callTool(
      { name: 'generate_ipsec_psk', arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID } },
      undefined,
      {
        timeout: 30_000,
      },
    ) as Promise<CallToolResult>;
  return { client, transport, pid, stderr, questions, rotate };
}

/** A server killed with SIGKILL while its persisting call is in flight (Cloudflare already replaced the key). */
async function crashMidRotation() {
  holdPersistingCall(5_000);
  const crashing = await startSession();
  void crashing.rotate().catch(() => {});
  await until(() => persisting() === 1);
  process.kill(crashing.pid, 'SIGKILL');
  await until(() => !isRunning(crashing.pid));
}

const text = (result: CallToolResult) =>
  result.content.map((part) => ('text' in part ? part.text : '')).join('\n');

describe('#7.1 the client process dies during a form-confirmed rotation', TIMEOUT, () => {
  it('#7.1 after the user accepted, with the call in flight: the key is stored, the server exits', async () => {
    holdPersistingCall(1_500);
    const client = spawn(
      process.execPath,
      [FORM_CLIENT, CLI, JSON.stringify({ ipsec_tunnel_id: DEMO_TUNNEL_ID })],
      {
        env: { PATH: process.env.PATH ?? '', SERVER_ENV: JSON.stringify(serverEnv()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out = new Captured(client.stdout);
    new Captured(client.stderr);
    const [, pid] = await out.waitFor(/"event":"connected","pid":(\d+)/);
    const serverPid = Number(pid);
    cleanups.push(() => isRunning(serverPid) && process.kill(serverPid, 'SIGKILL'));
    await out.waitFor(/"event":"asked"/);
    await until(() => persisting() === 1);

    client.kill('SIGKILL');
    await exitOf(client);
    // stdin closes, stdout and stderr are broken pipes now; the answer is still on its way from Cloudflare.
    await until(() => !isRunning(serverPid), 20_000);

    const files = await keyFiles();
    expect(files).toHaveLength(1);
    expect(await readFile(files[0] as string, 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    expect(await auditEvents()).toEqual(['rotation_attempt', 'generated']);
    expect(persisting()).toBe(1);
  });
});

describe('#7.3 signals and clients that kill the server', TIMEOUT, () => {
  it('#7.3 SIGHUP (terminal closed) with a rotation in flight: the key is stored, then the server exits 0', async () => {
    holdPersistingCall(1_500);
    const session = await startSession();
    const call = session.rotate().catch((error: Error) => error);
    await until(() => persisting() === 1);
    process.kill(session.pid, 'SIGHUP');
    await until(() => !isRunning(session.pid), 20_000);
    const files = await keyFiles();
    expect(files).toHaveLength(1);
    expect(await readFile(files[0] as string, 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    expect(session.stderr.text).toMatch(/stopping: received SIGHUP/);
    await call;
  });

  it('#7.3 the SDK client closes (stdin end, then SIGTERM, then SIGKILL ~4 s later): the key is already stored', async () => {
    holdPersistingCall(1_500);
    const session = await startSession();
    void session.rotate().catch(() => {});
    await until(() => persisting() === 1);
    await session.client.close();
    await until(() => !isRunning(session.pid), 10_000);
    const files = await keyFiles();
    expect(files).toHaveLength(1);
    expect(await readFile(files[0] as string, 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    expect(await auditEvents()).toEqual(['rotation_attempt', 'generated']);
  });
});

describe('#7.4 after a crash mid-rotation', TIMEOUT, () => {
  it('#7.4 #19.7 the next start, at once, reports the unfinished attempt, and so does the next question for the tunnel', async () => {
    await crashMidRotation();
    expect(await auditEvents()).toEqual(['rotation_attempt']);

    // Restarted at once, as a supervisor does: the dead process's lock is still fresh, but it recorded its holder, a
    // process on this host that is gone, so the start-up check says what happened instead of "still running".
    const next = await startSession('decline');
    expect(next.stderr.text).not.toMatch(/still running in another server process/);
    expect(next.stderr.text).toMatch(
      new RegExp(
        `warn: a rotation of tunnel ${DEMO_TUNNEL_ID} .* never recorded its outcome .* may have been replaced and lost`,
      ),
    );
    expect(next.client.getInstructions()).toMatch(
      new RegExp(`never recorded their outcome.*tunnel ${DEMO_TUNNEL_ID}`),
    );

    const declined = await next.rotate();
    expect(next.questions[0]).toMatch(
      /a rotation was sent and never recorded its outcome.*may have been replaced then and lost/s,
    );
    expect(next.questions[0]).toMatch(/the key WAS most likely replaced then/);
    expect(text(declined)).not.toMatch(/still works/);
    expect(text(declined)).toMatch(/may already have been replaced/);
    expect(persisting()).toBe(1);
  });
});

describe('#7.7 two server processes sharing one key directory', TIMEOUT, () => {
  it('#7.7 rotating the same tunnel at once: one call is sent, the other is refused', async () => {
    holdPersistingCall(1_500, 2);
    const [a, b] = await Promise.all([startSession(), startSession()]);
    const results = await Promise.all([a.rotate(), b.rotate()]);
    const outcomes = results.map((r) =>
      r.isError ? 'refused' : (r.structuredContent as { status: string }).status,
    );
    expect(outcomes.sort()).toEqual(['generated', 'refused']);
    expect(text(results.find((r) => r.isError) as CallToolResult)).toMatch(
      /already in progress.*another server process/s,
    );
    expect(persisting()).toBe(1);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(1);
    expect(await keyFiles()).toHaveLength(1);
  });

  it('#7.7 #19.7 a lock left by a killed process is taken over at once, and the question tells of the dead attempt', async () => {
    await crashMidRotation();

    const next = await startSession();
    const taken = await next.rotate();
    expect((taken.structuredContent as { status: string }).status).toBe('generated');
    expect(next.questions.at(-1)).toMatch(/never recorded its outcome/);
    expect(persisting()).toBe(2);
  });
});

describe('#7.15 a message over the transport size limit', TIMEOUT, () => {
  it('#7.15 is logged, and the server shuts down instead of hanging or exiting silently', async () => {
    const child = spawn(process.execPath, [CLI, '--sandbox'], {
      env: { PATH: process.env.PATH ?? '', IPSEC_PSK_SANDBOX_DIR: pskDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const stderr = new Captured(child.stderr);
    await stderr.waitFor(/ready/);
    const exited = exitOf(child);
    // The server stops reading once it gives up on the message; the rest of the write then fails here.
    child.stdin.on('error', () => {});
    child.stdin.write(Buffer.alloc(11 * 1024 * 1024, 'x'));
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(resolve, 15_000, 'still running')),
    ]);
    expect(code).toBe(1);
    expect(stderr.text).toMatch(/error: the client sent a message larger than 10485760 bytes/);
    expect(stderr.text).toMatch(/stopping: the connection to the client closed/);
  });
});
