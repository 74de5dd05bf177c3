import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../processes.js';
import { strongswanConf } from './config.js';
import { StrongSwanHarness } from './harness.js';
import { realIkeRequired, strongSwanPrerequisites } from './prerequisites.js';
import { CHARON, sweepStaleHarnesses } from './sweep.js';

// The harness leaves nothing behind: not when its start fails halfway, and not when the test worker that owned it
// was killed (the next start sweeps namespaces of dead owners, by PID).

const prerequisites = strongSwanPrerequisites();
const suite = prerequisites.ok || realIkeRequired() ? describe : describe.skip;

function requirePrerequisites(): void {
  if (!prerequisites.ok)
    throw new Error(`CI is set, so real-IKE tests must run, but: ${prerequisites.reason}`);
}

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
/** This worker's harness namespaces: other test files may run harnesses of their own meanwhile. */
const ours = () =>
  namespaces()
    .split('\n')
    .filter((line) => line.startsWith(`ipsecpsk-${process.pid}-`));

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

suite(
  prerequisites.ok ? 'the strongSwan harness' : `the strongSwan harness (${prerequisites.reason})`,
  () => {
    it('removes what it created when its start fails halfway (both daemons already running)', async () => {
      requirePrerequisites();
      // A connection name swanctl cannot parse: the daemons run, the configuration does not load.
      const error = await StrongSwanHarness.start([
        { connection: 'broken {', deviceId: 'fqdn:x.example', cloudflareAddress: '169.254.77.11' },
      ]).then(
        async (unexpected) => {
          await unexpected.stop();
          return undefined;
        },
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/swanctl --load-conns for device (failed|loaded no connections)/);
      expect(ours()).toEqual([]);
      expect(execFileSync('ls', [tmpdir()], { encoding: 'utf8' })).not.toMatch(
        new RegExp(`ipsec-psk-harness-${process.pid}-`),
      );
    });

    it('removes what a killed run left behind, by PID and only for dead owners', async () => {
      requirePrerequisites();
      const deadPid = spawnSync('true').pid ?? 1;
      const tag = `${deadPid}-${randomBytes(4).toString('hex')}`;
      const netns = `ipsecpsk-${tag}-dev`;
      const dir = join(tmpdir(), `ipsec-psk-harness-${tag}`);
      mkdirSync(dir, { mode: 0o700 });
      const conf = join(dir, 'strongswan.conf');
      writeFileSync(
        conf,
        strongswanConf({ socketPath: join(dir, 'charon.vici'), logFile: join(dir, 'charon.log') }),
      );
      execFileSync('ip', ['netns', 'add', netns]);
      const charon = spawn('ip', ['netns', 'exec', netns, CHARON], {
        env: { ...process.env, STRONGSWAN_CONF: conf },
        stdio: 'ignore',
      });
      try {
        await eventually(() => existsSync(join(dir, 'charon.vici')));
        expect(await sweepStaleHarnesses()).toContain(netns);
        await eventually(() => charon.pid === undefined || !isRunning(charon.pid));
        expect(namespaces()).not.toContain(netns);
        expect(existsSync(dir)).toBe(false);
      } finally {
        if (charon.exitCode === null && charon.signalCode === null) charon.kill('SIGKILL');
        spawnSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
