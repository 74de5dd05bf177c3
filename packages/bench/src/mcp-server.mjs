// Figure 4: our MCP server against a minimal one-tool server on the same SDK, both spawned over stdio by the SDK's
// own Client, as an MCP host would. (a) spawn → initialize → tools/list; (b) warm tools/call round trip of a
// validate-only call minus the API call itself; (c) the server's RSS after those calls.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { bundleMinimalServer } from './bundle-minimal.mjs';
import { ACCOUNT_ID, API_TOKEN, TUNNEL_ID, USER_AGENT } from './config.mjs';
import { runNodeJson } from './run-node.mjs';
import { median, rotate, summarize } from './stats.mjs';

// The binary exactly as `npx @ipsec-psk/mcp-server` would run it: the package's `bin`.
const ourManifestPath = createRequire(import.meta.url).resolve('@ipsec-psk/mcp-server/package.json');
const OUR_CLI = join(
  dirname(ourManifestPath),
  JSON.parse(readFileSync(ourManifestPath, 'utf8')).bin['ipsec-psk-mcp'],
);
const MINIMAL = fileURLToPath(new URL('./fixtures/minimal-server.mjs', import.meta.url));

// ours: the fair start-up comparison (no simulator); sandbox: what `--sandbox` users see; minimal: the SDK floor;
// minimalBundled: the same minimal server bundled like ours (its path is filled in by measureMcpStartup).
const KINDS = {
  ours: { tool: 'generate_ipsec_psk', args: [OUR_CLI] },
  sandbox: { tool: 'generate_ipsec_psk', args: [OUR_CLI, '--sandbox'] },
  minimal: { tool: 'echo', args: [MINIMAL] },
  minimalBundled: { tool: 'echo', args: [] },
};

/** Spawns one server of `kind` through the SDK client; returns the connected client, its pid and a cleanup. */
async function connect(kind, apiBaseUrl) {
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-'));
  const env = { ...getDefaultEnvironment(), IPSEC_PSK_DIR: pskDir };
  if (kind === 'ours') {
    Object.assign(env, {
      CLOUDFLARE_API_TOKEN: API_TOKEN,
      CLOUDFLARE_BASE_URL: apiBaseUrl,
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID,
    });
  }
  // stderr is piped and kept (briefly) so the servers' start-up lines do not clutter the bench's output but a
  // failure can still say why.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: KINDS[kind].args,
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const client = new Client({ name: 'ipsec-psk-bench', version: '0.0.0' });
  const start = performance.now();
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${kind} server did not start: ${error.message}\n${stderr}`);
  }
  return {
    client,
    start,
    pid: transport.pid,
    stderr: () => stderr,
    async close() {
      await client.close();
      await rm(pskDir, { recursive: true, force: true });
    },
  };
}

/** One spawn → initialize → tools/list, in ms, from before the spawn to the tool list in hand. */
async function startupOnce(kind, apiBaseUrl) {
  const server = await connect(kind, apiBaseUrl);
  try {
    const { tools } = await server.client.listTools();
    const ms = performance.now() - server.start;
    if (!tools.some((tool) => tool.name === KINDS[kind].tool)) {
      throw new Error(`${kind} server does not list ${KINDS[kind].tool}`);
    }
    return ms;
  } finally {
    await server.close();
  }
}

export async function measureMcpStartup({ apiBaseUrl, settings, log }) {
  const bundle = await bundleMinimalServer();
  KINDS.minimalBundled.args = [bundle.path];
  const runs = [];
  try {
    // One untimed start of each first, so the disk cache is warm for all of them alike.
    for (const kind of Object.keys(KINDS)) await startupOnce(kind, apiBaseUrl);
    for (let run = 0; run < settings.runs; run++) {
      const result = {};
      for (const kind of rotate(Object.keys(KINDS), run)) result[kind] = await startupOnce(kind, apiBaseUrl);
      log(
        `  run ${run + 1}/${settings.runs}: ours ${result.ours.toFixed(0)} ms, ours --sandbox ` +
          `${result.sandbox.toFixed(0)} ms, minimal ${result.minimal.toFixed(0)} ms, minimal bundled ` +
          `${result.minimalBundled.toFixed(0)} ms`,
      );
      runs.push(result);
    }
  } finally {
    await bundle.dispose();
  }
  return {
    runs: settings.runs,
    oursMs: summarize(runs.map((r) => r.ours)),
    sandboxMs: summarize(runs.map((r) => r.sandbox)),
    minimalMs: summarize(runs.map((r) => r.minimal)),
    minimalBundledMs: summarize(runs.map((r) => r.minimalBundled)),
    oursRatio: summarize(runs.map((r) => r.ours / r.minimal)),
    sandboxRatio: summarize(runs.map((r) => r.sandbox / r.minimal)),
    minimalBundledRatio: summarize(runs.map((r) => r.minimalBundled / r.minimal)),
    oursToBundledRatio: summarize(runs.map((r) => r.ours / r.minimalBundled)),
  };
}

async function vmRssBytes(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return kib * 1024;
}

/** Warm round trips of one server's tool: median ms per call, and the server's RSS afterwards. */
async function toolCalls(kind, apiBaseUrl, settings) {
  const server = await connect(kind, apiBaseUrl);
  try {
    const call =
      kind === 'ours'
        ? () =>
            server.client.callTool({
              name: 'generate_ipsec_psk',
              arguments: { ipsec_tunnel_id: TUNNEL_ID, validate_only: true },
            })
        : () => server.client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    const first = await call();
    if (first.isError || (kind === 'ours' && first.structuredContent?.status !== 'validated')) {
      throw new Error(`${kind} tool call failed: ${JSON.stringify(first)}\n${server.stderr()}`);
    }
    for (let i = 0; i < settings.warmupCalls; i++) await call();
    const times = [];
    for (let i = 0; i < settings.calls; i++) {
      const start = performance.now();
      await call();
      times.push(performance.now() - start);
    }
    return { ms: median(times), rss: await vmRssBytes(server.pid) };
  } finally {
    await server.close();
  }
}

/** The API call alone: the same validate-only request with raw fetch from this process, median ms. */
async function rawValidateCalls(apiBaseUrl, settings) {
  const url = `${apiBaseUrl}/accounts/${ACCOUNT_ID}/magic/ipsec_tunnels/${TUNNEL_ID}/psk_generate?validate_only=true`;
  const init = {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${API_TOKEN}`,
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
    },
    body: '{}',
  };
  const call = async () => (await fetch(url, init)).json();
  for (let i = 0; i < settings.warmupCalls + 1; i++) await call();
  const times = [];
  for (let i = 0; i < settings.calls; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return { ms: median(times) };
}

/** RSS of a plain node process after the same number of validate-only calls with fetch: no MCP, no SDK. */
async function fetchOnlyRss(apiBaseUrl, settings) {
  const url = `${apiBaseUrl}/accounts/${ACCOUNT_ID}/magic/ipsec_tunnels/${TUNNEL_ID}/psk_generate?validate_only=true`;
  const calls = String(settings.warmupCalls + settings.calls + 1);
  const probe = fileURLToPath(new URL('./fixtures/fetch-rss-probe.mjs', import.meta.url));
  return runNodeJson([probe, url, `Bearer ${API_TOKEN}`, calls]);
}

export async function measureMcpCalls({ apiBaseUrl, settings, log }) {
  const measure = {
    ours: () => toolCalls('ours', apiBaseUrl, settings),
    minimal: () => toolCalls('minimal', apiBaseUrl, settings),
    fetch: () => rawValidateCalls(apiBaseUrl, settings),
    fetchRss: () => fetchOnlyRss(apiBaseUrl, settings),
  };
  const rounds = [];
  for (let round = 0; round < settings.rounds; round++) {
    const result = {};
    for (const name of rotate(Object.keys(measure), round)) result[name] = await measure[name]();
    log(
      `  round ${round + 1}/${settings.rounds}: ours ${result.ours.ms.toFixed(2)} ms/call, raw fetch ` +
        `${result.fetch.ms.toFixed(2)} ms, minimal echo ${result.minimal.ms.toFixed(2)} ms; RSS ours ` +
        `${(result.ours.rss / 1e6).toFixed(1)} MB, minimal ${(result.minimal.rss / 1e6).toFixed(1)} MB`,
    );
    rounds.push(result);
  }
  return {
    rounds: settings.rounds,
    settings,
    oursMs: summarize(rounds.map((r) => r.ours.ms)),
    fetchMs: summarize(rounds.map((r) => r.fetch.ms)),
    minimalMs: summarize(rounds.map((r) => r.minimal.ms)),
    // Within-round differences: what the tool adds over the bare API call, and over the SDK's own round trip.
    overheadMs: summarize(rounds.map((r) => r.ours.ms - r.fetch.ms)),
    oursRss: summarize(rounds.map((r) => r.ours.rss)),
    minimalRss: summarize(rounds.map((r) => r.minimal.rss)),
    rssRatio: summarize(rounds.map((r) => r.ours.rss / r.minimal.rss)),
    fetchOnlyRss: summarize(rounds.map((r) => r.fetchRss.rss)),
    fetchOnlyRssRatio: summarize(rounds.map((r) => r.fetchRss.rss / r.minimal.rss)),
  };
}
