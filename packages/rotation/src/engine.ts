import { setTimeout as delay } from 'node:timers/promises';
import type { PskClient } from '@ipsec-psk/core';
import type { ConfirmMode } from './confirm/channel.js';
import { ConsentDirectory } from './confirm/consent-dir.js';
import { ConsentTokens } from './confirm/consent-tokens.js';
import { PanelConfirmations } from './confirm/panel-confirmations.js';
import type { DeliveryConfig } from './delivery/config-types.js';
import { Delivery } from './delivery/deliver.js';
import { FleetRotation } from './fleet/fleet-rotation.js';
import type { SendDeps } from './fleet/fleet-send.js';
import { RestoreFlow } from './fleet/restore.js';
import type { HealthWaitOptions } from './health/tunnel-health-wait.js';
import { InFlight } from './in-flight.js';
import { type Logger, silentLogger } from './logger.js';
import { Rotation } from './one/rotation.js';
import { RotationSteps } from './one/steps.js';
import { PanelFlow } from './panel/panel-flow.js';
import { RateGate } from './rate-gate.js';
import { AuditLog } from './store/audit-log.js';
import { type FileSystem, KeyDirectory } from './store/key-directory.js';
import { PskStore } from './store/psk-store.js';
import { LOCK_STALE_MS, TunnelLocks } from './store/tunnel-lock.js';

/** What `createEngine` needs; everything but `client` and `pskDir` has a default. */
export interface EngineOptions {
  /** The Cloudflare client (`createPskClient` from `@ipsec-psk/core`). */
  client: PskClient;
  /** Where keys, the audit log and the rotation locks are kept. */
  pskDir: string;
  /** Where a key goes when `pskDir` cannot take it after Cloudflare generated it; default none. */
  fallbackDir?: string | undefined;
  /** How real rotations are confirmed; default `auto`. */
  confirmMode?: ConfirmMode | undefined;
  /** Put the key itself in results (`IPSEC_PSK_REVEAL=1`); default false. */
  reveal?: boolean | undefined;
  /** Let the confirmation panel show the key to the user (`IPSEC_PSK_APP_REVEAL`); default true. */
  appReveal?: boolean | undefined;
  /** Label everything as sandbox (the client talks to the simulator); default false. */
  sandbox?: boolean | undefined;
  /** Account used when a call names none. */
  defaultAccountId?: string | undefined;
  /** Diagnostics sink; default silent. */
  logger?: Logger | undefined;
  /** Clock for file names, audit lines and confirmation expiry. */
  now?: (() => Date) | undefined;
  /** Lifetime of two-step confirmation tokens; default 5 minutes. */
  confirmationTtlMs?: number | undefined;
  /** The file-system layer for keys, the audit log and locks; default `node:fs/promises` (tests inject faults). */
  files?: FileSystem | undefined;
  /** After how long without a refresh a rotation lock counts as left by a dead process; default 10 s. */
  lockStaleMs?: number | undefined;
  /** Waits out Cloudflare's rate limit during a fleet rotation; default a real timer. */
  rateLimitSleep?: SendDeps['sleep'];
  /** Who is acting (an HTTP session's principal), written on every audit line. */
  principal?: string | undefined;
  /**
   * Where each stored key is delivered (`loadDeliveryConfig(process.env)`); default none: keys are only stored,
   * and results carry no `delivery`.
   */
  delivery?: DeliveryConfig | undefined;
  /** The environment a command target's program inherits, without credentials; default `process.env`. */
  deliveryEnv?: NodeJS.ProcessEnv | undefined;
  /**
   * After a key reached its device: how long to wait for Cloudflare to see the tunnel up (`healthWaitMs` of
   * `loadConfig`); default none: results carry no `health`.
   */
  health?: HealthWaitOptions | undefined;
}

/** The flows of one front end, sharing one key directory, audit log, lock set and set of confirmations. */
export interface RotationEngine {
  steps: RotationSteps;
  /** One tunnel: Generate PSK after the user confirms. */
  rotation: Rotation;
  /** Many tunnels: keys made and stored here, then Set PSKs, after one confirmation. */
  fleet: FleetRotation;
  /** The confirmation panel's calls (open, answer, reveal). */
  panel: PanelFlow;
  /** One tunnel's previous key put back with Set PSKs, after the user confirms (the way back after delivery failed). */
  restore: RestoreFlow;
  /** The confirmations every tool and process on the key directory shares (for a check before any work). */
  tokens: ConsentTokens;
  /** Resolves when no rotation of this process is running (a shutdown waits, so a key in flight is stored). */
  idle(): Promise<void>;
  /** How many calls of this process are running. */
  inFlight(): number;
  /**
   * The same engine acting for `principal` (an HTTP session's or request's): its audit lines name them, and the
   * confirmations it issues are theirs alone. Everything else (the key directory, the calls in flight) is shared.
   */
  forPrincipal(principal: string | undefined): RotationEngine;
}

/** What every engine of a process shares. */
interface Shared {
  directory: KeyDirectory;
  store: PskStore;
  audit: AuditLog;
  locks: TunnelLocks;
  inFlight: InFlight;
  rate: RateGate;
  tokens: ConsentTokens;
  panels: PanelConfirmations;
}

/** Builds the rotation flows on one key directory. */
export function createEngine(options: EngineOptions): RotationEngine {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const directory = new KeyDirectory(options.pskDir, options.files);
  const fallback =
    options.fallbackDir === undefined ? undefined : new KeyDirectory(options.fallbackDir, options.files);
  const clock = () => now().getTime();
  const consent = new ConsentDirectory(directory, clock);
  const store = new PskStore(directory, fallback, now);
  const shared: Shared = {
    directory,
    store,
    audit: new AuditLog(directory, now),
    locks: new TunnelLocks(directory, logger, options.lockStaleMs ?? LOCK_STALE_MS),
    inFlight: new InFlight(),
    rate: new RateGate(clock, options.rateLimitSleep ?? ((ms: number) => delay(ms))),
    tokens: new ConsentTokens(consent, options.confirmationTtlMs, clock),
    panels: new PanelConfirmations(consent, (file) => store.read(file), clock),
  };
  return engineFor(shared, { ...options, now, logger }, options.principal);
}

function engineFor(
  shared: Shared,
  options: EngineOptions & { now: () => Date; logger: Logger },
  principal: string | undefined,
): RotationEngine {
  const steps = new RotationSteps({
    client: options.client,
    store: shared.store,
    audit: shared.audit,
    locks: shared.locks,
    logger: options.logger,
    reveal: options.reveal ?? false,
    sandbox: options.sandbox ?? false,
    now: options.now,
    principal,
    inFlight: shared.inFlight,
    rate: shared.rate,
    health: options.health,
    delivery:
      options.delivery &&
      new Delivery({
        config: options.delivery,
        store: shared.store,
        audit: shared.audit,
        client: options.client,
        logger: options.logger,
        sandbox: options.sandbox ?? false,
        principal,
        env: options.deliveryEnv,
      }),
  });
  const confirmMode = options.confirmMode ?? 'auto';
  const rotation = new Rotation({
    steps,
    tokens: shared.tokens,
    panels: shared.panels,
    confirmMode,
    defaultAccountId: options.defaultAccountId,
  });
  const fleet = new FleetRotation({
    steps,
    tokens: shared.tokens,
    panels: shared.panels,
    confirmMode,
    defaultAccountId: options.defaultAccountId,
    sleep: options.rateLimitSleep,
  });
  const panel = new PanelFlow({
    steps,
    app: shared.panels,
    rotation,
    fleet,
    appReveal: options.appReveal ?? true,
  });
  const restore = new RestoreFlow({
    steps,
    fleet,
    tokens: shared.tokens,
    confirmMode,
    defaultAccountId: options.defaultAccountId,
  });
  return {
    steps,
    rotation,
    fleet,
    panel,
    restore,
    tokens: shared.tokens,
    idle: () => shared.inFlight.idle(),
    inFlight: () => shared.inFlight.size,
    forPrincipal: (other) => engineFor(shared, options, other),
  };
}
