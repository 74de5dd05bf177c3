import { silentLogger } from '../logger.js';
import { AuditLog, type AuditRecord } from './audit-log.js';
import { type FileSystem, KeyDirectory } from './key-directory.js';
import { unfinishedAttempts } from './rotation-history.js';
import { LOCK_STALE_MS, TunnelLocks } from './tunnel-lock.js';

/** An attempt the audit log shows without an outcome. */
export interface UnfinishedRotation {
  attempt: AuditRecord;
  /** True when another live process holds the tunnel's lock: it may still be running, not crashed. */
  running: boolean;
}

/**
 * Checks the key directory (created 0700 when missing; refused when another user could write to it) and lists
 * rotations that never recorded an outcome: each may have replaced a tunnel's key and lost the new one.
 */
export async function unfinishedRotations(
  pskDir: string,
  options: { files?: FileSystem; lockStaleMs?: number } = {},
): Promise<UnfinishedRotation[]> {
  const directory = new KeyDirectory(pskDir, options.files);
  await directory.ensureRoot();
  const locks = new TunnelLocks(directory, silentLogger, options.lockStaleMs ?? LOCK_STALE_MS);
  const attempts = unfinishedAttempts(await new AuditLog(directory).read());
  return Promise.all(
    attempts.map(async (attempt) => ({
      attempt,
      running: await locks.isHeld(attempt.account_id, attempt.ipsec_tunnel_id),
    })),
  );
}
