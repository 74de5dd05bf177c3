import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import type { PskClient } from '@ipsec-psk/core';
import type { Logger } from '@ipsec-psk/rotation';
import { failingFiles } from '@ipsec-psk/rotation/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  accept,
  decline,
  type Harness,
  type HarnessOptions,
  startHarness,
  textOf,
  until,
} from './test-support/harness.js';

// Issue 7: each fault below broke the promise (one confirmed intent, at most one rotation, the key stored or an
// honest "outcome unknown"). Test names start with the case number they reproduce.

let h: Harness;
const extraCleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of extraCleanups.splice(0).reverse()) await cleanup();
  expect(h.sim.specViolations).toEqual([]);
  await h.close();
});

const persisting = () => h.sim.count({ operation: 'psk_generate', validateOnly: false });
const tunnelPsk = (tunnel = DEMO_TUNNEL_ID) => h.sim.tunnel(DEMO_ACCOUNT_ID, tunnel)?.psk;
const output = (result: { structuredContent?: unknown }) =>
  result.structuredContent as Record<string, string>;

async function start(options: HarnessOptions) {
  h = await startHarness(options);
  return h;
}

async function auditEvents(dir = h.pskDir): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(dir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const isLock = (entry: string) => entry.endsWith('rotation.lock');

async function leftovers(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((entry) => entry.endsWith('.tmp'));
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

/** A tmpfs of `kib` KiB, or undefined where this process may not mount one (not root, no CAP_SYS_ADMIN). */
const TMPFS_PREFIX = `ipsec-psk-tmpfs-${process.pid}-`;

function mountTmpfs(kib: number): string | undefined {
  const dir = join(tmpdir(), `${TMPFS_PREFIX}${Math.random().toString(36).slice(2)}`);
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Unmounts and removes a mount point of `mountTmpfs`: nothing is left in the temporary directory. */
function unmountTmpfs(dir: string): void {
  execFileSync('umount', [dir]);
  rmdirSync(dir);
}

// Mount points are removed, not only unmounted: none is left in the temporary directory after the suite.
afterAll(() => {
  expect(readdirSync(tmpdir()).filter((name) => name.startsWith(TMPFS_PREFIX))).toEqual([]);
});

const canMount = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = mountTmpfs(64);
  if (!dir) return false;
  unmountTmpfs(dir);
  return true;
})();

async function fillUp(dir: string): Promise<void> {
  const handle = await open(join(dir, 'filler'), 'w');
  try {
    for (;;) await handle.write(Buffer.alloc(4096, 1));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await handle.close();
  }
}

describe('#7.2 a full disk stops the rotation before anything is sent', () => {
  it('#7.2 an injected ENOSPC on the key file: nothing sent, nothing left behind, the old key still works', async () => {
    const files = failingFiles({ failWrites: 'ENOSPC', armed: true });
    await start({ elicit: accept, server: { files } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /key file could not be prepared.*ENOSPC.*Nothing was sent; the current key still works/s,
    );
    expect(persisting()).toBe(0);
    expect(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
    expect(await leftovers(h.pskDir)).toEqual([]);
  });

  it.runIf(canMount)('#7.2 a real full tmpfs (an empty probe file would pass): nothing sent', async () => {
    const mount = mountTmpfs(64) as string;
    extraCleanups.push(async () => unmountTmpfs(mount));
    await fillUp(mount);
    await start({ elicit: accept, server: { pskDir: join(mount, 'keys') } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ENOSPC.*Nothing was sent/s);
    expect(persisting()).toBe(0);
  });

  it('#7.2 the rotation_attempt line cannot be written: nothing sent, the reserved space given back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-audit-full-'));
    extraCleanups.push(() => rm(dir, { recursive: true, force: true }));
    const files = failingFiles({ failWrites: 'ENOSPC', under: join(dir, 'audit.jsonl'), armed: true });
    await start({ elicit: accept, server: { pskDir: dir, files } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/audit log could not be written \(ENOSPC\).*Nothing was sent/s);
    expect(persisting()).toBe(0);
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('#7.5 a store that fails after Cloudflare answered', () => {
  async function rotateWhileDiskTurns(options: HarnessOptions & { failWrites: string; under?: 'keys' }) {
    const dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-turns-'));
    extraCleanups.push(() => rm(dir, { recursive: true, force: true }));
    const pskDir = join(dir, 'keys');
    const files = failingFiles({ failWrites: options.failWrites, under: options.under ? pskDir : undefined });
    await start({
      ...options,
      elicit: accept,
      server: { pskDir, fallbackDir: join(dir, 'fallback'), files, ...options.server },
    });
    // The disk fails while the persisting call is in flight: after the reservation, before the key arrives.
    h.sim.inject({ type: 'delay', ms: 300, match: { operation: 'psk_generate', validateOnly: false } });
    const call = h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    await until(() => persisting() === 1);
    files.arm();
    return { result: await call, dir };
  }

  it('#7.5 the key directory turns read-only: the key goes to the fallback directory, and the result says where', async () => {
    const { result, dir } = await rotateWhileDiskTurns({ failWrites: 'EROFS', under: 'keys' });
    expect(result.isError).toBeFalsy();
    const out = output(result);
    expect(out.status).toBe('generated');
    expect(out.psk_file?.startsWith(join(dir, 'fallback', DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID))).toBe(true);
    expect(await readFile(out.psk_file as string, 'utf8')).toBe(tunnelPsk());
    expect((await stat(out.psk_file as string)).mode & 0o777).toBe(0o600);
    expect(textOf(result)).toMatch(/FALLBACK location .*fallback.*move it somewhere safe/s);
    expect(textOf(result)).not.toContain(tunnelPsk());
    expect(persisting()).toBe(1);
  });

  it('#7.5 every place fails: the result says the key is lost, with its fingerprint and where it tried', async () => {
    const { result } = await rotateWhileDiskTurns({ failWrites: 'EIO' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/could not be stored anywhere, so it is lost.*Tried: .*EIO/s);
    expect(textOf(result)).toMatch(/sha256:[0-9a-f]{16}/);
    expect(textOf(result)).not.toContain(tunnelPsk());
    // The failing disk took the outcome line too: the attempt stays unfinished, so the next start reports it.
    const events = (await auditEvents()).map((e) => e.event);
    expect(events).toContain('rotation_attempt');
    expect(events).not.toContain('generated');
    expect(persisting()).toBe(1);
  });

  it('#7.5 every place fails but the operator allows reveal: the key is in the result, which says it is the only copy', async () => {
    const { result } = await rotateWhileDiskTurns({ failWrites: 'EIO', server: { reveal: true } });
    expect(result.isError).toBeFalsy();
    expect(output(result).psk).toBe(tunnelPsk());
    expect(output(result).psk_file).toBeUndefined();
    expect(textOf(result)).toMatch(/could NOT be stored anywhere, so it is only in this result/);
  });
});

describe('#7.6 an unexpected error around the persisting call', () => {
  it('#7.6 is an unknown outcome: logged, checked back, never "Unexpected error."', async () => {
    const logger = recordingLogger();
    await start({
      elicit: accept,
      server: { logger },
      wrapClient: (client) => ({
        ...client,
        generateIpsecPsk: (async (input: Parameters<PskClient['generateIpsecPsk']>[0]) => {
          const result = await client.generateIpsecPsk(input);
          if (!input.validateOnly) throw new TypeError('a bug after the key arrived');
          return result;
        }) as PskClient['generateIpsecPsk'],
        getIpsecTunnel: client.getIpsecTunnel,
      }),
    });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(result.isError).toBeFalsy();
    expect(output(result)).toMatchObject({ status: 'outcome_unknown', rotated: 'yes' });
    expect(textOf(result)).not.toMatch(/Unexpected error/);
    expect(logger.lines.join('\n')).toMatch(/error: unexpected TypeError around the persisting call/);
    expect(persisting()).toBe(1);
    expect((await auditEvents()).map((e) => e.event)).toContain('outcome_unknown');
  });
});

describe('#7.8 check-back with second-precision timestamps', () => {
  it('#7.8 a rotation within the same second as the previous one is not reported as "not replaced"', async () => {
    const second = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const frozen = new Date(Date.parse(second) + 400);
    await start({
      elicit: accept,
      sim: {
        now: () => frozen,
        accounts: [
          { id: DEMO_ACCOUNT_ID, tunnels: [{ id: DEMO_TUNNEL_ID, name: 'fresh', lastGeneratedOn: second }] },
        ],
      },
    });
    h.sim.inject({ type: 'reset', match: { operation: 'psk_generate', validateOnly: false } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(1);
    expect(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.lastGeneratedOn).toBe(second);
    expect(output(result).status).toBe('outcome_unknown');
    expect(output(result).rotated).not.toBe('no');
    expect(textOf(result)).not.toMatch(/old key still works/);
  });
});

describe('#7.1 the client leaves before the user answered', () => {
  it('#7.1 cancelling the call withdraws the question and sends nothing', async () => {
    const questions: string[] = [];
    await start({ elicit: (message) => new Promise(() => questions.push(message)) });
    const controller = new AbortController();
    const call = h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, { signal: controller.signal });
    await until(() => questions.length === 1);
    controller.abort();
    await expect(call).rejects.toThrow();
    await until(async () => (await auditEvents()).some((e) => e.event === 'confirmation_refused'));
    expect(persisting()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
  });
});

describe('#7.9 a client that times out during the form', () => {
  it('#7.9 a retry after a rotation the client did not wait for: the question names the stored key', async () => {
    let answer = accept;
    await start({ elicit: (message) => answer(message) });
    h.sim.inject({ type: 'delay', ms: 600, match: { operation: 'psk_generate', validateOnly: false } });
    await expect(h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, { timeout: 250 })).rejects.toThrow(/timed out/i);
    // The key file comes before the outcome line and the tunnel's lock release; a retry before those is
    // (rightly) refused as "in progress" without a question.
    await until(async () => (await auditEvents()).some((e) => e.event === 'generated'));
    await until(async () => !(await readdir(h.pskDir, { recursive: true })).some(isLock));
    const [file] = await h.pskFiles();
    const declined = await startRetryQuestion();
    expect(declined).toMatch(/Earlier rotations of this tunnel/);
    expect(declined).toContain(file as string);
    expect(declined).toMatch(/less than a minute ago/);
    expect(declined).toMatch(/sha256:[0-9a-f]{16}/);
    expect(persisting()).toBe(1);

    async function startRetryQuestion() {
      answer = decline;
      h.elicitations.length = 0;
      await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: false });
      return h.elicitations[0] ?? '';
    }
  });

  it('#7.9 progress notifications keep a waiting client alive while the user reads', async () => {
    await start({
      elicit: () => new Promise((resolve) => setTimeout(() => resolve({ action: 'decline' }), 900)),
      server: { progressIntervalMs: 100 },
    });
    const progress: number[] = [];
    const result = await h.call(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID },
      { timeout: 400, resetTimeoutOnProgress: true, onprogress: (p) => progress.push(p.progress) },
    );
    expect(output(result).status).toBe('declined');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });
});
