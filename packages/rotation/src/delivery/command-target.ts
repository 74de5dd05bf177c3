import { spawn } from 'node:child_process';
import { neutralizeText, type Secret } from '@ipsec-psk/core';
import { NAME_MAX_LENGTH } from '../text/rotation-text.js';
import type { CommandTarget } from './config-types.js';
import { deviceInterface, localIdentity, remoteIdentity, strongswanIdentity } from './identities.js';
import { type DeliveryJob, failed, scrubKey, type TargetOutcome } from './job.js';

// Delivery by a program of the operator's. The key goes to its stdin and nowhere else: argv and the environment
// are readable by other processes of the same user (/proc/<pid>/cmdline, /proc/<pid>/environ) and end up in
// process listings and crash reports. The tunnel's facts, which are not secret, go in one environment variable.

/** The environment variable that carries the tunnel's facts as JSON. */
export const TUNNEL_FACTS_VARIABLE = 'IPSEC_PSK_TUNNEL';
/** How long a program gets between SIGTERM and SIGKILL after its timeout. */
const KILL_GRACE_MS = 2_000;
/** How much of stderr is kept (its end), and how many of its last lines are reported. */
const STDERR_KEEP_BYTES = 8 * 1024;
const STDERR_LINES = 5;
const STDERR_REPORT_MAX = 600;
/** How long stderr may stay open after the program exited. */
const STDERR_CLOSE_MS = 1_000;

/** The parent's environment without credentials or settings of ours: a program needs neither. */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (/^(CLOUDFLARE_|IPSEC_PSK_)/i.test(name)) continue;
    clean[name] = value;
  }
  return clean;
}

/** What the program is told of the tunnel (no secret): JSON in IPSEC_PSK_TUNNEL. */
export function tunnelFacts(job: DeliveryJob): string {
  const sources = { ...job.details, ipsecId: job.ipsecId };
  const local = localIdentity(undefined, sources);
  const remote = remoteIdentity(undefined, sources);
  const device = deviceInterface(job.details?.interfaceAddress);
  return JSON.stringify({
    account_id: job.accountId,
    ipsec_tunnel_id: job.tunnelId,
    tunnel_name: neutralizeText(job.tunnelName, NAME_MAX_LENGTH) || undefined,
    psk_fingerprint: job.fingerprint,
    operation: job.operation,
    restore: job.restoreOf !== undefined,
    cloudflare_endpoint: job.details?.cloudflareEndpoint,
    customer_endpoint: job.details?.customerEndpoint,
    interface_address: job.details?.interfaceAddress,
    device_interface_address: device ? `${device.address}/${device.prefix}` : undefined,
    custom_remote_identity: job.details?.customRemoteIdentity,
    ipsec_id: job.ipsecId,
    local_id: local ? strongswanIdentity(local) : undefined,
    remote_id: remote ? strongswanIdentity(remote) : undefined,
  });
}

/** The last lines of stderr, without the key, neutralised and capped. */
function stderrTail(chunks: Buffer[], key: Secret): string {
  const lines = scrubKey(Buffer.concat(chunks).toString('utf8'), key)
    .split(/\r?\n/)
    .map((line) => neutralizeText(line, 200))
    .filter(Boolean)
    .slice(-STDERR_LINES);
  return neutralizeText(lines.join(' | '), STDERR_REPORT_MAX);
}

/** Signals the program's whole process group; a group already gone is fine. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nobody left in the group.
  }
}

/**
 * Runs the target's program with the key (and one newline) on stdin, the tunnel's facts in IPSEC_PSK_TUNNEL, a
 * clean environment and `/` as its directory, in a process group of its own. Exit status 0 is delivered; after
 * the timeout (or an abort) the group gets SIGTERM, then SIGKILL.
 */
export function deliverByCommand(
  target: CommandTarget,
  job: DeliveryJob,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TargetOutcome> {
  const [program = '', ...args] = target.argv;
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      cwd: '/',
      detached: true,
      env: { ...childEnvironment(env), [TUNNEL_FACTS_VARIABLE]: tunnelFacts(job) },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const stderr: Buffer[] = [];
    let kept = 0;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      kept += chunk.length;
      while (kept > STDERR_KEEP_BYTES && stderr.length > 1) kept -= stderr.shift()?.length ?? 0;
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (timedOut || child.pid === undefined) return;
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(stop, target.timeoutMs);
    signal.addEventListener('abort', stop, { once: true });
    const finish = (outcome: TargetOutcome) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', stop);
      resolve(outcome);
    };

    child.once('error', (error: NodeJS.ErrnoException) =>
      finish(failed('spawn', `${target.argv[0]} could not be started (${error.code ?? 'error'}).`)),
    );
    child.once('exit', (code, exitSignal) => {
      // Whatever the program left running in its group ends with it; then its stderr closes, bounded.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      const closed = setTimeout(() => report(code, exitSignal), STDERR_CLOSE_MS);
      child.once('close', () => {
        clearTimeout(closed);
        report(code, exitSignal);
      });
    });
    let reported = false;
    const report = (code: number | null, exitSignal: NodeJS.Signals | null) => {
      if (reported) return;
      reported = true;
      const tail = stderrTail(stderr, job.key);
      // The program's words are data, quoted, never part of our sentence.
      const said = tail ? `; its stderr ended with: ${JSON.stringify(tail)}` : '';
      if (timedOut) {
        finish(
          failed(
            'timeout',
            `${target.label} did not finish within ${target.timeoutMs} ms and was killed${said}.`,
          ),
        );
      } else if (code === 0) {
        finish({ result: 'delivered', detail: `${target.label} exited with status 0${said}.` });
      } else if (code !== null) {
        finish(failed('exit_status', `${target.label} exited with status ${code}${said}.`));
      } else {
        finish(failed('killed', `${target.label} was killed by ${exitSignal ?? 'a signal'}${said}.`));
      }
    };
    // A program that never reads stdin (or exits first) closes the pipe: that is its business, not a crash.
    child.stdin?.on('error', () => {});
    child.stdin?.end(`${job.key.reveal()}\n`);
  });
}
