import { readFile, readlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

// Who holds a rotation lock, recorded in the lock directory right after it is taken. proper-lockfile alone knows a
// holder only by the lock's mtime, so a process killed a moment ago looks alive for the whole stale time. With the
// record, a holder on this host is checked directly: a process that is gone (or whose pid now belongs to a later
// process) holds nothing. Anything that cannot be checked (another host, another PID namespace, no record yet, a
// record that cannot be read) counts as alive: the stale time still decides, as before.

/** The record's name inside the lock directory. */
export const HOLDER_FILE = 'holder.json';

/** A process, as precisely as this platform can name one. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Linux: the kernel's boot id. Another one is another boot, or another machine with the same host name. */
  boot?: string | undefined;
  /** Linux: the PID namespace; a pid names a process only within its namespace (containers share a host name). */
  pidns?: string | undefined;
  /** Linux: when the process started, in clock ticks after boot (field 22 of /proc/<pid>/stat): tells a reused pid. */
  start?: string | undefined;
}

const optional = (read: Promise<string>) =>
  read.then(
    (text) => text.trim(),
    () => undefined,
  );

/** State (field 3) and start time (field 22) from /proc/<pid>/stat; the name before them may hold spaces. */
async function procStat(pid: number | 'self'): Promise<{ state: string; start: string } | undefined> {
  const stat = await optional(readFile(`/proc/${pid}/stat`, 'utf8'));
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, start] = [fields[0], fields[19]];
  return state && start ? { state, start } : undefined;
}

let self: Promise<LockHolder> | undefined;

/** This process as a lock holder (read once). */
export function thisProcess(): Promise<LockHolder> {
  self ??= (async () => ({
    pid: process.pid,
    host: hostname(),
    boot: await optional(readFile('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidns: await optional(readlink('/proc/self/ns/pid')),
    start: (await procStat('self'))?.start,
  }))();
  return self;
}

/**
 * Writes this process's record into the lock directory it has just taken. Exclusive create: the directory is new,
 * so a file already there is not ours to overwrite.
 */
export async function recordHolder(lockDir: string): Promise<void> {
  await writeFile(join(lockDir, HOLDER_FILE), JSON.stringify(await thisProcess()), {
    flag: 'wx',
    mode: 0o600,
  });
}

/** The record in a lock directory, or undefined when there is none or it is not one. */
export async function readHolder(lockDir: string): Promise<LockHolder | undefined> {
  const text = await optional(readFile(join(lockDir, HOLDER_FILE), 'utf8'));
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(record.pid) || (record.pid as number) <= 0 || typeof record.host !== 'string') {
      return undefined;
    }
    return record as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Whether `holder` is known to be gone: on this host, in this boot and PID namespace, and either no process has
 * its pid (ESRCH; EPERM is a live process of another user), or the one that has it is a zombie or started at
 * another time than the holder did. False whenever that cannot be known.
 */
export async function isGone(holder: LockHolder): Promise<boolean> {
  const here = await thisProcess();
  if (holder.host !== here.host || holder.boot !== here.boot || holder.pidns !== here.pidns) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (holder.start === undefined) return false;
  const now = await procStat(holder.pid);
  if (now === undefined) return false;
  return now.state === 'Z' || now.start !== holder.start;
}
