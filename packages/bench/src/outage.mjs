// Figure 6: the outage. Two real strongSwan daemons in two network namespaces (a customer device, and Cloudflare's
// side following the simulator's keys through its attachment); the rotation engine with a strongSwan delivery target
// and no health wait. Measured: from Cloudflare's key change to the device's new IKE SA being ESTABLISHED with its
// CHILD_SA INSTALLED, as the device's charon logged it (read afterwards, so nothing loads the daemon while it works),
// for one tunnel (Generate PSK) and for a fleet (one Set PSKs request; the worst tunnel, counted from the moment the
// request's answer was back). Every time is wall-clock epoch ms, the clock charon's log is written in.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { createRotator, parseDeliveryConfig } from '@ipsec-psk/rotation';
import {
  cloudflareDaemon,
  harnessLeftovers,
  StrongSwanHarness,
  strongSwanPrerequisites,
} from '@ipsec-psk/rotation/testing';
import { TOKEN } from './servers.mjs';

export const OUTAGE_TARGET_MS = 2_000;
export const FLEET_TUNNELS = 10;
/** The longest we wait for a tunnel's line in the device's log after the rotation returned; then the run failed. */
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

// charon's own record of a CHILD_SA installed, at the end of IKE_AUTH (after the IKE SA's ESTABLISHED), e.g.
// `11:01:33.196 15[IKE] <tun-8|38> CHILD_SA tun-8{38} established with SPIs …`: the time, connection, IKE SA id.
const CHILD_ESTABLISHED =
  /^(\d\d):(\d\d):(\d\d)\.(\d{3}) +\d+\[IKE\] <([^|>]+)\|(\d+)> CHILD_SA \S+ established with SPIs/;
// The device sent an IKE request again, having had no answer within charon's retransmit timeout.
const RETRANSMIT = /\[IKE\] <[^>]+> retransmit \d+ of request/g;
const HALF_DAY_MS = 12 * 3_600_000;

/** A log line's wall-clock time (local, milliseconds, no date) as epoch ms: the one nearest to `reference`. */
function logTime([hours, minutes, seconds, millis], reference) {
  const at = new Date(reference);
  at.setHours(Number(hours), Number(minutes), Number(seconds), Number(millis));
  const time = at.getTime();
  if (time - reference > HALF_DAY_MS) return time - 2 * HALF_DAY_MS;
  return reference - time > HALF_DAY_MS ? time + 2 * HALF_DAY_MS : time;
}

/**
 * Watches the device for new IKE SAs: what is up when it begins (by IKE SA id) and where its log ends. `upAt`
 * then reads, from the device charon's log, when each connection's CHILD_SA was established on an IKE SA that was
 * not there before, and how many IKE requests the device retransmitted meanwhile; it waits for lines still missing
 * (a failed run), at most SEEN_WITHIN_MS.
 */
async function watchDevice(harness) {
  const before = new Set((await harness.client(harness.device).listSas()).map((sa) => sa.uniqueId));
  const offset = (await stat(harness.device.logFile)).size;
  const upAt = async (connections) => {
    const found = new Map();
    const deadline = Date.now() + SEEN_WITHIN_MS;
    for (;;) {
      const log = (await readFile(harness.device.logFile)).subarray(offset).toString('utf8');
      for (const line of log.split('\n')) {
        const match = CHILD_ESTABLISHED.exec(line);
        if (!match || !connections.includes(match[5]) || found.has(match[5])) continue;
        const ikeId = Number(match[6]);
        if (!before.has(ikeId)) found.set(match[5], { at: logTime(match.slice(1, 5), Date.now()), ikeId });
      }
      const missing = connections.filter((name) => !found.has(name));
      if (missing.length === 0) return { found, retransmits: log.match(RETRANSMIT)?.length ?? 0 };
      if (Date.now() > deadline)
        throw new Error(`outage: no new CHILD_SA in the device's log for ${missing}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { upAt };
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
          context.changedAt.set(change.tunnelId, Date.now());
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
          .then(() => Date.now());
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

/** Stops the simulator and both daemons (by PID), removes the namespaces and files; throws if anything is left. */
async function tearDown({ harness, sim, pskDir }) {
  const footprint = harness.footprint;
  try {
    await sim?.close();
    await harness.stop();
  } finally {
    if (pskDir) await rm(pskDir, { recursive: true, force: true });
  }
  const left = harnessLeftovers(footprint);
  if (left.length > 0) throw new Error(`outage: the harness left ${left.join(', ')}`);
}

/**
 * Every tunnel's delivery said delivered with the IKE SA up, and the device lists the IKE SA its log named
 * ESTABLISHED with the CHILD_SA INSTALLED now; returns when each came up (epoch ms, by connection) and how many IKE
 * requests the device retransmitted.
 */
async function checkedUp(harness, watch, tunnels, deliveries) {
  for (const [index, delivery] of deliveries.entries()) {
    if (delivery?.result !== 'delivered' || delivery.ike_up !== true) {
      throw new Error(`outage: ${tunnels[index].connection} was not delivered: ${JSON.stringify(delivery)}`);
    }
  }
  const connections = tunnels.map((tunnel) => tunnel.connection);
  const { found, retransmits } = await watch.upAt(connections);
  const sas = await harness.client(harness.device).listSas();
  for (const name of connections) {
    const sa = sas.find(
      (candidate) => candidate.uniqueId === found.get(name).ikeId && candidate.name === name,
    );
    const up = sa?.state === 'ESTABLISHED' && sa.children.some((child) => child.state === 'INSTALLED');
    if (!up) throw new Error(`outage: ${name}'s new IKE SA is not up on the device`);
  }
  return { upAt: new Map([...found].map(([name, { at }]) => [name, at])), retransmits };
}

async function oneTunnel(context) {
  const { harness, rotator, changedAt, answers } = context;
  answers.length = 0;
  const watch = await watchDevice(harness);
  const answer = await rotator.rotateTunnel({ tunnelId: SINGLE.id });
  const returnedAt = Date.now();
  if ('error' in answer) throw new Error(`outage: ${answer.error}`);
  const { upAt, retransmits } = await checkedUp(harness, watch, [SINGLE], [answer.output.delivery]);
  const changed = changedAt.get(SINGLE.id);
  const answered = await answers.find((a) => a.operation === 'generate').read;
  return {
    upMs: upAt.get(SINGLE.connection) - changed,
    answeredMs: answered - changed,
    returnedMs: returnedAt - changed,
    retransmits,
  };
}

async function fleet(context) {
  const { harness, rotator, changedAt, answers } = context;
  answers.length = 0;
  const watch = await watchDevice(harness);
  const answer = await rotator.rotateTunnels({ tunnelIds: FLEET.map((tunnel) => tunnel.id) });
  const returnedAt = Date.now();
  if ('error' in answer) throw new Error(`outage: ${answer.error}`);
  if (answer.output.applied !== FLEET.length) throw new Error('outage: not every fleet key was applied');
  const deliveries = answer.output.tunnels.map((tunnel) => tunnel.delivery);
  const { upAt, retransmits } = await checkedUp(harness, watch, FLEET, deliveries);
  const sets = answers.filter((a) => a.operation === 'set');
  if (sets.length !== 1) throw new Error(`outage: ${sets.length} persisting Set PSKs requests, expected 1`);
  const answered = await sets[0].read;
  const ups = FLEET.map((tunnel) => upAt.get(tunnel.connection));
  return {
    worstFromAnswerMs: Math.max(...ups) - answered,
    worstFromChangeMs: Math.max(...FLEET.map((tunnel, i) => ups[i] - changedAt.get(tunnel.id))),
    bestFromAnswerMs: Math.min(...ups) - answered,
    returnedMs: returnedAt - answered,
    retransmits,
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
