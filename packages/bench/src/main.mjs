// `pnpm bench`: what a user waits for, measured on the built packages, written to docs/benchmarks.md.
//
// Usage: node src/main.mjs [--quick] [--out FILE]
//   --quick     one run of each figure: checks that every measurement works; its figures mean little
//   --out FILE  where to write the Markdown; default docs/benchmarks.md at the repository root for a full run.
//               A --quick run writes only where --out says, so a smoke run never replaces the real figures.
// It never fails on speed: the exit code is 0 unless a measurement crashes.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FLEET_SIZES, measureBulk } from './bulk.mjs';
import { measureFleetVsSdk } from './fleet-sdk.mjs';
import { fleetSdkRows, fleetSdkSection } from './fleet-sdk-report.mjs';
import { measureBundle, measureFootprint } from './footprint.mjs';
import { measureOutage } from './outage.mjs';
import { outageRows, outageSection } from './outage-report.mjs';
import { LATENCY_MS, measureRoundTrips } from './round-trips.mjs';
import { measureStartup } from './startup.mjs';
import { median, spread } from './stats.mjs';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
// The MCP server's closure before it shipped as a bundle (an earlier run of this benchmark), for its target.
const EARLIER_SERVER_CLOSURE_MB = 21.6;

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
  strict: true,
});
const runs = values.quick ? { trips: 1, startup: 2, outage: 1 } : { trips: 3, startup: 9, outage: 10 };
const outFile = values.out
  ? resolve(process.env.INIT_CWD ?? process.cwd(), values.out)
  : values.quick
    ? undefined
    : resolve(REPO_ROOT, 'docs/benchmarks.md');
const log = (line) => console.log(line);
const began = performance.now();

log(`1. Round trips around a rotation (API answers after ${LATENCY_MS} ms)`);
const trips = await measureRoundTrips({ runs: runs.trips, log });
log('2 and 4. Start-up and memory, against a minimal server on the same SDK');
const { startup, memory } = await measureStartup({ runs: runs.startup, log });
log('3. What npx installs');
const footprint = await measureFootprint({ log });
const bundle = await measureBundle({ log });
log(`5. A fleet: rotate_ipsec_psks over ${FLEET_SIZES.join(', ')} tunnels`);
const bulk = await measureBulk({ runs: runs.trips, log });
log('6. The outage: key changed at Cloudflare → the device’s IKE SA up again (two strongSwan daemons)');
const outage = await measureOutage({ runs: runs.outage, log });
log('7. A fleet side by side with a script on the official SDK (10 at a time)');
const fleetPlan = values.quick
  ? [{ count: 100, latencyMs: 0, runs: 1 }]
  : [
      { count: 1000, latencyMs: 0, runs: 3 },
      { count: 1000, latencyMs: 150, runs: 3 },
      { count: 5000, latencyMs: 0, runs: 1 },
      { count: 5000, latencyMs: 150, runs: 1 },
    ];
const fleetSdk = await measureFleetVsSdk({ plan: fleetPlan, log });
const seconds = (performance.now() - began) / 1000;
log(`Done in ${seconds.toFixed(0)} s.`);

const mb = (bytes) => (bytes / 1e6).toFixed(2);
const verdict = (ok) => (ok ? 'met' : '**missed**');
const core = footprint['@ipsec-psk/core'];
const server = footprint['@ipsec-psk/mcp-server'];
const serverTarget = EARLIER_SERVER_CLOSURE_MB * 0.25;
const startupRatio = median(startup.ratio);
const tripsMet = Object.values(trips).every((r) => r.beforeTrips === 1 && r.afterTrips === 1);

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

const report = `# Benchmarks

What a user waits for, measured on the built packages by \`pnpm bench\` (${seconds.toFixed(0)} s; ${
  values.quick
    ? 'a --quick run: one sample each, for checking only'
    : `${runs.trips} runs of each flow, ${runs.startup} start-ups of each server, ${runs.outage} of each outage`
}), commit \`${commit}\`, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${new Date().toISOString().slice(0, 10)}.
Times depend on the machine; compare the counts and ratios.

| figure | measured | target | verdict |
| --- | --- | --- | --- |
| API round trips before the question / after consent | ${Object.entries(trips)
  .map(([channel, r]) => `${channel} ${r.beforeTrips} / ${r.afterTrips}`)
  .join(', ')} | 1 / 1 | ${verdict(tripsMet)} |
| spawn → \`tools/list\`, ours ÷ minimal server | ${startupRatio.toFixed(2)}× | ≤ 0.8× | ${verdict(startupRatio <= 0.8)} |
| what \`npx\` installs: MCP server | ${mb(server.bytes)} MB, ${server.packages.length} package(s) | ≤ ${serverTarget.toFixed(1)} MB (25% of ${EARLIER_SERVER_CLOSURE_MB} MB) | ${verdict(server.bytes / 1e6 <= serverTarget)} |
| the MCP Bundle (\`.mcpb\`): download / unpacked | ${mb(bundle.bytes)} MB / ${mb(bundle.unpackedBytes)} MB | report only | — |
| what \`npm install\` puts on disk: core | ${mb(core.bytes)} MB, ${core.packages.length} package(s) | ≤ 1 MB | ${verdict(core.bytes <= 1e6)} |
| a fleet of ${FLEET_SIZES.at(-1)} tunnels: round trips before the question / after consent | ${bulk[FLEET_SIZES.at(-1)].beforeTrips} / ${bulk[FLEET_SIZES.at(-1)].afterTrips} | 1 / ≤ ⌈n ÷ 100⌉ = ${Math.ceil(FLEET_SIZES.at(-1) / 100)} | ${verdict(bulk[FLEET_SIZES.at(-1)].beforeTrips === 1 && bulk[FLEET_SIZES.at(-1)].afterTrips <= Math.ceil(FLEET_SIZES.at(-1) / 100))} |
| memory after a rotation, ours ÷ minimal server | ${(memory.oursMb / memory.minimalMb).toFixed(2)}× (${memory.oursMb.toFixed(0)} MB / ${memory.minimalMb.toFixed(0)} MB) | report only | — |
${outageRows(outage)}
${fleetSdkRows(fleetSdk)}

## 1. Round trips around a rotation

Our built binary over stdio, spawned by the MCP SDK's client as a host does, against the Cloudflare simulator
answering every request ${LATENCY_MS} ms after it arrives (a far API). "Before" runs from the call to the moment the
user sees the question (the form arrives; the token result comes back; the panel has opened its confirmation);
"after" from the user's yes (accepting the form; the second call; the click on Rotate now) to the answer, key
stored. Requests that arrive together count as one round trip. Medians of ${runs.trips} run(s).

| channel | before: round trips | requests | ms | after: round trips | requests | ms |
| --- | --- | --- | --- | --- | --- | --- |
${Object.entries(trips)
  .map(
    ([channel, r]) =>
      `| ${channel} | ${r.beforeTrips} | ${r.beforeRequests} | ${r.beforeMs.toFixed(0)} | ${r.afterTrips} | ${r.afterRequests} | ${r.afterMs.toFixed(0)} |`,
  )
  .join('\n')}

Before the question, the validate-only call and the tunnel read go out together (two requests, one round trip).
After consent, the one request is the persisting call; the token and the panel reuse what was validated when the
question was asked. The rest of "after" is writing the key (a synced reservation filled, renamed, synced) and the
audit lines.

## 2. Start-up

Spawn → \`initialize\` → \`tools/list\`, in ms, ours (the bundled binary) and a minimal one-tool server on the same
SDK (\`src/fixtures/minimal-server.mjs\`, unbundled, as most servers ship), interleaved: ours ${spread(startup.oursMs)},
minimal ${spread(startup.minimalMs)}; per-pair ratio ${spread(startup.ratio, 2)}.

Ours lists five tools to a client without MCP Apps (eight with the panel's) against the minimal server's one, and
the SDK converts every tool's zod schemas to JSON Schema on each \`tools/list\` (about 40 ms for three tools on this
machine, measured apart); it also loads more of the SDK's v2 packages at start. The ratio was 0.67× with one tool for
the model, about 0.8× with three, and is above 1 now: start-up is one spawn per session, a fraction of a second.

## 3. What \`npx\` installs

The package as \`npm pack\` would publish it, plus every production dependency, transitively (dependencies,
optional dependencies, non-optional peers; devDependencies never):

${[
  ['@ipsec-psk/mcp-server', server],
  ['@ipsec-psk/cli', footprint['@ipsec-psk/cli']],
  ['@ipsec-psk/rotation', footprint['@ipsec-psk/rotation']],
  ['@ipsec-psk/core', core],
]
  .map(
    ([name, closure]) =>
      `- \`${name}\`: ${mb(closure.bytes)} MB — ${closure.packages
        .map((p) => `${p.name}@${p.version} ${mb(p.bytes)} MB`)
        .join(', ')}`,
  )
  .join('\n')}

The server's binary is one bundle with everything it runs (the sandbox's simulator is a chunk loaded only by
\`--sandbox\`); its library entry uses the embedding program's own MCP SDK and core client, optional peers that
\`npx\` does not install.

The MCP Bundle (\`pnpm bundle\`, for Claude Desktop: one file, no install step), \`${bundle.name}\`: ${mb(bundle.bytes)} MB
to download, ${mb(bundle.unpackedBytes)} MB in ${bundle.files} files unpacked: the manifest and the stdio server's
chunks from the same build, without the command line, the library or the HTTP mode.

## 4. Memory

Resident memory (\`VmRSS\`) of our server after a form-confirmed rotation against the simulator: ${memory.oursMb.toFixed(0)} MB;
of the minimal server after one call: ${memory.minimalMb.toFixed(0)} MB. Reported, no target.

## 5. A fleet

\`rotate_ipsec_psks\` over many tunnels, form-confirmed, our binary against the simulator answering ${LATENCY_MS} ms
after each request. Before the question: the tunnel list, every validate-only batch (100 tunnels each) and the audit
log are read at once. After consent: every key made and stored (each its own 0600 file, synced), the attempt lines
synced, then one Set PSKs request per 100 tunnels, up to ten at a time, each as soon as its own keys are stored
(a refusal stops those not yet sent), then the outcome lines. Medians of ${runs.trips} run(s).

| tunnels | before: round trips | ms | after: round trips | requests | ms |
| --- | --- | --- | --- | --- | --- |
${Object.entries(bulk)
  .map(
    ([count, r]) =>
      `| ${count} | ${r.beforeTrips} | ${r.beforeMs.toFixed(0)} | ${r.afterTrips} | ${r.afterRequests} | ${r.afterMs.toFixed(0)} |`,
  )
  .join('\n')}

Most of "after" for a large fleet is the disk: each key is synced to its own file before anything is sent, which is
the point.

${outageSection(outage)}

${fleetSdkSection(fleetSdk)}

## Running it

\`\`\`sh
pnpm bench                                                      # builds, runs, rewrites this file
pnpm --filter @ipsec-psk/bench bench --quick --out "$(mktemp)"  # a smoke run; writes only where --out says
\`\`\`

Section 6 starts two strongSwan daemons in network namespaces, so it needs root and strongSwan (what the real-IKE
tests need); without them it says why in its place, and the rest is measured as usual.
`;

if (outFile) {
  await writeFile(outFile, report);
  log(`Wrote ${outFile}`);
}
