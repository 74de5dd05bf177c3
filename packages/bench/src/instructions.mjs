// Figure 1b: instructions per call, counted by valgrind's callgrind. CPU time on a shared machine drifts by tens
// of per cent between runs; instruction counts do not depend on what else the machine is doing, so they settle
// whether a few per cent over a target is real. Each contender runs twice under callgrind with different call
// counts; the difference divided by the extra calls removes start-up and set-up from the figure.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./fixtures/instruction-probe.mjs', import.meta.url));
export const INSTRUCTION_CONTENDERS = ['fetch', 'core'];

async function valgrindVersion() {
  try {
    return (await run('valgrind', ['--version'])).stdout.trim();
  } catch {
    return undefined;
  }
}

async function countInstructions(name, baseUrl, warmup, calls) {
  const { stderr } = await run(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      // Node generates machine code at run time; valgrind must notice it being rewritten.
      '--smc-check=all-non-file',
      process.execPath,
      '--single-threaded',
      PROBE,
      name,
      baseUrl,
      String(warmup),
      String(calls),
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
  );
  const collected = /Collected\s*:\s*(\d+)/.exec(stderr)?.[1];
  if (!collected) throw new Error(`callgrind printed no count for ${name}:\n${stderr.slice(-2000)}`);
  return Number(collected);
}

export async function measureInstructions({ baseUrl, settings, log }) {
  const version = await valgrindVersion();
  if (!version || !settings) return { skipped: version ? 'not in a quick run' : 'valgrind is not installed' };
  const [fewer, more] = settings.calls;
  const perCall = {};
  for (const name of INSTRUCTION_CONTENDERS) {
    // Both runs of one contender at once: counts are independent of load, and the machine has two cores.
    const [small, large] = await Promise.all([
      countInstructions(name, baseUrl, settings.warmupCalls, fewer),
      countInstructions(name, baseUrl, settings.warmupCalls, more),
    ]);
    perCall[name] = (large - small) / (more - fewer);
    log(`  ${name}: ${(perCall[name] / 1e6).toFixed(2)} M instructions per call`);
  }
  return { version, settings, perCall, ratio: perCall.core / perCall.fetch };
}
