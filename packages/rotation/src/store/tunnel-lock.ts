import * as fs from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { Logger } from '../logger.js';
import type { KeyDirectory } from './key-directory.js';
import { HOLDER_FILE, isGone, readHolder, recordHolder } from './lock-holder.js';

/** A lock not refreshed for this long belongs to a process that died; proper-lockfile refreshes it at half. */
export const LOCK_STALE_MS = 10_000;

const LOCK_NAME = 'rotation.lock';
// A second lock, held for milliseconds, under which a dead holder's lock is judged and replaced: two processes that
// both find the holder dead must not both remove the lock (the second would remove the first one's new lock).
const TAKEOVER_NAME = 'rotation-takeover';
// A dead holder's lock is taken over only while it is clearly fresh (younger than 80% of the stale time). An older
// one is left to proper-lockfile's own takeover by mtime, which does not take the lock above: the margin keeps the
// two from both replacing one lock.
const FRESH_SHARE = 0.8;

// proper-lockfile removes its lock directory with rmdir, which fails once the holder's record is inside: on
// release, at exit, and when it takes over a stale lock. Its file-system layer removes the record first.
const lockFs = {
  ...fs,
  rmdir(path: string, callback: (error: NodeJS.ErrnoException | null) => void) {
    fs.rm(join(path, HOLDER_FILE), { force: true }, () => fs.rmdir(path, callback));
  },
  rmdirSync(path: string) {
    fs.rmSync(join(path, HOLDER_FILE), { force: true });
    fs.rmdirSync(path);
  },
};

/** Gives the lock back. */
export type Release = () => Promise<void>;

/**
 * One rotation per tunnel at a time, across every server process that shares the key directory: a lock
 * directory beside the tunnel's keys (proper-lockfile: atomic mkdir, refreshed mtime, taken over once stale after
 * a crash), with a record of its holder inside (lock-holder.ts), so that a lock whose holder on this host is gone
 * is free at once instead of after the stale time. A second caller is refused, not queued behind a human.
 */
export class TunnelLocks {
  constructor(
    private readonly directory: KeyDirectory,
    private readonly logger: Logger,
    private readonly staleMs = LOCK_STALE_MS,
  ) {}

  private options(dir: string, tunnelId: string): lockfile.LockOptions {
    return {
      lockfilePath: join(dir, LOCK_NAME),
      realpath: false,
      stale: this.staleMs,
      retries: 0,
      fs: lockFs,
      // The default throws from a timer and would kill the process with a rotation in flight.
      onCompromised: (error) =>
        this.logger.error(
          `the rotation lock of tunnel ${tunnelId} was lost (${(error as NodeJS.ErrnoException).code ?? 'error'}): ` +
            'another server process sharing the key directory could rotate it at the same time',
        ),
    };
  }

  /** Takes the lock and records this process in it, or returns undefined when another holder has it. */
  private async lock(dir: string, tunnelId: string): Promise<(() => Promise<void>) | undefined> {
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(dir, this.options(dir, tunnelId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
      throw error;
    }
    // Without the record the lock still holds; only a crash would then wait out the stale time, as before.
    await recordHolder(join(dir, LOCK_NAME)).catch((error: NodeJS.ErrnoException) =>
      this.logger.warn(
        `could not record this process in the rotation lock of tunnel ${tunnelId} (${error.code ?? 'error'})`,
      ),
    );
    return release;
  }

  /** The lock, when its holder is a process on this host that is gone (serialised by the takeover lock). */
  private async takeOver(dir: string, tunnelId: string): Promise<(() => Promise<void>) | undefined> {
    let releaseTakeover: () => Promise<void>;
    try {
      releaseTakeover = await lockfile.lock(join(dir, TAKEOVER_NAME), {
        realpath: false,
        stale: this.staleMs,
        retries: { retries: 5, minTimeout: 20, maxTimeout: 200 },
        fs: lockFs,
        // Held for milliseconds and released below; nothing to warn about if a refresh ever failed.
        onCompromised: () => {},
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
      throw error;
    }
    try {
      const lockPath = join(dir, LOCK_NAME);
      const holder = await readHolder(lockPath);
      const age = await stat(lockPath).then(
        (info) => Date.now() - info.mtimeMs,
        () => undefined,
      );
      if (age === undefined) return await this.lock(dir, tunnelId); // released meanwhile
      if (!holder || age > this.staleMs * FRESH_SHARE || !(await isGone(holder))) return undefined;
      await fs.promises.rm(lockPath, { recursive: true, force: true });
      const release = await this.lock(dir, tunnelId);
      if (release) {
        this.logger.warn(
          `took over the rotation lock of tunnel ${tunnelId} from process ${holder.pid}, which is no longer running`,
        );
      }
      return release;
    } finally {
      await releaseTakeover().catch(() => {});
    }
  }

  /**
   * Takes the lock, or returns undefined when a rotation of this tunnel is running (here or elsewhere).
   * `accountDir`, the account's folder as `ensure` returned it, saves checking it again for each tunnel of a fleet.
   */
  async tryAcquire(accountId: string, tunnelId: string, accountDir?: string): Promise<Release | undefined> {
    const dir =
      accountDir === undefined
        ? await this.directory.ensure(accountId, tunnelId)
        : await this.directory.ensureIn(accountDir, tunnelId);
    const release = (await this.lock(dir, tunnelId)) ?? (await this.takeOver(dir, tunnelId));
    if (!release) return undefined;
    return () =>
      release().catch((error: NodeJS.ErrnoException) => {
        this.logger.warn(
          `could not release the rotation lock of tunnel ${tunnelId} (${error.code ?? 'error'})`,
        );
      });
  }

  /** Whether a live process holds the tunnel's lock right now: fresh, and not held by a process known to be gone. */
  async isHeld(accountId: string, tunnelId: string): Promise<boolean> {
    const dir = join(await this.directory.ensureRoot(), accountId, tunnelId);
    const fresh = await lockfile.check(dir, this.options(dir, tunnelId)).catch(() => false);
    if (!fresh) return false;
    const holder = await readHolder(join(dir, LOCK_NAME));
    return !(holder && (await isGone(holder)));
  }
}
