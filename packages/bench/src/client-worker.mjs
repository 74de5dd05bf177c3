// One contender in its own long-lived process, forked by per-call.mjs. Its own process means no other contender's
// JIT state, GC heap or connection pool can help or hurt it; long-lived means the slow warm-up (below) is paid
// once, and the parent can then interleave short measurements of all contenders round by round.
//
// Protocol (IPC): the parent sends { type: 'warmup' }, then { type: 'measure' } once per round; each is answered
// with one message. Disconnecting ends the process.
//
// Usage: fork('client-worker.mjs', ['{"contender":"core","baseUrl":"…","warmupCalls":…,…}'])
import { createContender } from './contenders.mjs';

const EXPECTED_PSK = 'O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy';

const options = JSON.parse(process.argv[2]);
const call = await createContender(options.contender, options.baseUrl);

// Timed phases stop after their call count or after `deadline`, whichever comes first: figures are per call, so
// a shorter phase on a busy machine only makes them less precise, and the run stays within its time budget.
async function sequentially(total, deadline) {
  let done = 0;
  while (done < total && performance.now() < deadline) {
    await call();
    done++;
  }
  return done;
}

async function concurrently(total, inFlight, deadline) {
  let started = 0;
  const lane = async () => {
    while (started < total && performance.now() < deadline) {
      started++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return started;
}

// Node's fetch keeps getting cheaper for thousands of calls (JIT tiers, heap sizing): at a few hundred calls the
// CPU per call is still 2–3 times its steady value, so a short warm-up would mostly measure warm-up. Hence a long
// one, capped in time, then a concurrent burst so every pooled connection is open before the concurrent phase.
async function warmUp() {
  const calls = await sequentially(options.warmupCalls, performance.now() + options.warmupMaxMs);
  await concurrently(options.inFlight * 8, options.inFlight, Number.POSITIVE_INFINITY);
  return { type: 'warm', warmupCalls: calls };
}

async function measure() {
  // Sequential: client CPU (user + system, all threads of this process, GC included) and wall time per call.
  const cpuBefore = process.cpuUsage();
  let start = performance.now();
  const sequentialCalls = await sequentially(options.sequentialCalls, start + options.maxPhaseMs);
  const sequentialMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);

  // Concurrent: `inFlight` calls outstanding at all times until `concurrentCalls` are done.
  start = performance.now();
  const concurrentCalls = await concurrently(
    options.concurrentCalls,
    options.inFlight,
    start + options.maxPhaseMs,
  );
  const concurrentMs = performance.now() - start;

  return {
    type: 'result',
    sequentialCalls,
    concurrentCalls,
    cpuMicrosPerCall: (cpu.user + cpu.system) / sequentialCalls,
    sequentialPerSecond: sequentialCalls / (sequentialMs / 1000),
    concurrentPerSecond: concurrentCalls / (concurrentMs / 1000),
  };
}

// Check once, before anything is timed, that the contender really gets the key: a benchmark of a failing call is
// void. A failure here exits non-zero and the parent reports it.
const psk = await call();
if (psk !== EXPECTED_PSK)
  throw new Error(`${options.contender} returned ${JSON.stringify(psk)}, not the PSK`);

process.on('message', async (message) => {
  const reply = message.type === 'warmup' ? await warmUp() : await measure();
  process.send(reply);
});
// Pooled keep-alive sockets would keep the process alive: leave as soon as the parent lets go.
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
