// Cleanup of harnesses whose process died before stop() (a test worker killed mid-run never runs its afterAll).
// Their names carry the owner's PID, so anything of a live process is left alone.
import { execFile } from 'node:child_process';
import { accessSync, constants, readlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The daemon the harness runs: charon without the starter, any number of instances. */
export const CHARON = '/usr/sbin/charon-systemd';
/** Every harness namespace's name starts so, then the owner's PID. */
export const NETNS_PREFIX = 'ipsecpsk-';
/** Every harness's temporary directory's name starts so. */
export const DIR_PREFIX = 'ipsec-psk-harness-';
const STALE_NETNS = /^ipsecpsk-(\d+)-([0-9a-f]{8})-(?:dev|cf)$/;
const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];

/**
 * Removes what harnesses of dead processes left: their charon daemons, found by PID inside the
 * harness's own namespaces, the namespaces, and the temp dirs. Returns the namespaces removed.
 */
export async function sweepStaleHarnesses(): Promise<string[]> {
  const ip = findIp();
  if (!ip) return [];
  const { stdout } = await run(ip, ['netns', 'list'], { timeout: 10_000 });
  const swept: string[] = [];
  for (const line of stdout.split('\n')) {
    const netns = line.split(' ')[0] ?? '';
    const match = STALE_NETNS.exec(netns);
    if (!match || isAlive(Number(match[1]))) continue;
    const pids = await run(ip, ['netns', 'pids', netns], { timeout: 10_000 }).then(
      ({ stdout: out }) => out.split('\n').filter(Boolean).map(Number),
      () => [],
    );
    for (const pid of pids) {
      if (exeOf(pid) === CHARON) process.kill(pid, 'SIGKILL');
    }
    await run(ip, ['netns', 'delete', netns], { timeout: 10_000 }).catch(() => {});
    await rm(join(tmpdir(), `${DIR_PREFIX}${match[1]}-${match[2]}`), { recursive: true, force: true });
    swept.push(netns);
  }
  return swept;
}

/** Where iproute2's `ip` is. */
export function findIp(): string | undefined {
  return IP_CANDIDATES.find(exists);
}

/** Whether a path exists. */
export function exists(path: string): boolean {
  try {
    accessSync(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** The executable of a process, to check a PID is still the daemon we started before signalling it. */
export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just isn't ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
