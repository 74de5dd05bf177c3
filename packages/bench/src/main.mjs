// `pnpm bench`: measures @ipsec-psk/core and @ipsec-psk/mcp-server side by side with what a user would pick
// instead, prints every figure as it goes, and writes the report as Markdown.
//
// Usage: node src/main.mjs [--quick] [--out FILE]
//   --quick     a ~30 s smoke run (tiny counts): checks that every measurement works; its figures mean little
//   --out FILE  where to write the Markdown; default docs/benchmarks.md at the repository root for a full run.
//               A --quick run writes only where --out says, so a smoke run never replaces the real figures.
//
// It never fails on speed: the exit code is 0 unless a measurement crashes.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureColdImport } from './cold-import.mjs';
import { FULL, QUICK, TUNNEL_ID } from './config.mjs';
import { startFixedResponseServer } from './fixed-response-server-process.mjs';
import { measureFootprint } from './footprint.mjs';
import { measureInstructions } from './instructions.mjs';
import { measureMcpCalls, measureMcpStartup } from './mcp-server.mjs';
import { measurePerCall } from './per-call.mjs';
import { renderReport } from './report.mjs';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MEASURED = ['packages/core', 'packages/mcp-server', 'packages/cloudflare-sim'];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
  strict: true,
});
const settings = values.quick ? QUICK : FULL;
// pnpm runs scripts in the package directory; a relative --out means relative to where the user typed it.
const outFile = values.out
  ? resolve(process.env.INIT_CWD ?? process.cwd(), values.out)
  : values.quick
    ? undefined
    : resolve(REPO_ROOT, 'docs/benchmarks.md');

const log = (line) => console.log(line);

function git(args) {
  try {
    // --no-optional-locks: reading the status must not rewrite the index of a tree someone else is working in.
    return execFileSync('git', ['--no-optional-locks', ...args], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function describeCommit() {
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  // Say so when the measured packages differ from the commit: the figures are for the tree, not the commit.
  const dirty = git(['status', '--porcelain', '--', ...MEASURED]);
  return dirty ? `${commit} (with uncommitted changes in the measured packages)` : commit;
}

const started = performance.now();
const environment = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  commit: describeCommit(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  mode: values.quick ? 'quick (smoke run: figures are not meaningful)' : 'full',
};
log(`ipsec-psk benchmarks, ${environment.mode}`);
log(`Node ${environment.node}, ${environment.cpu}, ${environment.cores} cores, commit ${environment.commit}`);

const apiServer = await startFixedResponseServer(TUNNEL_ID);
const results = { environment };
try {
  log('\n1. Per-call client cost (one warmed-up process per contender, interleaved rounds)');
  results.perCall = await measurePerCall({ baseUrl: apiServer.baseUrl, settings: settings.perCall, log });
  results.apiServerStats = await apiServer.stats();

  log('\n1b. Instructions per call (callgrind)');
  results.instructions = await measureInstructions({
    baseUrl: apiServer.baseUrl,
    settings: settings.instructions,
    log,
  });

  log('\n2. Cold import');
  results.coldImport = await measureColdImport({ settings: settings.coldImport, log });

  log('\n3. Install footprint');
  results.footprint = await measureFootprint({ log });

  log('\n4a. MCP server spawn → initialize → tools/list');
  results.mcpStartup = await measureMcpStartup({
    apiBaseUrl: apiServer.baseUrl,
    settings: settings.mcpStartup,
    log,
  });

  log('\n4b/4c. MCP warm tool calls and server memory');
  results.mcpCalls = await measureMcpCalls({
    apiBaseUrl: apiServer.baseUrl,
    settings: settings.mcpCalls,
    log,
  });
} finally {
  await apiServer.close();
}

environment.seconds = Math.round((performance.now() - started) / 1000);
const markdown = renderReport(results);
log(`\n${markdown}`);
if (outFile) {
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, markdown);
  log(`Wrote ${outFile} (${environment.seconds} s).`);
} else {
  log(`Took ${environment.seconds} s; no --out given, so nothing was written.`);
}
