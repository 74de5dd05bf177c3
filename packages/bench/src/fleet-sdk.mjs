// Figure 7: a fleet side by side with the script a user would otherwise write on the official `cloudflare` SDK:
// list, then `pskGenerate` per tunnel, 10 at a time, keys kept in memory and written once at the end (unsafe: a
// crash loses every key generated so far, but fast). Ours is what `ipsec-psk rotate --older-than 0 --yes` runs, in
// process: one list, the rotation (locks, validation, keys stored and synced one file each, attempt lines, Set
// PSKs), outcome lines. Interleaved runs (ours, the SDK's, ours, …) against the simulator with its rate limit off
// (what 1200 requests per 5 minutes costs is computed from the request counts), at 0 ms and 150 ms of latency.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, manyTunnels, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { createRotator } from '@ipsec-psk/rotation';
import Cloudflare from 'cloudflare';
import pMap from 'p-map';
import { measureDiskFloor } from './disk-floor.mjs';
import { median } from './stats.mjs';

const TOKEN = 'SENTINELbenchSdkToken00000001';
/** Cloudflare's documented global limit: 1200 requests per 5 minutes. */
export const CLOUDFLARE_LIMIT = { requests: 1200, windowS: 300 };

async function ours(sim) {
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-ours-'));
  const timeline = { asked: 0, firstSet: Number.POSITIVE_INFINITY, lastSetEnd: 0 };
  const fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const setting =
      request.method === 'POST' && url.pathname.endsWith('/psk') && !url.search.includes('validate_only');
    if (setting) timeline.firstSet = Math.min(timeline.firstSet, performance.now());
    const response = await globalThis.fetch(request);
    if (setting) timeline.lastSetEnd = Math.max(timeline.lastSetEnd, performance.now());
    return response;
  };
  const client = createPskClient({ apiToken: TOKEN, baseUrl: sim.url, fetch });
  const rotator = createRotator({
    client,
    pskDir,
    defaultAccountId: DEMO_ACCOUNT_ID,
    confirm: () => {
      timeline.asked = performance.now();
      return true;
    },
  });
  const before = sim.requests.length;
  const start = performance.now();
  try {
    const readAt = Date.now();
    const tunnels = await client.listIpsecTunnels({ accountId: DEMO_ACCOUNT_ID });
    const answer = await rotator.rotateTunnels({
      tunnelIds: tunnels.map((tunnel) => tunnel.id),
      known: { tunnels, readAt },
    });
    const done = performance.now();
    if (!('output' in answer) || answer.output.applied !== tunnels.length)
      throw new Error('ours: not every key applied');
    return {
      ms: done - start,
      requests: sim.requests.length - before,
      phases: {
        'list, validate and take the locks': timeline.asked - start,
        'store the first batch’s keys and attempt lines': timeline.firstSet - timeline.asked,
        'send the batches (storing the next meanwhile)': timeline.lastSetEnd - timeline.firstSet,
        'outcome lines and the result': done - timeline.lastSetEnd,
      },
    };
  } finally {
    await rm(pskDir, { recursive: true, force: true });
  }
}

async function sdkScript(sim) {
  const dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-sdk-'));
  const cloudflare = new Cloudflare({ apiToken: TOKEN, baseURL: sim.url, maxRetries: 0 });
  const before = sim.requests.length;
  const start = performance.now();
  try {
    const listed = await cloudflare.magicTransit.ipsecTunnels.list({ account_id: DEMO_ACCOUNT_ID });
    const keys = await pMap(
      listed.ipsec_tunnels ?? [],
      async (tunnel) => {
        const generated = await cloudflare.magicTransit.ipsecTunnels.pskGenerate(tunnel.id ?? '', {
          account_id: DEMO_ACCOUNT_ID,
        });
        return { id: tunnel.id, psk: generated.psk };
      },
      { concurrency: 10 },
    );
    await writeFile(join(dir, 'keys.json'), JSON.stringify(keys), { mode: 0o600 });
    if (keys.some((key) => !key.psk)) throw new Error('sdk: a key is missing');
    return { ms: performance.now() - start, requests: sim.requests.length - before };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ours and the SDK script, interleaved, `runs` times each, for each size and latency. */
export async function measureFleetVsSdk({ plan, log }) {
  const results = [];
  for (const { count, latencyMs, runs } of plan) {
    const sim = await startSimulator({
      apiTokens: [TOKEN],
      latencyMs,
      rateLimit: { limit: 1_000_000_000, windowMs: 300_000 },
      accounts: [manyTunnels(count, { lastGeneratedOn: '2026-01-01T00:00:00Z' })],
    });
    const samples = { ours: [], sdk: [], floor: [] };
    try {
      for (let run = 0; run < runs; run++) {
        samples.ours.push(await ours(sim));
        samples.sdk.push(await sdkScript(sim));
        samples.floor.push(await measureDiskFloor(count));
      }
    } finally {
      await sim.close();
    }
    const ratios = samples.ours.map((o, i) => o.ms / (samples.sdk[i]?.ms ?? Number.NaN));
    const result = {
      count,
      latencyMs,
      runs,
      oursMs: median(samples.ours.map((s) => s.ms)),
      sdkMs: median(samples.sdk.map((s) => s.ms)),
      floorMs: median(samples.floor),
      ratio: median(ratios),
      oursRequests: samples.ours[0]?.requests ?? 0,
      sdkRequests: samples.sdk[0]?.requests ?? 0,
      phases: Object.fromEntries(
        Object.keys(samples.ours[0]?.phases ?? {}).map((name) => [
          name,
          median(samples.ours.map((s) => s.phases[name])),
        ]),
      ),
    };
    results.push(result);
    log(
      `  ${count} tunnels at ${latencyMs} ms: ours ${result.oursMs.toFixed(0)} ms (${result.oursRequests} requests), ` +
        `SDK script ${result.sdkMs.toFixed(0)} ms (${result.sdkRequests} requests): ${result.ratio.toFixed(2)}×`,
    );
  }
  return results;
}

/** The least time `requests` take under Cloudflare's 1200 per 5 minutes, in seconds (0 when within one window). */
export function underLimitS(requests) {
  const windows = Math.ceil(requests / CLOUDFLARE_LIMIT.requests) - 1;
  return Math.max(0, windows) * CLOUDFLARE_LIMIT.windowS;
}
