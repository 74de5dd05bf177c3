// Figure 5: a fleet. rotate_ipsec_psks over many tunnels, form-confirmed, against the simulator answering 150 ms
// after each request: the API round trips before the question and after consent, and how long the user waits after
// saying yes (every key made, stored and synced, the attempt lines synced, the requests, the outcome lines).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manyTunnels, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { LATENCY_MS, roundTrips } from './round-trips.mjs';
import { connectOurs, TOKEN } from './servers.mjs';
import { medians } from './stats.mjs';

export const FLEET_SIZES = [10, 100, 500];

async function once(count) {
  const account = manyTunnels(count, { lastGeneratedOn: '2026-01-01T00:00:00Z' });
  const sim = await startSimulator({ apiTokens: [TOKEN], latencyMs: LATENCY_MS, accounts: [account] });
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-bulk-'));
  let asked;
  const server = await connectOurs({
    sim,
    pskDir,
    capabilities: { elicitation: { form: {} } },
    onElicit: async () => {
      asked = { at: performance.now(), requests: sim.requests.length };
      return { action: 'accept', content: { confirm: true } };
    },
  });
  try {
    const start = performance.now();
    const result = await server.client.callTool(
      { name: 'rotate_ipsec_psks', arguments: { ipsec_tunnel_ids: account.tunnels.map((t) => t.id) } },
      undefined,
      { timeout: 120_000 },
    );
    const done = performance.now();
    if (result.structuredContent?.applied !== count) throw new Error(`bulk ${count}: not every key applied`);
    const before = sim.requests.slice(0, asked.requests);
    const after = sim.requests.slice(asked.requests);
    return {
      beforeTrips: roundTrips(before),
      beforeMs: asked.at - start,
      afterTrips: roundTrips(after),
      afterRequests: after.length,
      afterMs: done - asked.at,
    };
  } finally {
    await server.close();
    await sim.close();
    await rm(pskDir, { recursive: true, force: true });
  }
}

export async function measureBulk({ runs, log }) {
  const results = {};
  for (const count of FLEET_SIZES) {
    const samples = [];
    for (let run = 0; run < runs; run++) samples.push(await once(count));
    results[count] = medians(samples);
    const r = results[count];
    log(
      `  ${count} tunnels: before the question ${r.beforeTrips} round trip(s), ${r.beforeMs.toFixed(0)} ms; ` +
        `after consent ${r.afterTrips} round trip(s), ${r.afterMs.toFixed(0)} ms`,
    );
  }
  return results;
}
