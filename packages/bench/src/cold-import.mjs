// Figure 2: cold import time and RSS of @ipsec-psk/core vs the official `cloudflare` SDK, each in a fresh `node`
// process, plus an empty process's RSS for reference. Runs are interleaved (core, cloudflare, empty, in an order
// rotated by run) so that drift in the machine's load hits all three alike.
import { fileURLToPath } from 'node:url';
import { runNodeJson } from './run-node.mjs';
import { rotate, summarize } from './stats.mjs';

const PROBE = fileURLToPath(new URL('./fixtures/import-probe.mjs', import.meta.url));
const MODULES = { core: '@ipsec-psk/core', cloudflare: 'cloudflare', empty: '--none' };

export async function measureColdImport({ settings, log }) {
  // One untimed run of each first: "cold" here means a fresh process, not a cold disk cache, and the first read
  // of a package's files from disk would otherwise land on whichever contender happened to run first.
  for (const specifier of Object.values(MODULES)) await runNodeJson([PROBE, specifier]);

  const runs = [];
  for (let run = 0; run < settings.runs; run++) {
    const result = {};
    for (const name of rotate(Object.keys(MODULES), run)) {
      result[name] = await runNodeJson([PROBE, MODULES[name]]);
    }
    log(
      `  run ${run + 1}/${settings.runs}: core ${result.core.importMs.toFixed(1)} ms, ` +
        `cloudflare ${result.cloudflare.importMs.toFixed(1)} ms, RSS core ${(result.core.rss / 1e6).toFixed(1)} MB, ` +
        `cloudflare ${(result.cloudflare.rss / 1e6).toFixed(1)} MB, empty ${(result.empty.rss / 1e6).toFixed(1)} MB`,
    );
    runs.push(result);
  }
  return {
    runs: settings.runs,
    core: {
      importMs: summarize(runs.map((r) => r.core.importMs)),
      rss: summarize(runs.map((r) => r.core.rss)),
    },
    cloudflare: {
      importMs: summarize(runs.map((r) => r.cloudflare.importMs)),
      rss: summarize(runs.map((r) => r.cloudflare.rss)),
    },
    emptyRss: summarize(runs.map((r) => r.empty.rss)),
    // Within-run ratios: core relative to the SDK.
    importRatio: summarize(runs.map((r) => r.core.importMs / r.cloudflare.importMs)),
    rssRatio: summarize(runs.map((r) => r.core.rss / r.cloudflare.rss)),
  };
}
