import type { PskClient } from '@ipsec-psk/core';
import type { DeliveryConfig } from './delivery/config-types.js';
import { Delivery } from './delivery/deliver.js';
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
  /** Where stored keys are delivered (`loadDeliveryConfig`); none: nowhere, and results carry no `delivery`. */
  delivery?: DeliveryConfig | undefined;
  /** The environment a command target's program inherits, without credentials; default `process.env`. */
  deliveryEnv?: NodeJS.ProcessEnv | undefined;
}

/** The key directory, its store, audit log and locks, and the steps every rotation flow shares. */
export function createSteps(options: StepsOptions): RotationSteps {
  const directory = new KeyDirectory(options.pskDir, options.files);
  const fallback =
    options.fallbackDir === undefined ? undefined : new KeyDirectory(options.fallbackDir, options.files);
  const store = new PskStore(directory, fallback, options.now);
  const audit = new AuditLog(directory, options.now);
  const delivery =
    options.delivery &&
    new Delivery({
      config: options.delivery,
      store,
      audit,
      client: options.client,
      logger: options.logger,
      sandbox: options.sandbox,
      principal: options.principal,
      env: options.deliveryEnv,
    });
  return new RotationSteps({
    client: options.client,
    store,
    audit,
    locks: new TunnelLocks(directory, options.logger, options.lockStaleMs ?? LOCK_STALE_MS),
    logger: options.logger,
    reveal: options.reveal,
    sandbox: options.sandbox,
    now: options.now,
    principal: options.principal,
    delivery,
  });
}
