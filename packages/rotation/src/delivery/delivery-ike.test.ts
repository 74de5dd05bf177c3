import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEMO_ACCOUNT_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkTunnelHealth } from '../health/check-health.js';
import type { DeliveryOutput } from '../output.js';
import { createRotator, type Rotator } from '../rotator.js';
import { cloudflareDaemon } from '../testing/strongswan/cloudflare-side.js';
import { DEVICE_ADDRESS, type HarnessTunnel } from '../testing/strongswan/config.js';
import { harnessLeftovers, StrongSwanHarness } from '../testing/strongswan/harness.js';
import { realIkeRequired, strongSwanPrerequisites } from '../testing/strongswan/prerequisites.js';
import { parseDeliveryConfig } from './config-file.js';
import { isAuthenticationFailure } from './vici/client.js';

// Delivery against real IKE: a customer device and Cloudflare's side as two strongSwan daemons, Cloudflare's side
// following the simulator's key state. A rotation ends with the device's IKE SA ESTABLISHED on the new key; without
// delivery the device fails with AUTHENTICATION_FAILED; the way back brings the previous key up again.
// Skipped without root or strongSwan, except under CI, where that fails.

const prerequisites = strongSwanPrerequisites();
const suite = prerequisites.ok || realIkeRequired() ? describe : describe.skip;
const title = prerequisites.ok
  ? 'delivery to a real strongSwan device'
  : `real IKE (${prerequisites.reason})`;

const TOKEN = 'SENTINELikeToken9o8i7u6y';
const ids = ['a1', 'b2', 'c3'].map((tag) => `${tag}${'0'.repeat(28)}${tag}`);
const TUNNELS: HarnessTunnel[] = ids.map((id, index) => ({
  connection: `tun-${index}`,
  // The first uses a custom FQDN identity (configured in its target: Generate PSK returns no ipsec_id); the others
  // Set PSKs' ipsec_id, which the target derives.
  deviceId:
    index === 0
      ? `fqdn:branch-1.${DEMO_ACCOUNT_ID}.custom.ipsec.cloudflare.com`
      : `keyid:${DEMO_ACCOUNT_ID}_${id}`,
  cloudflareAddress: `169.254.77.${11 + index}`,
}));
const byId = new Map(ids.map((id, index) => [id, TUNNELS[index] as HarnessTunnel]));

function report(line: string): void {
  console.log(`[real IKE] ${line}`);
}

suite(title, () => {
  let harness: StrongSwanHarness;
  let sim: Simulator;
  let pskDir: string;
  const changedAt = new Map<string, number>();
  const seen: unknown[] = [];

  beforeAll(async () => {
    if (!prerequisites.ok)
      throw new Error(`CI is set, so real-IKE tests must run, but: ${prerequisites.reason}`);
    const started = performance.now();
    harness = await StrongSwanHarness.start(TUNNELS);
    report(`two daemons, 3 tunnels, connections loaded in ${(performance.now() - started).toFixed(0)} ms`);
    const daemon = cloudflareDaemon(harness, byId);
    sim = await startSimulator({
      apiTokens: [TOKEN],
      attachment: {
        pskChanged: async (change) => {
          await daemon.pskChanged(change);
          changedAt.set(change.tunnelId, performance.now());
        },
        tunnelState: daemon.tunnelState,
      },
      accounts: [
        {
          id: DEMO_ACCOUNT_ID,
          tunnels: ids.map((id, index) => ({
            id,
            name: `ike-0${index + 1}`,
            cloudflareEndpoint: TUNNELS[index]?.cloudflareAddress,
            customerEndpoint: DEVICE_ADDRESS,
          })),
        },
      ],
    });
    pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-ike-keys-'));
  }, 60_000);

  afterAll(async () => {
    const footprint = harness?.footprint;
    await sim?.close();
    await harness?.stop();
    if (pskDir) await rm(pskDir, { recursive: true, force: true });
    if (footprint) expect(harnessLeftovers(footprint)).toEqual([]);
  }, 30_000);

  beforeEach(async ({ onTestFailed }) => {
    onTestFailed(async () => {
      console.log(await harness.logTails(40));
    });
    await harness.terminateAll();
  });

  const target = (index: number, extra: Record<string, unknown> = {}) => ({
    id: ids[index],
    target: {
      kind: 'strongswan',
      socket: `unix://${harness.device.socketPath}`,
      connection: TUNNELS[index]?.connection,
      ...(index === 0 ? { local_id: TUNNELS[0]?.deviceId } : {}),
      timeout_ms: 10_000,
      ...extra,
    },
  });

  function rotator(rules: unknown[], extra: Record<string, unknown> = {}): Rotator {
    return createRotator({
      client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { baseDelayMs: 1 } }),
      pskDir,
      defaultAccountId: DEMO_ACCOUNT_ID,
      delivery: parseDeliveryConfig(JSON.stringify({ tunnels: rules, ...extra }), '/test/delivery.json'),
      health: { waitMs: 10_000, pollMs: 100 },
      confirm: () => true,
    });
  }

  /** Both sides on a known key, the tunnel up: the state before a rotation. */
  async function upWith(index: number, psk: string): Promise<void> {
    const tunnel = TUNNELS[index] as HarnessTunnel;
    await harness.setCloudflareKey(tunnel, psk);
    await harness.setDeviceKey(tunnel, psk, `ipsec-psk-${ids[index]}`);
    await harness.initiate(tunnel);
    expect(await harness.isUp(tunnel)).toBe(true);
  }

  const simKey = (index: number) => sim.tunnel(DEMO_ACCOUNT_ID, ids[index] ?? '')?.psk ?? '';

  async function initiateFailure(index: number): Promise<unknown> {
    return harness.initiate(TUNNELS[index] as HarnessTunnel).then(
      () => new Error('the tunnel came up'),
      (error: unknown) => error,
    );
  }

  it('one tunnel, Generate PSK: the device’s IKE SA is up again on the new key, the key in its file', async () => {
    await upWith(0, 'oldKeyOfTunnelZero0123456789abcd');
    const answer = await rotator([target(0)]).rotateTunnel({ tunnelId: ids[0] ?? '' });
    const doneAt = performance.now();
    if ('error' in answer) throw new Error(answer.error);
    seen.push(answer);
    report(
      `Generate PSK: key changed at Cloudflare -> device IKE SA up in ${(doneAt - (changedAt.get(ids[0] ?? '') ?? 0)).toFixed(0)} ms`,
    );
    expect(answer.output.delivery).toMatchObject({
      target: 'strongswan:tun-0',
      result: 'delivered',
      ike_up: true,
    });
    expect(answer.text).toMatch(
      /Delivered to strongswan:tun-0: loaded into charon at .*ESTABLISHED with the new key\./,
    );
    // Cloudflare's view (the simulator's health query answered from Cloudflare's daemon) agrees.
    expect(answer.output.health).toMatchObject({ state: 'up', colos: 3 });
    expect(answer.text).toMatch(/Cloudflare sees the tunnel up again/);
    expect(await harness.isUp(TUNNELS[0] as HarnessTunnel)).toBe(true);

    // The key the device has is the key file's: Cloudflare's side given the file's content, a new IKE SA comes up.
    const file = await readFile(answer.output.psk_file ?? '', 'utf8');
    expect(file).toBe(simKey(0));
    await harness.terminateAll();
    await harness.setCloudflareKey(TUNNELS[0] as HarnessTunnel, file);
    await harness.initiate(TUNNELS[0] as HarnessTunnel);
    expect(await harness.isUp(TUNNELS[0] as HarnessTunnel)).toBe(true);
  });

  it('a fleet of three, Set PSKs: every device IKE SA is up again on its new key', async () => {
    for (const index of [0, 1, 2]) await upWith(index, `oldFleetKey${index}abcdefghijklmnopqrstu`);
    const started = performance.now();
    const answer = await rotator([target(0), target(1), target(2)]).rotateTunnels({ tunnelIds: ids });
    if ('error' in answer) throw new Error(answer.error);
    seen.push(answer);
    report(
      `Set PSKs for 3 tunnels, delivered and all 3 IKE SAs up: ${(performance.now() - started).toFixed(0)} ms in all`,
    );
    expect(answer.output).toMatchObject({ status: 'completed', applied: 3 });
    for (const [index, tunnel] of answer.output.tunnels.entries()) {
      expect(tunnel.delivery).toMatchObject({ result: 'delivered', ike_up: true });
      expect(tunnel.health).toMatchObject({ state: 'up' });
      expect(await harness.isUp(TUNNELS[index] as HarnessTunnel)).toBe(true);
      expect(await readFile(tunnel.psk_file ?? '', 'utf8')).toBe(simKey(index));
    }
    expect(answer.text).toMatch(/Delivery to the customer devices: 3 delivered\./);
    expect(answer.text).toMatch(/Cloudflare's view after delivery: 3 up\./);
  });

  it('no target: skipped, and the device fails with AUTHENTICATION_FAILED; the result says the tunnel is down', async () => {
    await upWith(1, 'oldKeyOfTunnelOne0123456789abcde');
    const answer = await rotator([target(0)]).rotateTunnels({ tunnelIds: [ids[1] ?? ''] });
    if ('error' in answer) throw new Error(answer.error);
    seen.push(answer);
    expect(answer.output.tunnels[0]?.delivery).toMatchObject({ target: 'none', result: 'skipped' });
    expect(answer.text).toMatch(/not delivered \(no target in \/test\/delivery\.json matches this tunnel/);
    // The old IKE SA lives on (an established SA ignores key changes) until it is re-established.
    expect(await harness.isUp(TUNNELS[1] as HarnessTunnel)).toBe(true);
    await harness.terminateAll();
    expect(isAuthenticationFailure(await initiateFailure(1))).toBe(true);
    // Nothing reached the device, so nothing waited on Cloudflare's view; asked now, it says down.
    expect(answer.output.tunnels[0]?.health).toBeUndefined();
    const [later] = await checkTunnelHealth(createPskClient({ apiToken: TOKEN, baseUrl: sim.url }), {
      accountId: DEMO_ACCOUNT_ID,
      tunnelIds: [ids[1] ?? ''],
    });
    expect(later?.health).toMatchObject({ state: 'down' });
  });

  it('a failing target, then the way back: the previous key is put back and the IKE SA comes up', async () => {
    await upWith(2, 'oldKeyOfTunnelTwo0123456789abcde');
    const good = rotator([target(2)]);
    const first = await good.rotateTunnels({ tunnelIds: [ids[2] ?? ''] });
    if ('error' in first) throw new Error(first.error);
    const deviceKey = simKey(2);

    const broken = rotator([target(2, { socket: `unix://${join(harness.device.dir, 'no-such.vici')}` })]);
    const failedRun = await broken.rotateTunnels({ tunnelIds: [ids[2] ?? ''] });
    if ('error' in failedRun) throw new Error(failedRun.error);
    seen.push(first, failedRun);
    const delivery = failedRun.output.tunnels[0]?.delivery as DeliveryOutput;
    expect(failedRun.output).toMatchObject({ status: 'completed', applied: 1 });
    expect(delivery).toMatchObject({
      result: 'failed',
      detail: expect.stringMatching(/^the key could not be loaded into charon at .*no-such\.vici: connect/),
      previous_key_held: true,
      previous_key_file: first.output.tunnels[0]?.psk_file,
    });
    await harness.terminateAll();
    expect(isAuthenticationFailure(await initiateFailure(2))).toBe(true);

    const restored = await good.restorePreviousKey({ tunnelId: ids[2] ?? '' });
    if ('error' in restored) throw new Error(restored.error);
    seen.push(restored);
    expect(simKey(2)).toBe(deviceKey);
    expect(restored.output.tunnels[0]?.delivery).toMatchObject({ result: 'delivered', ike_up: true });
    expect(await harness.isUp(TUNNELS[2] as HarnessTunnel)).toBe(true);
  });

  it('the strongSwan configuration text, loaded by the device’s charon, brings its SA up', async () => {
    await harness.setCloudflareKey(TUNNELS[1] as HarnessTunnel, 'whatever-before-the-rotation-0123');
    const answer = await rotator([
      { id: ids[1], target: { kind: 'config', platform: 'strongswan' } },
    ]).rotateTunnels({
      tunnelIds: [ids[1] ?? ''],
    });
    if ('error' in answer) throw new Error(answer.error);
    seen.push(answer);
    const file = answer.output.tunnels[0]?.delivery?.config_file ?? '';
    expect(file).toMatch(/\.swanctl\.conf$/);
    const name = `cf-${ids[1]?.slice(0, 12)}`;
    try {
      // start_action = start: charon initiates as soon as it has loaded the connection and its secret.
      await harness.loadConnections(harness.device, file, '--load-all');
      const deadline = Date.now() + 5_000;
      let up = false;
      while (!up && Date.now() < deadline) {
        const sas = await harness.client(harness.device).listSas({ ike: name });
        up = sas.some((sa) => sa.state === 'ESTABLISHED' && sa.children.some((c) => c.state === 'INSTALLED'));
        if (!up) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(up).toBe(true);
    } finally {
      // --load-all replaced the device's connections with the file's; put the harness's back.
      await harness.terminateAll();
      await harness.loadConnections(harness.device);
    }
  });

  it('never shows a key: not in results, texts, the audit log, or either daemon’s log', async () => {
    const keys = ids.map((_, index) => simKey(index)).filter(Boolean);
    expect(keys).toHaveLength(3);
    const visible = [
      JSON.stringify(seen),
      await readFile(join(pskDir, 'audit.jsonl'), 'utf8'),
      await harness.readLog(harness.device),
      await harness.readLog(harness.cloudflare),
    ].join('\n');
    for (const key of keys) {
      for (const form of [key, Buffer.from(key).toString('hex'), Buffer.from(key).toString('base64')]) {
        expect(visible).not.toContain(form);
      }
    }
  });
});
