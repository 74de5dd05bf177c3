import type { PskClient } from '@ipsec-psk/core';
import type { Logger } from './logger.js';
import { RotationSteps } from './one/steps.js';
import { AuditLog } from './store/audit-log.js';
import { type FileSystem, KeyDirectory } from './store/key-directory.js';
import { PskStore } from './store/psk-store.js';
import { LOCK_STALE_MS, TunnelLocks } from './store/tunnel-lock.js';

/** What the rotation steps are built from: shared by the MCP server and the command line. */
export interface StepsOptions {
  client: PskClient;
  /** Where keys, the audit log and the rotation locks are kept. */
  pskDir: string;
  /** Where a key Cloudflare generated goes when `pskDir` cannot take it. */
  fallbackDir?: string | undefined;
  logger: Logger;
  now: () => Date;
  reveal: boolean;
  sandbox: boolean;
  files?: FileSystem | undefined;
  lockStaleMs?: number | undefined;
  /** Who is acting, for the audit log (HTTP). */
  principal?: string | undefined;
}

/** The key directory, its store, audit log and locks, and the steps every rotation flow shares. */
export function createSteps(options: StepsOptions): RotationSteps {
  const directory = new KeyDirectory(options.pskDir, options.files);
  const fallback =
    options.fallbackDir === undefined ? undefined : new KeyDirectory(options.fallbackDir, options.files);
  return new RotationSteps({
    client: options.client,
    store: new PskStore(directory, fallback, options.now),
    audit: new AuditLog(directory, options.now),
    locks: new TunnelLocks(directory, options.logger, options.lockStaleMs ?? LOCK_STALE_MS),
    logger: options.logger,
    reveal: options.reveal,
    sandbox: options.sandbox,
    now: options.now,
    principal: options.principal,
  });
}
