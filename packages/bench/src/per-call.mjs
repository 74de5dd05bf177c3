// Figure 1: per-call client cost of the persisting psk_generate call, four contenders against one fixed-response
// server in its own process. Each contender gets its own long-lived child process (client-worker.mjs), warmed up
// one at a time; then each round measures every contender once, in an order rotated by round, and ratios to raw
// fetch are taken within a round, where the machine's noise is most alike.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CONTENDERS } from './contenders.mjs';
import { rotate, summarize } from './stats.mjs';

const WORKER = fileURLToPath(new URL('./client-worker.mjs', import.meta.url));
const METRICS = ['cpuMicrosPerCall', 'sequentialPerSecond', 'concurrentPerSecond'];

/** Forks one contender's worker and returns a way to send it a request and await its one reply. */
async function startWorker(contender, baseUrl, settings) {
  const child = fork(WORKER, [JSON.stringify({ ...settings, contender, baseUrl })], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = once(child, 'exit');
  // Any reply, or the worker dying first (its stderr says why).
  const reply = async () => {
    const result = await Promise.race([once(child, 'message'), exited.then(() => undefined)]);
    if (!result) throw new Error(`the ${contender} worker exited early:\n${stderr}`);
    return result[0];
  };
  await reply(); // ready: set up, and one call returned the key
  return {
    async request(type) {
      child.send({ type });
      return reply();
    },
    async close() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

export async function measurePerCall({ baseUrl, settings, log }) {
  const workers = {};
  const warmupCalls = [];
  const rounds = [];
  try {
    for (const contender of CONTENDERS) {
      workers[contender] = await startWorker(contender, baseUrl, settings);
      const warm = await workers[contender].request('warmup');
      warmupCalls.push(warm.warmupCalls);
      log(`  ${contender.padEnd(10)} warmed up with ${warm.warmupCalls} sequential calls`);
    }
    for (let round = 0; round < settings.rounds; round++) {
      const results = {};
      for (const contender of rotate(CONTENDERS, round)) {
        const r = await workers[contender].request('measure');
        results[contender] = r;
        log(
          `  round ${round + 1}/${settings.rounds} ${contender.padEnd(10)} ` +
            `${r.cpuMicrosPerCall.toFixed(1)} µs CPU/call, ${r.sequentialPerSecond.toFixed(0)} calls/s sequential, ` +
            `${r.concurrentPerSecond.toFixed(0)} calls/s with ${settings.inFlight} in flight ` +
            `(${r.sequentialCalls}/${r.concurrentCalls} calls timed)`,
        );
      }
      rounds.push(results);
    }
  } finally {
    await Promise.all(Object.values(workers).map((worker) => worker.close()));
  }

  // For each contender and metric: the median and range of the raw values and of the within-round ratio to fetch.
  const figures = {};
  for (const contender of CONTENDERS) {
    figures[contender] = {};
    for (const metric of METRICS) {
      figures[contender][metric] = {
        value: summarize(rounds.map((r) => r[contender][metric])),
        ratio: summarize(rounds.map((r) => r[contender][metric] / r.fetch[metric])),
      };
    }
  }
  return { rounds: settings.rounds, settings, figures, warmupCalls: summarize(warmupCalls) };
}
