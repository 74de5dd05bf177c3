// Child processes of the conformance run: each in its own process group, every one killed on the way out.
import { spawn } from 'node:child_process';

const children = new Set();
/** Run on the way out, with every child stopped. */
export const cleanups = [];

/** Spawns a child in its own process group, so that it and whatever it starts can be killed together. */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { ...options, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
export function stop(child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

process.on('exit', () => {
  for (const child of children) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`conformance: ${signal}, stopping`);
    void shutdown().finally(() => process.exit(1));
  });
}

let shuttingDown;
export function shutdown() {
  shuttingDown ??= Promise.allSettled([
    ...cleanups.map((cleanup) => cleanup()),
    ...[...children].map((c) => stop(c)),
  ]);
  return shuttingDown;
}

/** Runs a command to completion (killed after `timeoutMs`): its exit, whether it timed out, and its output. */
export function run(command, args, { timeoutMs, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = start(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stop(child, 2_000);
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}
