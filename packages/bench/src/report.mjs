// Turns the measured figures into docs/benchmarks.md. Every number printed here comes from `results`; the prose
// explains the method and what is not a like-for-like comparison.
import { TARGETS } from './config.mjs';
import { CONTENDERS, LABELS } from './contenders.mjs';
import { fixed, megabytes, rangeText, ratioText, verdict } from './stats.mjs';

// Tables come out padded to their column widths, as Biome formats Markdown, so `biome check .` passes on the
// written report without a formatting pass.
function table(header, rows) {
  const width = (text) => [...text].length;
  const widths = header.map((_, i) => Math.max(3, ...[header, ...rows].map((row) => width(row[i]))));
  const line = (cells) =>
    `| ${cells.map((cell, i) => cell + ' '.repeat(widths[i] - width(cell))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const ms = (summary, digits = 1) => `${rangeText(summary, digits)} ms`;
const mb = (summary) =>
  summary.n === 1
    ? `${megabytes(summary.median, 1)} MB`
    : `${megabytes(summary.median, 1)} (${megabytes(summary.min, 1)}–${megabytes(summary.max, 1)}) MB`;

function instructionRow(instructions) {
  if (!instructions.ratio) return [];
  return [
    [
      '… the same, counted in instructions (callgrind; repeatable)',
      `${fixed(instructions.ratio, 2)}×`,
      verdict(instructions.ratio, TARGETS.coreCpuRatio),
    ],
  ];
}

function instructionSection({ instructions }) {
  if (!instructions.ratio) {
    return `### 1b. Instructions per call\n\nNot measured in this run: ${instructions.skipped}.\n`;
  }
  const { perCall, settings } = instructions;
  const [fewer, more] = settings.calls;
  return `### 1b. Instructions per call

CPU time on a shared machine drifts by tens of per cent from run to run; the number of instructions executed does
not. Each contender ran under valgrind's callgrind (${instructions.version}) twice, with ${settings.warmupCalls}
warm-up calls and then ${fewer} or ${more} calls; the difference in instructions, divided by ${more - fewer}, is the
cost of one call without start-up or set-up. Under valgrind Node runs far fewer calls than in figure 1, so this is
the cost early in a process's life, where fetch itself is still warming up.

${table(
  ['contender', 'instructions per call', '× fetch'],
  [
    [LABELS.fetch, `${fixed(perCall.fetch / 1e6, 2)} M`, '1.00×'],
    [LABELS.core, `${fixed(perCall.core / 1e6, 2)} M`, `${fixed(instructions.ratio, 2)}×`],
  ],
)}
`;
}

function targetRows({ perCall, instructions, coldImport, footprint, mcpStartup, mcpCalls }) {
  const coreCpu = perCall.figures.core.cpuMicrosPerCall.ratio.median;
  return [
    [
      'core per-call client CPU ≤ 1.15× raw fetch',
      `${fixed(coreCpu, 2)}×`,
      verdict(coreCpu, TARGETS.coreCpuRatio),
    ],
    ...instructionRow(instructions),
    [
      'core cold import ≤ 10 ms',
      `${fixed(coldImport.core.importMs.median, 1)} ms`,
      verdict(coldImport.core.importMs.median, TARGETS.coreImportMs),
    ],
    [
      'core dependency closure ≤ 1 MB',
      `${megabytes(footprint.core.bytes)} MB`,
      verdict(footprint.core.bytes, TARGETS.coreClosureBytes),
    ],
    [
      'MCP server spawn → tools/list ≤ 0.8× minimal SDK server (non-sandbox)',
      `${fixed(mcpStartup.oursRatio.median, 2)}× (${fixed(mcpStartup.oursToBundledRatio.median, 2)}× a minimal server bundled like ours)`,
      verdict(mcpStartup.oursRatio.median, TARGETS.mcpStartupRatio),
    ],
    [
      'warm tool-call overhead ≤ 3 ms over the API call',
      `${fixed(mcpCalls.overheadMs.median, 2)} ms`,
      verdict(mcpCalls.overheadMs.median, TARGETS.toolCallOverheadMs),
    ],
    [
      'MCP server RSS ≤ 80 MB',
      `${megabytes(mcpCalls.oursRss.median, 1)} MB`,
      verdict(mcpCalls.oursRss.median, TARGETS.serverRssBytes),
    ],
  ];
}

/** Why a missed target was missed, in figures from the same run. */
function missedNotes({ perCall, instructions, coldImport, mcpCalls }) {
  const notes = [];
  const coreCpu = perCall.figures.core.cpuMicrosPerCall.ratio;
  if (coreCpu.median > TARGETS.coreCpuRatio) {
    notes.push(
      `- **Per-call CPU** (${fixed(coreCpu.median, 2)}×, ${fixed(coreCpu.min, 2)}–${fixed(coreCpu.max, 2)}× over the ` +
        'rounds): the client does more than the bare request by design: a timeout with an abort signal per attempt ' +
        '(undici then tracks the signal) and a defensive read of the envelope. Its request is already sent with ' +
        "one plain `fetch` call (through openapi-fetch's full per-call path it was about 1.2× to 1.5×). " +
        (instructions.ratio
          ? `Counted in instructions, which do not drift with the machine's load, core is ${fixed(instructions.ratio, 2)}× ` +
            'raw fetch (figure 1b); the CPU-time rounds are that wide because the machine is shared.'
          : 'With rounds this wide, a median a few per cent over the line is within the noise of the machine.'),
    );
  }
  const ours = mcpCalls.oursRss.median;
  if (ours > TARGETS.serverRssBytes) {
    const empty = coldImport.emptyRss.median;
    const fetchAdds = mcpCalls.fetchOnlyRss.median - empty;
    const sdkAdds = mcpCalls.minimalRss.median - empty;
    const sum = empty + fetchAdds + sdkAdds;
    notes.push(
      `- **Server RSS** (${megabytes(ours, 1)} MB, ${percentOver(ours, TARGETS.serverRssBytes)} over): an empty ` +
        `\`node\` process is ${megabytes(empty, 1)} MB; making the same API calls with \`fetch\` adds ` +
        `${megabytes(fetchAdds, 1)} MB to it (figure 4c), and the MCP SDK with zod adds ${megabytes(sdkAdds, 1)} MB ` +
        `(the minimal server). Together that is ${megabytes(sum, 1)} MB; ours measures ` +
        `${ours <= sum ? 'no more than that sum, so nothing is left to attribute to our own code' : `${megabytes(ours - sum, 1)} MB more`}. ` +
        "A server that calls the API through Node's `fetch` with this SDK cannot meet the target; meeting it would " +
        'take another HTTP client or another MCP SDK, not a change to our code.',
    );
  }
  return notes.length === 0 ? '' : `\n### Where a target is missed\n\n${notes.join('\n')}\n`;
}

function percentOver(value, limit) {
  return `${Math.round((value / limit - 1) * 100)}%`;
}

function perCallSection({ perCall, apiServerStats }) {
  const s = perCall.settings;
  const f = perCall.figures;
  const rows = CONTENDERS.map((c) => [
    LABELS[c],
    rangeText(f[c].cpuMicrosPerCall.value, 0),
    ratioText(f[c].cpuMicrosPerCall.ratio),
    rangeText(f[c].sequentialPerSecond.value, 0),
    ratioText(f[c].sequentialPerSecond.ratio),
    rangeText(f[c].concurrentPerSecond.value, 0),
    ratioText(f[c].concurrentPerSecond.ratio),
  ]);
  return `## 1. Per-call client cost

The persisting call, \`POST /accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate\`, sent
by each contender to a fixed-response server in its own process (loopback, keep-alive). Each cell: median and
(min–max) over ${perCall.rounds} round(s); "×" columns are the ratio to raw \`fetch\` taken within each round.
CPU is the client process's user + system time per call (all threads, GC included) over up to ${s.sequentialCalls}
sequential calls; calls/s are wall-clock, sequential and with ${s.inFlight} calls in flight (up to
${s.concurrentCalls} calls). Before the rounds, each contender was warmed up with up to ${s.warmupCalls}
sequential calls (at most ${s.warmupMaxMs} ms; ${fixed(perCall.warmupCalls.min, 0)}–${fixed(perCall.warmupCalls.max, 0)}
in this run). Each timed phase stops early after ${s.maxPhaseMs} ms on a
slow machine. Lower CPU is better; higher calls/s is better.

${table(
  [
    'contender',
    'CPU µs/call',
    '× fetch',
    'calls/s sequential',
    '× fetch',
    `calls/s, ${s.inFlight} in flight`,
    '× fetch',
  ],
  rows,
)}

The API stand-in saw ${apiServerStats.requests} requests in this run, ${apiServerStats.unexpected} of them not the
expected authenticated POST to the psk_generate path.

- Each contender runs in **its own long-lived child process**, warmed up once, then measured in rounds in an
  order rotated by round: no contender shares another's JIT state, GC heap or connection pool, and none always
  runs first or last. Not a fresh process per round, because Node's \`fetch\` takes thousands of calls to reach
  its steady cost (at a few hundred calls it still costs 2–3 times as much CPU per call), and paying that
  warm-up in every round would not fit the time budget. Set-up (imports, client construction) is outside the
  timing; one call is checked to return the key before anything is timed.
- Raw \`fetch\` and \`undici.request\` send what \`@ipsec-psk/core\` sends (method, URL, \`Authorization\`,
  \`Content-Type\`, a \`User-Agent\` of another value, body \`{}\`) and parse the JSON. \`@ipsec-psk/core\` and the SDK both use
  Node's global \`fetch\`, so raw \`fetch\` is their floor; \`undici.request\` (the npm package, not Node's bundled
  copy) shows what the fetch API itself costs.
- The SDK: \`new Cloudflare({ apiToken, baseURL })\` and
  \`client.magicTransit.ipsecTunnels.pskGenerate(tunnelId, { account_id }, { maxRetries: 0 })\`, the signature in
  its type definitions. It sends the POST **without a body** and adds its own \`X-Stainless-*\` headers.
`;
}

function coldImportSection({ coldImport }) {
  return `## 2. Cold import

\`performance.now()\` around \`await import(…)\` in a fresh \`node\` process, then \`process.memoryUsage().rss\`.
Median and (min–max) over ${coldImport.runs} runs, interleaved with each other and with an empty process; one
untimed run of each first, so "cold" means a fresh process with the OS file cache warm, not a cold disk.

${table(
  ['module', 'import', '× cloudflare', 'RSS after import', '× cloudflare'],
  [
    [
      '`@ipsec-psk/core`',
      ms(coldImport.core.importMs),
      ratioText(coldImport.importRatio),
      mb(coldImport.core.rss),
      ratioText(coldImport.rssRatio),
    ],
    ['`cloudflare`', ms(coldImport.cloudflare.importMs), '1.00×', mb(coldImport.cloudflare.rss), '1.00×'],
    ['empty `node` process (reference)', '—', '—', mb(coldImport.emptyRss), '—'],
  ],
)}

The SDK is imported as a user would (\`import Cloudflare from 'cloudflare'\`), which loads every API resource;
its \`cloudflare/tree-shakable\` entry point is not measured.
`;
}

function closureRow(label, closure, reference) {
  return [
    label,
    megabytes(closure.bytes),
    String(closure.packages.length),
    String(closure.files),
    `${fixed(closure.bytes / reference.bytes, 3)}×`,
  ];
}

function largest(closure, count = 5) {
  return closure.packages
    .slice(0, count)
    .map((p) => `\`${p.name}@${p.version}\` ${megabytes(p.bytes)} MB`)
    .join(', ');
}

function footprintSection({ footprint }) {
  const { core, mcpServer, cloudflare } = footprint;
  const missing = Object.entries(footprint)
    .filter(([, c]) => c.missing.length > 0)
    .map(([name, c]) => `${name}: ${c.missing.join(', ')}`);
  return `## 3. Install footprint

Bytes on disk of a package and its production dependency closure, in MB (10^6 bytes). Our workspace packages
(not published yet) count the files \`npm pack\` would publish (\`npm pack --dry-run --json\`); every installed
package counts the apparent size of the files in its installed directory, excluding nested \`node_modules\`. The
closure walks \`dependencies\`, \`optionalDependencies\` and non-optional \`peerDependencies\` transitively
(resolved as Node would, each name@version once); devDependencies never.

${table(
  ['package', 'MB', 'packages', 'files', '× cloudflare'],
  [
    closureRow('`@ipsec-psk/core`', core, cloudflare),
    closureRow('`@ipsec-psk/mcp-server`', mcpServer, cloudflare),
    closureRow('`cloudflare`', cloudflare, cloudflare),
  ],
)}

Largest packages: core: ${largest(core)}. mcp-server: ${largest(mcpServer)}.${
    missing.length > 0 ? `\nDeclared but not installed here (not counted): ${missing.join('; ')}.` : ''
  }

Our packages publish their TypeScript sources and source maps next to \`dist/\`; the SDK ships its own sources,
maps, CommonJS and ESM builds. \`@ipsec-psk/mcp-server\` is an MCP server, not a client library: its closure is
shown for the install a user's \`npx\` performs, and compared with the SDK only for scale.
`;
}

function mcpSection({ mcpStartup, mcpCalls }) {
  return `## 4. MCP server

Both servers are spawned over stdio by the SDK's own \`Client\` + \`StdioClientTransport\`, as an MCP host would.
The minimal server (\`packages/bench/src/fixtures/minimal-server.mjs\`) is \`McpServer\` with one \`echo\` tool
on the same SDK version. "Ours" runs the package's binary without \`--sandbox\`, with \`CLOUDFLARE_API_TOKEN\`,
\`CLOUDFLARE_ACCOUNT_ID\` and \`CLOUDFLARE_BASE_URL\` pointing at the fixed-response server of figure 1, and a
temporary \`IPSEC_PSK_DIR\`.

### 4a. Spawn → initialize → tools/list

Wall time from before the spawn until the tool list is in hand; median and (min–max) over ${mcpStartup.runs}
runs, interleaved, after one untimed start of each; ratios within each run. Our binary is one esbuild bundle, so
the minimal server is also started bundled with the same esbuild options (built by the bench on each run): against
that row, the bundle's advantage is gone and what remains is the cost of our code. Ours vs the bundled minimal
server: ${ratioText(mcpStartup.oursToBundledRatio)}.

${table(
  ['server', 'spawn → tools/list', '× minimal'],
  [
    ['ours (non-sandbox: the fair comparison)', ms(mcpStartup.oursMs, 0), ratioText(mcpStartup.oursRatio)],
    [
      'ours `--sandbox` (also starts the simulator)',
      ms(mcpStartup.sandboxMs, 0),
      ratioText(mcpStartup.sandboxRatio),
    ],
    ['minimal SDK server', ms(mcpStartup.minimalMs, 0), '1.00×'],
    [
      'minimal SDK server, bundled like ours',
      ms(mcpStartup.minimalBundledMs, 0),
      ratioText(mcpStartup.minimalBundledRatio),
    ],
  ],
)}

### 4b. Warm tool call

\`tools/call generate_ipsec_psk { ipsec_tunnel_id, validate_only: true }\`: median round trip over
${mcpCalls.settings.calls} sequential calls after ${mcpCalls.settings.warmupCalls} warm-up calls, per round
(${mcpCalls.rounds} round(s), each with a fresh server); the API call alone is the same validate-only request with
raw \`fetch\` from the bench process against the same server, median over as many calls. The overhead is their
difference within a round. The minimal server's \`echo\` round trip is the SDK's own stdio floor.

${table(
  ['what', 'median ms per call'],
  [
    ['ours: `generate_ipsec_psk`, validate-only', ms(mcpCalls.oursMs, 2)],
    ['the API call alone (raw `fetch`)', ms(mcpCalls.fetchMs, 2)],
    ['**tool-call overhead** (ours − API call)', `**${ms(mcpCalls.overheadMs, 2)}**`],
    ['minimal server: `echo` (SDK stdio round trip)', ms(mcpCalls.minimalMs, 2)],
  ],
)}

The overhead includes everything the tool does around the API call: the SDK's stdio round trip and schema checks,
id checks, the audit log line written to \`IPSEC_PSK_DIR\`, and the client work of \`@ipsec-psk/core\`.

### 4c. Server memory

VmRSS of the server process (\`/proc/<pid>/status\`) after the warm calls above. The last row is a plain \`node\`
process, no MCP and no SDK, that made the same number of validate-only API calls with \`fetch\`: Node loads its
HTTP client (undici) on the first \`fetch\` and its young generation grows under a steady stream of requests, so
any server that calls an API this way pays that much before MCP adds anything.

${table(
  ['process', 'RSS', '× minimal'],
  [
    ['ours (non-sandbox)', mb(mcpCalls.oursRss), ratioText(mcpCalls.rssRatio)],
    ['minimal SDK server (makes no API calls)', mb(mcpCalls.minimalRss), '1.00×'],
    [
      'plain `node` making the same API calls with `fetch`',
      mb(mcpCalls.fetchOnlyRss),
      ratioText(mcpCalls.fetchOnlyRssRatio),
    ],
  ],
)}
`;
}

export function renderReport(results) {
  const { environment } = results;
  return `# Benchmarks

Written by \`pnpm bench\` (\`packages/bench\`); do not edit by hand, run it again. Absolute times depend on the
machine and its load; the ratios, taken within a round, are the figures to compare between runs.

${table(
  ['', ''],
  [
    ['date', environment.date],
    ['commit', environment.commit],
    ['Node.js', environment.node],
    ['CPU', `${environment.cpu}, ${environment.cores} cores`],
    ['run', `${environment.mode}, ${environment.seconds} s`],
  ],
)}

## Targets

${table(['target', 'measured (median)', 'verdict'], targetRows(results))}
${missedNotes(results)}
${perCallSection(results)}
${instructionSection(results)}
${coldImportSection(results)}
${footprintSection(results)}
${mcpSection(results)}
## What is not like for like

- **Work done per call differs.** \`@ipsec-psk/core\` checks ids, sets a timeout and an abort signal per attempt,
  refuses redirects, reads the body as text and parses the envelope defensively, and wraps the key in a
  \`Secret\`; raw \`fetch\` and \`undici.request\` do none of that, and the SDK sends no body. The comparison
  is what a user pays for each choice, not the cost of identical work.
- **The server is as cheap as possible.** Against Cloudflare the network round trip (tens of ms) dwarfs every
  client's CPU cost; these figures isolate the client. The fixed-response server shares the machine's cores with
  the client, so calls/s with many in flight partly measures the server and the scheduler.
- **Steady state, not first call.** The figures are for a client warmed up by thousands of calls; a PSK
  rotation is usually one call in a fresh process, where every contender is several times slower and start-up
  (figure 2) matters more.
- **Cold import** keeps the OS file cache warm by design; the first start after a reboot also pays for reading
  each imported file from disk, which this does not measure.
- **MCP start-up**: the target compares our bundled binary with the minimal server as a plain, unbundled
  module tree, as the brief defines it; the bundled-minimal row is the like-for-like comparison. The minimal
  server has one trivial tool and no configuration; ours also reads its
  environment, builds a \`@ipsec-psk/core\` client and registers a tool with a larger input and output schema.
  The sandbox row also starts the in-process simulator, which the non-sandbox row does not.
- **Tool-call overhead** subtracts a raw \`fetch\` measured in the bench process, not inside the server: any
  difference between the two processes' fetch paths (warm-up, heap size) lands in the overhead.
`;
}
