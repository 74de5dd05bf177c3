import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { Logger } from '../logger.js';
import type { KeyDirectory } from './key-directory.js';

/** A lock not refreshed for this long belongs to a process that died; proper-lockfile refreshes it at half. */
export const LOCK_STALE_MS = 10_000;

const LOCK_NAME = 'rotation.lock';

/** Gives the lock back. */
export type Release = () => Promise<void>;

/**
 * One rotation per tunnel at a time, across every server process that shares the key directory: a lock
 * directory beside the tunnel's keys (proper-lockfile: atomic mkdir, refreshed mtime, taken over once stale after
 * a crash). A second caller is refused, not queued behind a human.
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
      // The default throws from a timer and would kill the process with a rotation in flight.
      onCompromised: (error) =>
        this.logger.error(
          `the rotation lock of tunnel ${tunnelId} was lost (${(error as NodeJS.ErrnoException).code ?? 'error'}): ` +
            'another server process sharing the key directory could rotate it at the same time',
        ),
    };
  }

  /** Takes the lock, or returns undefined when a rotation of this tunnel is running (here or elsewhere). */
  async tryAcquire(accountId: string, tunnelId: string): Promise<Release | undefined> {
    const dir = await this.directory.ensure(accountId, tunnelId);
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(dir, this.options(dir, tunnelId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
      throw error;
    }
    return () =>
      release().catch((error: NodeJS.ErrnoException) => {
        this.logger.warn(
          `could not release the rotation lock of tunnel ${tunnelId} (${error.code ?? 'error'})`,
        );
      });
  }

  /** Whether a live process holds the tunnel's lock right now. */
  async isHeld(accountId: string, tunnelId: string): Promise<boolean> {
    const dir = join(await this.directory.ensureRoot(), accountId, tunnelId);
    return lockfile.check(dir, this.options(dir, tunnelId)).catch(() => false);
  }
}
