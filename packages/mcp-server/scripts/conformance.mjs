import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { declaredCapabilities, refusesWithoutToken } from './conformance/probes.mjs';
import { cleanups, run, shutdown, start, stop } from './conformance/processes.mjs';
import { startProxy } from './conformance/proxy.mjs';
import { ERAS, NOT_APPLICABLE } from './conformance/scenarios.mjs';
import { resolveNode, resolveSuite } from './conformance/suite.mjs';

/** The suite, pinned exactly: the 0.2.0 line checks every message against the spec's JSON schema. */
const CONFORMANCE_VERSION = '0.2.0-alpha.12';
/** Where the server says it is ready: the first capture is the MCP endpoint's URL. */
const LISTENING_LINE = /listening on (http:\/\/\S+)/;

const SERVER_START_TIMEOUT_MS = 20_000;
const SCENARIO_TIMEOUT_MS = 20_000; // the suite's own per-scenario timeout
const SCENARIO_KILL_MS = 40_000; // then the suite's process is killed
const RUN_DEADLINE_MS = 300_000; // everything after that (both eras, both modes)

const USAGE =
  'Usage: node scripts/conformance.mjs [--server-cmd "CMD ARGS"] [--mode both|noauth|auth] [--scenario NAME]...\n' +
  '                                    [--results DIR] [--verbose]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      'server-cmd': { type: 'string' },
      mode: { type: 'string', default: 'both' },
      scenario: { type: 'string', multiple: true },
      results: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const modes = { both: ['noauth', 'auth'], noauth: ['noauth'], auth: ['auth'] }[values.mode];
if (!modes) {
  console.error(`--mode must be both, noauth or auth\n${USAGE}`);
  process.exit(2);
}

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const serverCmdText = values['server-cmd'] ?? process.env.CONFORMANCE_SERVER_CMD;
const serverCmd = serverCmdText
  ? serverCmdText.trim().split(/\s+/)
  : [process.execPath, join(packageDir, 'dist', 'cli.js')];
const SERVER_ARGS = ['--http', '--host', '127.0.0.1', '--port', '0', '--sandbox'];

// ---------------------------------------------------------------- the server under test

/** Starts the server; resolves with its MCP URL once it printed LISTENING_LINE. */
function startServer(env) {
  return new Promise((resolve, reject) => {
    const [command, ...args] = serverCmd;
    const child = start(command, [...args, ...SERVER_ARGS], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let log = '';
    let buffered = '';
    const fail = (why) => {
      clearTimeout(timer);
      void stop(child);
      reject(
        new Error(`${why}\n--- server stderr (last lines) ---\n${log.split('\n').slice(-15).join('\n')}`),
      );
    };
    const timer = setTimeout(
      () => fail(`no "${LISTENING_LINE.source}" line within ${SERVER_START_TIMEOUT_MS} ms`),
      SERVER_START_TIMEOUT_MS,
    );
    child.stderr.on('data', (chunk) => {
      log = (log + chunk).slice(-20_000);
      if (buffered === undefined) return;
      buffered += chunk;
      const match = LISTENING_LINE.exec(buffered);
      if (!match) return;
      buffered = undefined;
      clearTimeout(timer);
      let url;
      try {
        url = new URL(match[1].replace(/[.,;)]+$/, ''));
      } catch {
        return fail(`not a URL: ${match[1]}`);
      }
      if (url.hostname !== '127.0.0.1') return fail(`the server listens on ${url.host}, not 127.0.0.1`);
      resolve({ child, url: url.href });
    });
    child.once('error', (error) => fail(`cannot start ${command}: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (buffered !== undefined) fail(`the server exited (${signal ?? code}) before listening`);
    });
  });
}

/** The environment of the server: nothing of the caller's IPSEC_PSK_* or Cloudflare settings, keys in `pskDir`. */
function serverEnv(pskDir, tokenLine) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('IPSEC_PSK_') || name.startsWith('CLOUDFLARE_')) delete env[name];
  }
  env.IPSEC_PSK_SANDBOX_DIR = pskDir;
  if (tokenLine) env.IPSEC_PSK_HTTP_TOKENS = tokenLine;
  return env;
}

// ---------------------------------------------------------------- the suite's scenarios

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * One scenario in its own process (the suite's CLI runs one scenario or a whole suite). It passes if the suite exited
 * 0, wrote its checks, and they hold a SUCCESS and no FAILURE or SKIPPED (a skip, e.g. a 405 on DELETE or no
 * session id, means the scenario did not test what we run it for).
 */
async function runScenario({ node, suite, url, scenario, era, outDir }) {
  await mkdir(outDir, { recursive: true });
  const args = [suite, 'server', '--url', url, '--scenario', scenario, '--spec-version', era];
  args.push('--timeout', String(SCENARIO_TIMEOUT_MS), '--output-dir', outDir);
  const started = Date.now();
  const { code, signal, timedOut, stdout, stderr } = await run(node, args, {
    timeoutMs: SCENARIO_KILL_MS,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const output = stripAnsi(`${stdout}${stderr}`).trim();
  const resultDir = readdirSync(outDir).find((name) => existsSync(join(outDir, name, 'checks.json')));
  const checks = resultDir ? JSON.parse(readFileSync(join(outDir, resultDir, 'checks.json'), 'utf8')) : [];
  // A check the era's table expects to fail (and says why) is reported as expected, not as a failure.
  const expected = ERAS[era].expected[scenario] ?? {};
  for (const check of checks) {
    if (check.status === 'FAILURE' && expected[check.id]) {
      check.status = 'EXPECTED';
      check.errorMessage = expected[check.id];
    }
  }
  const by = (status) => checks.filter((check) => check.status === status);
  const describe = (list) =>
    list.map(
      (c) =>
        `${c.id}${c.errorMessage ? `: ${c.errorMessage}` : c.details?.message ? `: ${c.details.message}` : ''}`,
    );
  let result = 'pass';
  let detail = [];
  if (timedOut) [result, detail] = ['FAIL', [`killed after ${SCENARIO_KILL_MS} ms`]];
  else if (by('FAILURE').length) [result, detail] = ['FAIL', describe(by('FAILURE'))];
  // The suite exits 1 for any failed check, expected ones included.
  else if (code !== 0 && !(code === 1 && by('EXPECTED').length > 0))
    [result, detail] = ['FAIL', [`the suite exited ${signal ?? code}`]];
  else if (!resultDir) [result, detail] = ['FAIL', ['the suite wrote no checks.json (scenario skipped?)']];
  else if (!by('SUCCESS').length)
    [result, detail] = ['SKIP', describe(by('SKIPPED').length ? by('SKIPPED') : checks)];
  const warnings = by('WARNING');
  if (result === 'pass') {
    detail = [
      ...describe(warnings),
      ...describe(by('EXPECTED')).map((line) => `expected: ${line}`),
      ...describe(by('SKIPPED')).map((line) => `skipped by the suite: ${line}`),
    ];
  }
  return { result, warnings: warnings.length, detail, seconds, output };
}

// ---------------------------------------------------------------- one mode: a server (and a proxy), its scenarios

async function runMode(mode, { node, suite, resultsDir, workDir }) {
  const rows = new Map();
  const pskDir = await mkdtemp(join(workDir, `psk-${mode}-`));
  const token = `ipsk_${randomBytes(32).toString('base64url')}`;
  const tokenLine =
    mode === 'auth'
      ? `conformance sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`
      : undefined;
  let server;
  let proxy;
  try {
    server = await startServer(serverEnv(pskDir, tokenLine));
    let url = server.url;
    if (mode === 'auth') {
      rows.set('(no token: 401 + WWW-Authenticate)', await refusesWithoutToken(server.url, '2025-11-25'));
      proxy = await startProxy(server.url, token);
      cleanups.push(proxy.close);
      url = proxy.url;
    }
    let capabilities;
    try {
      capabilities = await declaredCapabilities(url, '2025-11-25');
    } catch (error) {
      console.error(`conformance [${mode}]: could not read the declared capabilities (${error.message})`);
    }
    for (const [era, table] of Object.entries(ERAS)) {
      const wanted = values.scenario ?? [...table.applicable, ...Object.keys(table.ifCapability)];
      for (const scenario of wanted) {
        const name = `${scenario} [${era}]`;
        const capability = table.ifCapability[scenario];
        if (!values.scenario && capability && capabilities && !(capability in capabilities)) {
          rows.set(name, { result: 'n/a', detail: [`the server declares no ${capability} capability`] });
          continue;
        }
        const outDir = join(resultsDir, mode, era, scenario);
        const row = await runScenario({ node, suite, url, scenario, era, outDir });
        rows.set(name, row);
        if (values.verbose || row.result !== 'pass') {
          console.error(`\n----- [${mode}] ${name}: ${row.result} (${row.seconds} s) -----\n${row.output}`);
        }
      }
    }
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      rows.set('(server still running)', {
        result: 'FAIL',
        detail: [`exited ${server.child.exitCode ?? server.child.signalCode}`],
      });
    }
  } catch (error) {
    rows.set('(setup)', { result: 'FAIL', detail: [error.message] });
  } finally {
    await proxy?.close();
    if (server) await stop(server.child);
  }
  return rows;
}

// ---------------------------------------------------------------- main

const MODE_TITLE = { noauth: 'no auth', auth: 'bearer (proxy)' };

async function main() {
  let node;
  let suite;
  try {
    [node, suite] = await Promise.all([resolveNode(), resolveSuite(packageDir, CONFORMANCE_VERSION)]);
  } catch (error) {
    console.error(`conformance: cannot set up the suite: ${error.message}`);
    return 2;
  }
  const deadline = setTimeout(() => {
    console.error(`conformance: not done after ${RUN_DEADLINE_MS / 1000} s, stopping`);
    void shutdown().finally(() => process.exit(1));
  }, RUN_DEADLINE_MS);
  deadline.unref();

  const workDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-conformance-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  const resultsDir = values.results ?? join(workDir, 'results');
  const nodeVersion = (await run(node, ['--version'], { timeoutMs: 10_000 })).stdout.trim();
  console.log(
    `MCP conformance ${CONFORMANCE_VERSION} (${suite.from}; spec ${Object.keys(ERAS).join(' and ')}; Node ${nodeVersion}) against: ${[...serverCmd, ...SERVER_ARGS].join(' ')}`,
  );

  const byMode = await Promise.all(
    modes.map((mode) => runMode(mode, { node, suite: suite.bin, resultsDir, workDir })),
  );
  clearTimeout(deadline);

  const names = [...new Set(byMode.flatMap((rows) => [...rows.keys()]))];
  const width = Math.max(...names.map((n) => n.length), 8) + 2;
  const cell = (row) => (row ? `${row.result}${row.warnings ? ` (${row.warnings} warning)` : ''}` : '-');
  console.log(`\n${'scenario'.padEnd(width)}${modes.map((m) => MODE_TITLE[m].padEnd(20)).join('')}`);
  for (const name of names) {
    console.log(
      `${name.padEnd(width)}${byMode.map((rows) => cell(rows.get(name)).padEnd(20)).join('')}`.trimEnd(),
    );
  }
  let passed = 0;
  let failed = 0;
  const notes = new Map(); // one line for what several modes report alike
  for (const [index, rows] of byMode.entries()) {
    for (const [name, row] of rows) {
      if (row.result === 'pass') passed += 1;
      else if (row.result !== 'n/a') failed += 1;
      for (const line of row.detail ?? []) {
        const key = `${name} ${row.result}: ${line}`;
        notes.set(key, [...(notes.get(key) ?? []), MODE_TITLE[modes[index]]]);
      }
    }
  }
  if (notes.size) {
    console.log('');
    for (const [key, where] of notes)
      console.log(`  ${where.length === modes.length ? '' : `[${where}] `}${key}`);
  }
  console.log(`\nNot run (no part of what our server does): ${Object.keys(NOT_APPLICABLE).join(', ')}`);
  if (values.results) console.log(`The suite's checks.json files are in ${resultsDir}`);
  console.log(`conformance: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

const code = await main().catch((error) => {
  console.error(`conformance: ${error.stack ?? error}`);
  return 2;
});
await shutdown();
process.exit(code);
