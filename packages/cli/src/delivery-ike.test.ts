import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import {
  Captured,
  cloudflareDaemon,
  exitOf,
  type HarnessTunnel,
  harnessLeftovers,
  realIkeRequired,
  StrongSwanHarness,
  strongSwanPrerequisites,
} from '@ipsec-psk/rotation/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// The built ipsec-psk binary rotating the keys of three tunnels whose customer device is a real strongSwan daemon
// (Cloudflare's side a second one, following the simulator's keys): every IKE SA is up again on its new key; a
// failed delivery exits 5 and leaves AUTHENTICATION_FAILED; `ipsec-psk restore` brings the previous key up.
// Skipped without root or strongSwan, except under CI, where that fails.

const prerequisites = strongSwanPrerequisites();
const suite = prerequisites.ok || realIkeRequired() ? describe : describe.skip;
const BIN = fileURLToPath(new URL('../dist/ipsec-psk.js', import.meta.url));
const TOKEN = 'SENTINELcliIkeToken3e4r5t6y';
const ids = ['d4', 'e5', 'f6'].map((tag) => `${tag}${'1'.repeat(28)}${tag}`);
const TUNNELS: HarnessTunnel[] = ids.map((id, index) => ({
  connection: `site-${index}`,
  deviceId: `keyid:${DEMO_ACCOUNT_ID}_${id}`,
  cloudflareAddress: `169.254.77.${21 + index}`,
}));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

suite(
  prerequisites.ok
    ? 'ipsec-psk delivering to a real strongSwan device'
    : `ipsec-psk real IKE (${prerequisites.reason})`,
  () => {
    let harness: StrongSwanHarness;
    let sim: Simulator;
    let pskDir: string;
    let work: string;
    const outputs: Run[] = [];

    beforeAll(async () => {
      if (!prerequisites.ok)
        throw new Error(`CI is set, so real-IKE tests must run, but: ${prerequisites.reason}`);
      harness = await StrongSwanHarness.start(TUNNELS);
      sim = await startSimulator({
        apiTokens: [TOKEN],
        attachment: cloudflareDaemon(harness, new Map(ids.map((id, i) => [id, TUNNELS[i] as HarnessTunnel]))),
        accounts: [
          {
            id: DEMO_ACCOUNT_ID,
            tunnels: ids.map((id, index) => ({
              id,
              name: `site-0${index + 1}`,
              cloudflareEndpoint: TUNNELS[index]?.cloudflareAddress,
            })),
          },
        ],
      });
      pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-cli-ike-keys-'));
      work = await mkdtemp(join(tmpdir(), 'ipsec-psk-cli-ike-'));
      const rules = (socket: string) => ({
        tunnels: ids.map((id, index) => ({
          id,
          target: {
            kind: 'strongswan',
            socket: `unix://${socket}`,
            connection: TUNNELS[index]?.connection,
            timeout_ms: 10_000,
          },
        })),
      });
      await writeFile(join(work, 'good.json'), JSON.stringify(rules(harness.device.socketPath)), {
        mode: 0o600,
      });
      await writeFile(join(work, 'broken.json'), JSON.stringify(rules(join(work, 'gone.vici'))), {
        mode: 0o600,
      });
    }, 60_000);

    afterAll(async () => {
      const footprint = harness?.footprint;
      await sim?.close();
      await harness?.stop();
      for (const dir of [pskDir, work]) if (dir) await rm(dir, { recursive: true, force: true });
      if (footprint) expect(harnessLeftovers(footprint)).toEqual([]);
    }, 30_000);

    beforeEach(async ({ onTestFailed }) => {
      onTestFailed(async () => {
        console.log(await harness.logTails(40));
      });
      await harness.terminateAll();
    });

    async function run(args: string[], deliveryFile: 'good.json' | 'broken.json'): Promise<Run> {
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CLOUDFLARE_API_TOKEN: TOKEN,
        CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
        CLOUDFLARE_BASE_URL: sim.url,
        IPSEC_PSK_DIR: pskDir,
        IPSEC_PSK_DELIVERY: join(work, deliveryFile),
      };
      const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe' });
      const stdout = new Captured(child.stdout);
      const stderr = new Captured(child.stderr);
      child.stdin.end();
      const result = { code: await exitOf(child), stdout: stdout.text, stderr: stderr.text };
      outputs.push(result);
      return result;
    }

    async function upWith(index: number, psk: string): Promise<void> {
      const tunnel = TUNNELS[index] as HarnessTunnel;
      await harness.setCloudflareKey(tunnel, psk);
      await harness.setDeviceKey(tunnel, psk, `ipsec-psk-${ids[index]}`);
      await harness.initiate(tunnel);
    }

    const simKey = (index: number) => sim.tunnel(DEMO_ACCOUNT_ID, ids[index] ?? '')?.psk ?? '';

    it('rotate three tunnels: exit 0, and every device IKE SA is up on the key in its file', async () => {
      for (const index of [0, 1, 2]) await upWith(index, `oldCliKey${index}abcdefghijklmnopqrstuvw`);
      const started = performance.now();
      const result = await run(['rotate', ...ids, '--yes', '--json'], 'good.json');
      console.log(
        `[real IKE] ipsec-psk rotate of 3 tunnels, delivered, all up: ${(performance.now() - started).toFixed(0)} ms (process included)`,
      );
      expect(result.code).toBe(0);
      const output = JSON.parse(result.stdout);
      for (const [index, tunnel] of output.tunnels.entries()) {
        expect(tunnel.delivery).toMatchObject({
          target: `strongswan:site-${index}`,
          result: 'delivered',
          ike_up: true,
        });
        expect(tunnel.health).toMatchObject({ state: 'up' });
        expect(await harness.isUp(TUNNELS[index] as HarnessTunnel)).toBe(true);
        expect(await readFile(tunnel.psk_file, 'utf8')).toBe(simKey(index));
      }
    });

    it('a failed delivery exits 5 and the device fails authentication; restore brings the previous key up', async () => {
      await upWith(1, 'oldCliKeyForRestore0123456789abc');
      expect((await run(['rotate', ids[1] ?? '', '--yes'], 'good.json')).code).toBe(0);
      const deviceKey = simKey(1);

      const failed = await run(['rotate', 'site-02', '--yes'], 'broken.json');
      expect(failed.code).toBe(5);
      expect(failed.stdout).toMatch(
        /delivery to strongswan:site-1 FAILED, the tunnel is down: the key could not be loaded/,
      );
      expect(failed.stdout).toContain(`the previous key is held here (ipsec-psk restore ${ids[1]})`);
      await harness.terminateAll();
      const error = await harness.initiate(TUNNELS[1] as HarnessTunnel).then(
        () => undefined,
        (e: unknown) => e as { log?: { msg: string }[] },
      );
      expect(error?.log?.map((entry) => entry.msg)).toContain('received AUTHENTICATION_FAILED notify error');

      const restored = await run(['restore', 'site-02', '--yes', '--json'], 'good.json');
      expect(restored.code).toBe(0);
      expect(JSON.parse(restored.stdout).tunnels[0].delivery).toMatchObject({
        result: 'delivered',
        ike_up: true,
      });
      expect(simKey(1)).toBe(deviceKey);
      expect(await harness.isUp(TUNNELS[1] as HarnessTunnel)).toBe(true);
    });

    it('never prints a key', () => {
      const text = outputs.map((result) => result.stdout + result.stderr).join('\n');
      for (const index of [0, 1, 2]) expect(text).not.toContain(simKey(index));
      expect(text).not.toContain(TOKEN);
    });
  },
);
