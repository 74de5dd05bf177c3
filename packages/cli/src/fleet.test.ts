import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, manyTunnels, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 20: one `ipsec-psk rotate` for 5000 tunnels: the list read once, one validation and one Set PSKs request
// per hundred, every key in its own file, progress on stderr meanwhile.

const BIN = fileURLToPath(new URL('../dist/ipsec-psk.js', import.meta.url));
const TOKEN = 'SENTINELcliFleetToken9p8o7i';
const COUNT = 5000;

let sim: Simulator;
let pskDir: string;
beforeAll(async () => {
  sim = await startSimulator({
    apiTokens: [TOKEN],
    accounts: [manyTunnels(COUNT, { namePrefix: 'edge-', lastGeneratedOn: '2026-01-01T00:00:00Z' })],
  });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-cli-fleet-'));
});
afterAll(async () => {
  await sim?.close();
  if (pskDir) await rm(pskDir, { recursive: true, force: true });
});

describe('#20 a fleet of 5000 from the command line', { timeout: 120_000 }, () => {
  it('rotates every tunnel in one call; the list is read once; progress meanwhile', async () => {
    const child = spawn(process.execPath, [BIN, 'rotate', '--older-than', '30', '--yes', '--json'], {
      env: {
        PATH: process.env.PATH,
        CLOUDFLARE_API_TOKEN: TOKEN,
        CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
        CLOUDFLARE_BASE_URL: sim.url,
        IPSEC_PSK_DIR: pskDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = new Captured(child.stdout);
    const stderr = new Captured(child.stderr);
    expect(await exitOf(child)).toBe(0);
    const output = JSON.parse(stdout.text);
    expect(output).toMatchObject({
      status: 'completed',
      applied: COUNT,
      not_applied: 0,
      unknown: 0,
      not_sent: 0,
    });
    expect(sim.count({ operation: 'list_tunnels' })).toBe(1);
    expect(sim.count({ operation: 'set_psks', validateOnly: true })).toBe(COUNT / 100);
    expect(sim.count({ operation: 'set_psks', validateOnly: false })).toBe(COUNT / 100);
    // Not a terminal: one progress line per batch, the last one at the end.
    expect(stderr.text).toMatch(new RegExp(`Keys sent to Cloudflare\\. \\(${COUNT} of ${COUNT}\\)`));
    // Every key in its own file, the one Cloudflare holds; spot-check a few, count them all.
    const dirs = await readdir(join(pskDir, DEMO_ACCOUNT_ID));
    expect(dirs).toHaveLength(COUNT);
    for (const tunnel of output.tunnels.slice(0, 5).concat(output.tunnels.slice(-5))) {
      expect(await readFile(tunnel.psk_file, 'utf8')).toBe(
        sim.tunnel(DEMO_ACCOUNT_ID, tunnel.ipsec_tunnel_id)?.psk,
      );
    }
  });
});
