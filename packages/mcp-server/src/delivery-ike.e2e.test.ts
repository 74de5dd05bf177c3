import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import {
  cloudflareDaemon,
  type HarnessTunnel,
  harnessLeftovers,
  isAuthenticationFailure,
  realIkeRequired,
  StrongSwanHarness,
  strongSwanPrerequisites,
} from '@ipsec-psk/rotation/testing';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClientEra, connectStdio, type TestClient } from './test-support/clients.js';

// The MCP tools deliver to a real customer device: two strongSwan daemons in network namespaces, Cloudflare's
// side following the simulator through its attachment. A rotation through generate_ipsec_psk or rotate_ipsec_psks
// ends with the device's IKE SA up on the key in the key file, Cloudflare's view up, and no key in any result;
// a failed delivery leaves the tunnel down until restore_ipsec_psk puts the previous key back.
// Skipped without root or strongSwan, except under CI, where that fails.

const prerequisites = strongSwanPrerequisites();
const suite = prerequisites.ok || realIkeRequired() ? describe : describe.skip;
const TOKEN = 'SENTINELmcpIkeToken1a2s3d4f';
const ids = ['d4', 'e5', 'f6'].map((tag) => `${tag}${'0'.repeat(28)}${tag}`);
const TUNNELS: HarnessTunnel[] = ids.map((id, index) => ({
  connection: `mcp-${index}`,
  deviceId: `keyid:${DEMO_ACCOUNT_ID}_${id}`,
  cloudflareAddress: `169.254.77.${21 + index}`,
}));

suite(
  prerequisites.ok
    ? 'MCP tools delivering to a real strongSwan device'
    : `MCP real IKE (${prerequisites.reason})`,
  () => {
    let harness: StrongSwanHarness;
    let sim: Simulator;
    let pskDir: string;
    let work: string;
    const clients: TestClient[] = [];
    const results: CallToolResult[] = [];
    const keysSeen = new Set<string>();

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
              name: `mcp-site-${index + 1}`,
              cloudflareEndpoint: TUNNELS[index]?.cloudflareAddress,
            })),
          },
        ],
      });
      pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-mcp-ike-keys-'));
      work = await mkdtemp(join(tmpdir(), 'ipsec-psk-mcp-ike-'));
      const rules = (socket: string, localId: boolean) => ({
        tunnels: ids.map((id, index) => ({
          id,
          target: {
            kind: 'strongswan',
            socket: `unix://${socket}`,
            connection: TUNNELS[index]?.connection,
            // Generate PSK returns no ipsec_id: the device's identity comes from the operator's file.
            ...(localId ? { local_id: TUNNELS[index]?.deviceId } : {}),
            timeout_ms: 10_000,
          },
        })),
      });
      await writeFile(join(work, 'good.json'), JSON.stringify(rules(harness.device.socketPath, true)), {
        mode: 0o600,
      });
      await writeFile(join(work, 'broken.json'), JSON.stringify(rules(join(work, 'gone.vici'), true)), {
        mode: 0o600,
      });
    }, 60_000);

    afterAll(async () => {
      for (const client of clients.splice(0)) await client.close();
      const footprint = harness?.footprint;
      await sim?.close();
      await harness?.stop();
      if (pskDir) await rm(pskDir, { recursive: true, force: true });
      if (work) await rm(work, { recursive: true, force: true });
      if (footprint) expect(harnessLeftovers(footprint)).toEqual([]);
    }, 30_000);

    beforeEach(async ({ onTestFailed }) => {
      onTestFailed(async () => {
        console.log(await harness.logTails(40));
      });
      await harness.terminateAll();
    });

    async function open(file: string, era: ClientEra = 'legacy'): Promise<TestClient> {
      const client = await connectStdio({
        era,
        answer: 'accept',
        env: {
          CLOUDFLARE_API_TOKEN: TOKEN,
          CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
          CLOUDFLARE_BASE_URL: sim.url,
          IPSEC_PSK_DIR: pskDir,
          IPSEC_PSK_DELIVERY: join(work, file),
          IPSEC_PSK_HEALTH_WAIT: '10',
        },
      });
      clients.push(client);
      return client;
    }

    const simKey = (index: number) => sim.tunnel(DEMO_ACCOUNT_ID, ids[index] ?? '')?.psk ?? '';

    async function call(client: TestClient, name: string, args: Record<string, unknown>) {
      const result = await client.call(name, args);
      results.push(result);
      for (const index of [0, 1, 2]) if (simKey(index)) keysSeen.add(simKey(index));
      if (result.isError) throw new Error(JSON.stringify(result.content));
      return result.structuredContent as Record<string, unknown> & { tunnels?: Record<string, unknown>[] };
    }

    async function upWith(index: number, psk: string): Promise<void> {
      const tunnel = TUNNELS[index] as HarnessTunnel;
      await harness.setCloudflareKey(tunnel, psk);
      await harness.setDeviceKey(tunnel, psk, `ipsec-psk-${ids[index]}`);
      await harness.initiate(tunnel);
    }

    it('generate_ipsec_psk (MCP 2026-07-28 form): the device’s IKE SA is up on the key in the key file', async () => {
      await upWith(0, 'oldMcpKeyZero0123456789abcdefgh');
      const output = await call(await open('good.json', 'modern'), 'generate_ipsec_psk', {
        ipsec_tunnel_id: ids[0],
      });
      expect(output).toMatchObject({
        status: 'generated',
        delivery: { kind: 'strongswan', result: 'delivered', ike_up: true },
        health: { state: 'up' },
      });
      expect(await harness.isUp(TUNNELS[0] as HarnessTunnel)).toBe(true);
      expect(await readFile(String(output.psk_file), 'utf8')).toBe(simKey(0));
    });

    it('rotate_ipsec_psks of three: every device IKE SA up, Cloudflare sees all three up', async () => {
      for (const index of [0, 1, 2]) await upWith(index, `oldMcpFleetKey${index}abcdefghijklmnop`);
      const output = await call(await open('good.json'), 'rotate_ipsec_psks', { ipsec_tunnel_ids: ids });
      expect(output).toMatchObject({ status: 'completed', applied: 3 });
      for (const [index, tunnel] of (output.tunnels ?? []).entries()) {
        expect(tunnel).toMatchObject({
          delivery: { result: 'delivered', ike_up: true },
          health: { state: 'up' },
        });
        expect(await harness.isUp(TUNNELS[index] as HarnessTunnel)).toBe(true);
        expect(await readFile(String(tunnel.psk_file), 'utf8')).toBe(simKey(index));
      }
    });

    it('a failed delivery: the tunnel is down (AUTHENTICATION_FAILED); restore_ipsec_psk brings it back up', async () => {
      await upWith(1, 'oldMcpKeyOne0123456789abcdefghij');
      const good = await open('good.json');
      await call(good, 'rotate_ipsec_psks', { ipsec_tunnel_ids: [ids[1]] });
      const deviceKey = simKey(1);
      const failed = await call(await open('broken.json'), 'rotate_ipsec_psks', {
        ipsec_tunnel_ids: [ids[1]],
      });
      expect(failed.tunnels?.[0]).toMatchObject({
        delivery: { result: 'failed', previous_key_held: true },
      });
      expect(failed.tunnels?.[0]?.health).toBeUndefined();
      expect(JSON.stringify(results.at(-1)?.content)).toMatch(
        /The tunnel is down|FAILED, the tunnel is down/,
      );
      await harness.terminateAll();
      const refused = await harness.initiate(TUNNELS[1] as HarnessTunnel).then(
        () => new Error('the tunnel came up'),
        (error: unknown) => error,
      );
      expect(isAuthenticationFailure(refused)).toBe(true);

      const restored = await call(good, 'restore_ipsec_psk', { ipsec_tunnel_id: ids[1] });
      expect(restored).toMatchObject({ status: 'completed', applied: 1 });
      expect(simKey(1)).toBe(deviceKey);
      expect(restored.tunnels?.[0]).toMatchObject({ delivery: { result: 'delivered', ike_up: true } });
      expect(await harness.isUp(TUNNELS[1] as HarnessTunnel)).toBe(true);
      expect(good.questions.at(-1)).toMatch(/Put the previous pre-shared key back/);
    });

    it('no key in any result the model saw', () => {
      expect(keysSeen.size).toBeGreaterThanOrEqual(5);
      const visible = JSON.stringify(results);
      for (const key of keysSeen) expect(visible).not.toContain(key);
    });
  },
);
