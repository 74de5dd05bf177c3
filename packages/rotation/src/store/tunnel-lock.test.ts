import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { createRotator } from '../rotator.js';
import { Captured, exitOf, isRunning } from '../testing/processes.js';
import { KeyDirectory } from './key-directory.js';
import { unfinishedRotations } from './startup-check.js';
import { TunnelLocks } from './tunnel-lock.js';

// Issue 19, item 7: a rotation lock whose holder is dead. Right after a crash the lock is still fresh (its mtime was
// refreshed moments ago), and a supervisor restarts the server at once. Where the holder is a process on this host,
// its death is a fact to check, not to wait out: the lock is free, and the attempt it left is reported as
// interrupted, at once. Real processes (the built package) and a real SIGKILL; a stale time of 60 s throughout, so
// every lock here is fresh by its mtime however slow the machine.

const CHILD = fileURLToPath(new URL('../test-support/lock-child.mjs', import.meta.url));
const STALE_MS = 60_000;
const TOKEN = 'SENTINELlockToken9o8i7u6y';
const LINUX = existsSync('/proc/self/stat');

let sim: Simulator;
let pskDir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.pid && isRunning(child.pid)) child.kill('SIGKILL');
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

const lockDir = () => join(pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, 'rotation.lock');
const locks = () => new TunnelLocks(new KeyDirectory(pskDir), silentLogger, STALE_MS);
const persisting = () => sim.count({ operation: 'psk_generate', validateOnly: false });

function child(mode: 'hold' | 'rotate') {
  const process_ = spawn(
    process.execPath,
    [CHILD, mode, pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, sim.url, TOKEN],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(process_);
  const stderr = new Captured(process_.stderr);
  return { process: process_, stdout: new Captured(process_.stdout), stderr };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 20_000) throw new Error(`still not ${what} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** SIGKILL, then wait until the process is gone (reaped), not a moment longer. */
async function kill(process_: ChildProcess): Promise<void> {
  process_.kill('SIGKILL');
  await exitOf(process_);
}

/** The lock directory is there and fresh by its mtime: only its holder is gone. */
async function expectFreshLock(): Promise<void> {
  expect(Date.now() - (await stat(lockDir())).mtimeMs).toBeLessThan(STALE_MS);
}

describe('#19.7 a lock whose holder was killed', { timeout: 45_000 }, () => {
  it('#19.7 a rotation killed mid-call: at once, the start-up check says it was interrupted, and the tunnel can be rotated again', async () => {
    sim.inject({
      type: 'delay',
      ms: 15_000,
      times: 1,
      match: { operation: 'psk_generate', validateOnly: false },
    });
    const crashing = child('rotate');
    await until(() => persisting() === 1, 'sent');
    await kill(crashing.process);
    await expectFreshLock();

    const unfinished = await unfinishedRotations(pskDir, { lockStaleMs: STALE_MS });
    expect(unfinished.map(({ attempt, running }) => [attempt.ipsec_tunnel_id, running])).toEqual([
      [DEMO_TUNNEL_ID, false],
    ]);

    const questions: string[] = [];
    const next = createRotator({
      client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url }),
      pskDir,
      defaultAccountId: DEMO_ACCOUNT_ID,
      lockStaleMs: STALE_MS,
      confirm: (question) => {
        questions.push(question);
        return true;
      },
    });
    const answer = await next.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID });
    expect('error' in answer ? answer.error : answer.output.status).toBe('generated');
    expect(questions[0]).toMatch(/never recorded its outcome/);
    expect(persisting()).toBe(2);
  });

  it('#19.7 while its holder lives the lock excludes another process; once it is killed, the lock is free at once', async () => {
    const holder = child('hold');
    await holder.stdout.waitFor(/locked/);
    expect(await locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBeUndefined();
    expect(await locks().isHeld(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBe(true);

    await kill(holder.process);
    await expectFreshLock();
    expect(await locks().isHeld(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBe(false);
    const release = await locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    expect(release).toBeTypeOf('function');

    // Taken over, the lock is this process's: it excludes the next one as any lock does.
    const next = child('hold');
    await next.stdout.waitFor(/busy/);
    await release?.();
  });

  it('#19.7 three processes taking over one dead holder at once: exactly one gets the lock', async () => {
    const holder = child('hold');
    await holder.stdout.waitFor(/locked/);
    await kill(holder.process);

    const contenders = [child('hold'), child('hold')];
    const here = locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    const answers = await Promise.all(
      contenders.map(async ({ stdout }) => (await stdout.waitFor(/locked|busy/))[0]),
    );
    const release = await here;
    answers.push(release ? 'locked' : 'busy');
    expect(answers.sort()).toEqual(['busy', 'busy', 'locked']);
    await release?.();
  });

  it.runIf(LINUX)(
    '#19.7 a record whose pid now belongs to another process (it started later) is no holder',
    async () => {
      const release = await locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
      const record = JSON.parse(await readFile(join(lockDir(), 'holder.json'), 'utf8'));
      await release?.();
      // The same pid (this process, alive), but not the process that took the lock: that one started earlier.
      await mkdir(lockDir());
      await writeFile(
        join(lockDir(), 'holder.json'),
        JSON.stringify({ ...record, start: String(Number(record.start) - 1) }),
      );
      expect(await locks().isHeld(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBe(false);
      const taken = await locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
      expect(taken).toBeTypeOf('function');
      await taken?.();
    },
  );
});

describe('a lock whose holder cannot be checked is held until it is stale', () => {
  const age = async () => {
    const past = new Date(Date.now() - 2 * STALE_MS);
    await utimes(lockDir(), past, past);
  };

  it.each([
    ['no record (a holder killed before it wrote one)', undefined],
    ['a holder on another host', { pid: 1, host: 'another-host.invalid' }],
    ['a record that cannot be read', 'not json'],
  ])('%s', async (_, record) => {
    await mkdir(lockDir(), { recursive: true });
    if (record !== undefined) {
      const text = typeof record === 'string' ? record : JSON.stringify(record);
      await writeFile(join(lockDir(), 'holder.json'), text);
    }
    expect(await locks().isHeld(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBe(true);
    expect(await locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBeUndefined();

    await age();
    expect(await locks().isHeld(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toBe(false);
    const release = await locks().tryAcquire(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID);
    expect(release).toBeTypeOf('function');
    await release?.();
    expect(existsSync(lockDir())).toBe(false);
  });
});
