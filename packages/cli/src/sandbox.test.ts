import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Issue 21, item 4: the sandbox keeps to its own directory, whatever IPSEC_PSK_DIR says, and its simulated tunnels
// remember what earlier runs did to them.

const BIN = fileURLToPath(new URL('../dist/ipsec-psk.js', import.meta.url));
let real: string;
let sandbox: string;
beforeEach(async () => {
  real = await mkdtemp(join(tmpdir(), 'ipsec-psk-real-keys-'));
  sandbox = await mkdtemp(join(tmpdir(), 'ipsec-psk-sandbox-'));
});
afterEach(async () => {
  await rm(real, { recursive: true, force: true });
  await rm(sandbox, { recursive: true, force: true });
});

async function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, '--sandbox'], {
    env: {
      PATH: process.env.PATH,
      IPSEC_PSK_DIR: real,
      IPSEC_PSK_SANDBOX_DIR: sandbox,
      // Would send keys to a device in a real run: a sandbox never delivers.
      IPSEC_PSK_DELIVERY: join(real, 'no-such-delivery.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new Captured(child.stdout);
  const stderr = new Captured(child.stderr);
  return { code: await exitOf(child), stdout: stdout.text, stderr: stderr.text };
}

describe('#21.4 the sandbox keeps to itself', { timeout: 30_000 }, () => {
  it('writes nothing into IPSEC_PSK_DIR, and the next run sees the rotation of the last', async () => {
    const rotated = await run(['rotate', DEMO_TUNNEL_ID_2, '--yes', '--json']);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ sandbox: true, applied: 1 });
    expect(await readdir(real)).toEqual([]);
    expect(await readdir(sandbox)).toEqual(expect.arrayContaining(['audit.jsonl', 'simulator-state.json']));
    // The demo tunnel's key was from 2025 before; now it is from today, in a new process.
    const listed = JSON.parse((await run(['list', '--json'])).stdout);
    const tunnel = listed.tunnels.find(
      (t: { ipsec_tunnel_id: string }) => t.ipsec_tunnel_id === DEMO_TUNNEL_ID_2,
    );
    expect(tunnel).toMatchObject({ key_age_days: 0 });
    const history = await run(['history', DEMO_TUNNEL_ID_2]);
    expect(history.stdout).toMatch(/^\[sandbox\] Tunnel /);
    expect(await readdir(real)).toEqual([]);
  });
});
