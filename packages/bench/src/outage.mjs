// Figure 6: the outage. Two real strongSwan daemons in two network namespaces (a customer device, and Cloudflare's
// side following the simulator's keys through its attachment); the rotation engine with a strongSwan delivery target
// and no health wait. Measured: from Cloudflare's key change to the device's new IKE SA being ESTABLISHED with its
// CHILD_SA INSTALLED, seen by our own poll of the device's VICI socket, for one tunnel (Generate PSK) and for a fleet
// (one Set PSKs request; the worst tunnel, counted from the moment the request's answer was back).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { createRotator, parseDeliveryConfig } from '@ipsec-psk/rotation';
import { cloudflareDaemon, StrongSwanHarness, strongSwanPrerequisites } from '@ipsec-psk/rotation/testing';
import { TOKEN } from './servers.mjs';

export const OUTAGE_TARGET_MS = 2_000;
export const FLEET_TUNNELS = 10;
/** The longest we wait for a tunnel our poll has not seen up after the rotation returned; then the run failed. */
const SEEN_WITHIN_MS = 10_000;

const tunnelId = (index) => `be${String(index).padStart(2, '0')}${'0'.repeat(28)}`;
// Tunnel 0 is the one-tunnel figure: Generate PSK returns no ipsec_id, so its target names a custom FQDN identity,
// as an operator would. The fleet's tunnels use the key-id identity Set PSKs returns (`<account>_<tunnel>`).
const TUNNELS = Array.from({ length: FLEET_TUNNELS + 1 }, (_, index) => ({
  id: tunnelId(index),
  connection: `tun-${index}`,
  deviceId:
    index === 0
      ? `fqdn:branch-1.${DEMO_ACCOUNT_ID}.custom.ipsec.cloudflare.com`
      : `keyid:${DEMO_ACCOUNT_ID}_${tunnelId(index)}`,
  cloudflareAddress: `169.254.77.${11 + index}`,
}));
const SINGLE = TUNNELS[0];
const FLEET = TUNNELS.slice(1);

const isUp = (sa) => sa.state === 'ESTABLISHED' && sa.children.some((child) => child.state === 'INSTALLED');

/**
 * Polls the device's SAs back to back (one VICI connection per listing) and notes, per connection, when an IKE SA
 * that was not there when the watch began was first listed ESTABLISHED with a child INSTALLED. The time is the
 * listing's reply, so it is at most one listing late; `widestGapMs` is the longest time between two replies.
 */
async function watchDevice(harness, connections) {
  const vici = harness.client(harness.device);
  const earlier = new Set((await vici.listSas()).map((sa) => sa.uniqueId));
  const upAt = new Map();
  const watch = { upAt, widestGapMs: 0, stopped: false };
  watch.done = (async () => {
    let last = performance.now();
    while (!watch.stopped && upAt.size < connections.length) {
      const sas = await vici.listSas();
      const now = performance.now();
      watch.widestGapMs = Math.max(watch.widestGapMs, now - last);
      last = now;
      for (const sa of sas) {
        if (connections.includes(sa.name) && !upAt.has(sa.name) && !earlier.has(sa.uniqueId) && isUp(sa)) {
          upAt.set(sa.name, now);
        }
      }
    }
  })();
  return watch;
}

/** Waits until the watch saw every connection up again, at most SEEN_WITHIN_MS; throws naming those it did not. */
async function seenAll(watch, connections) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, SEEN_WITHIN_MS);
  });
  await Promise.race([watch.done, late]);
  clearTimeout(timer);
  watch.stopped = true;
  await watch.done;
  const missing = connections.filter((name) => !watch.upAt.has(name));
  if (missing.length > 0)
    throw new Error(`outage: no new IKE SA came up on the device for ${missing.join(', ')}`);
}

/** Everything one measurement needs, started once: the daemons, the simulator, the rotator and the time marks. */
async function setUp() {
  const harness = await StrongSwanHarness.start(TUNNELS);
  const context = { harness, changedAt: new Map(), answers: [] };
  try {
    const daemon = cloudflareDaemon(harness, new Map(TUNNELS.map((tunnel) => [tunnel.id, tunnel])));
    context.sim = await startSimulator({
      apiTokens: [TOKEN],
      attachment: {
        // Cloudflare's key change: the moment the simulator hands the stored key to Cloudflare's daemon.
        pskChanged: async (change) => {
          context.changedAt.set(change.tunnelId, performance.now());
          await daemon.pskChanged(change);
        },
        tunnelState: daemon.tunnelState,
      },
      accounts: [
        {
          id: DEMO_ACCOUNT_ID,
          tunnels: TUNNELS.map((tunnel, index) => ({
            id: tunnel.id,
            name: `bench-${index}`,
            cloudflareEndpoint: tunnel.cloudflareAddress,
          })),
        },
      ],
    });
    context.pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-outage-'));
    // When each persisting answer (Generate PSK, Set PSKs) was fully read by the client: a copy of its body is read
    // alongside, so what the engine reads is untouched.
    const timedFetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const persisting = /\/(psk_generate|ipsec_tunnels\/psk)$/.test(url.pathname);
      if (persisting && url.searchParams.get('validate_only') !== 'true') {
        const read = response
          .clone()
          .arrayBuffer()
          .then(() => performance.now());
        context.answers.push({ operation: url.pathname.endsWith('psk_generate') ? 'generate' : 'set', read });
      }
      return response;
    };
    const targets = TUNNELS.map((tunnel, index) => ({
      id: tunnel.id,
      target: {
        kind: 'strongswan',
        socket: `unix://${harness.device.socketPath}`,
        connection: tunnel.connection,
        ...(index === 0 ? { local_id: tunnel.deviceId } : {}),
        timeout_ms: 10_000,
      },
    }));
    context.rotator = createRotator({
      client: createPskClient({ apiToken: TOKEN, baseUrl: context.sim.url, fetch: timedFetch }),
      pskDir: context.pskDir,
      defaultAccountId: DEMO_ACCOUNT_ID,
      delivery: parseDeliveryConfig(JSON.stringify({ tunnels: targets }), '/bench/delivery.json'),
      // No `health`: the outage is the device's; Cloudflare's health checks are a later, lagging view of it.
      confirm: () => true,
    });
    // The state before a rotation: both sides on the same key, every tunnel up.
    for (const tunnel of TUNNELS) {
      const psk = `benchStartKey-${tunnel.connection}-0123456789abcdef`;
      await harness.setCloudflareKey(tunnel, psk);
      await harness.setDeviceKey(tunnel, psk, `ipsec-psk-${tunnel.id}`);
      await harness.initiate(tunnel);
      if (!(await harness.isUp(tunnel))) throw new Error(`outage: ${tunnel.connection} did not come up`);
    }
    return context;
  } catch (error) {
    await tearDown(context);
    throw error;
  }
}

async function tearDown({ harness, sim, pskDir }) {
  await sim?.close();
  await harness.stop();
  if (pskDir) await rm(pskDir, { recursive: true, force: true });
}

/** Every tunnel's delivery said delivered with the IKE SA up, and the harness agrees now. */
async function checkDelivered(harness, tunnels, deliveries) {
  for (const [index, delivery] of deliveries.entries()) {
    if (delivery?.result !== 'delivered' || delivery.ike_up !== true) {
      throw new Error(`outage: ${tunnels[index].connection} was not delivered: ${JSON.stringify(delivery)}`);
    }
    if (!(await harness.isUp(tunnels[index])))
      throw new Error(`outage: ${tunnels[index].connection} is down`);
  }
}

async function oneTunnel(context) {
  const { harness, rotator, changedAt, answers } = context;
  answers.length = 0;
  const watch = await watchDevice(harness, [SINGLE.connection]);
  const answer = await rotator.rotateTunnel({ tunnelId: SINGLE.id });
  const returnedAt = performance.now();
  if ('error' in answer) throw new Error(`outage: ${answer.error}`);
  await seenAll(watch, [SINGLE.connection]);
  await checkDelivered(harness, [SINGLE], [answer.output.delivery]);
  const changed = changedAt.get(SINGLE.id);
  const answered = await answers.find((a) => a.operation === 'generate').read;
  return {
    upMs: watch.upAt.get(SINGLE.connection) - changed,
    answeredMs: answered - changed,
    returnedMs: returnedAt - changed,
    gapMs: watch.widestGapMs,
  };
}

async function fleet(context) {
  const { harness, rotator, changedAt, answers } = context;
  answers.length = 0;
  const connections = FLEET.map((tunnel) => tunnel.connection);
  const watch = await watchDevice(harness, connections);
  const answer = await rotator.rotateTunnels({ tunnelIds: FLEET.map((tunnel) => tunnel.id) });
  const returnedAt = performance.now();
  if ('error' in answer) throw new Error(`outage: ${answer.error}`);
  if (answer.output.applied !== FLEET.length) throw new Error('outage: not every fleet key was applied');
  await seenAll(watch, connections);
  await checkDelivered(
    harness,
    FLEET,
    answer.output.tunnels.map((tunnel) => tunnel.delivery),
  );
  const sets = answers.filter((a) => a.operation === 'set');
  if (sets.length !== 1) throw new Error(`outage: ${sets.length} persisting Set PSKs requests, expected 1`);
  const answered = await sets[0].read;
  const ups = FLEET.map((tunnel) => watch.upAt.get(tunnel.connection));
  return {
    worstFromAnswerMs: Math.max(...ups) - answered,
    worstFromChangeMs: Math.max(...FLEET.map((tunnel, i) => ups[i] - changedAt.get(tunnel.id))),
    bestFromAnswerMs: Math.min(...ups) - answered,
    returnedMs: returnedAt - answered,
    gapMs: watch.widestGapMs,
  };
}

/**
 * Runs the outage figures `runs` times each; `{ skipped }` with the reason where strongSwan, root or network
 * namespaces are missing. The daemons and namespaces are removed whatever happens.
 */
export async function measureOutage({ runs, log }) {
  const prerequisites = strongSwanPrerequisites();
  if (!prerequisites.ok) {
    log(`  skipped: ${prerequisites.reason}`);
    return { skipped: prerequisites.reason };
  }
  const began = performance.now();
  const context = await setUp();
  const setUpMs = performance.now() - began;
  const one = [];
  const many = [];
  try {
    for (let run = 0; run < runs; run++) {
      one.push(await oneTunnel(context));
      many.push(await fleet(context));
    }
  } finally {
    await tearDown(context);
  }
  const column = (samples, field) => samples.map((sample) => sample[field]);
  const result = {
    runs,
    fleetSize: FLEET.length,
    setUpMs,
    one: Object.fromEntries(Object.keys(one[0]).map((field) => [field, column(one, field)])),
    fleet: Object.fromEntries(Object.keys(many[0]).map((field) => [field, column(many, field)])),
  };
  const worst = (values) => Math.max(...values).toFixed(0);
  log(`  one tunnel: key changed -> device IKE SA up, worst ${worst(result.one.upMs)} ms of ${runs}`);
  log(
    `  ${FLEET.length} tunnels: Set PSKs answered -> last device IKE SA up, worst ${worst(result.fleet.worstFromAnswerMs)} ms of ${runs}`,
  );
  return result;
}
