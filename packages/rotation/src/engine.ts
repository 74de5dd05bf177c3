import type { PskClient } from '@ipsec-psk/core';
import type { ConfirmMode } from './confirm/channel.js';
import { PanelConfirmations } from './confirm/panel-confirmations.js';
import { ConfirmationTokens } from './confirm/tokens.js';
import type { DeliveryConfig } from './delivery/config-types.js';
import { FleetRotation } from './fleet/fleet-rotation.js';
import type { SendDeps } from './fleet/fleet-send.js';
import { RestoreFlow } from './fleet/restore.js';
import { type Logger, silentLogger } from './logger.js';
import { Rotation } from './one/rotation.js';
import type { RotationSteps } from './one/steps.js';
import { PanelFlow } from './panel/panel-flow.js';
import { createSteps } from './steps-factory.js';
import type { FileSystem } from './store/key-directory.js';

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
  /** Resolves when no rotation is running (a shutdown waits for it, so a key in flight is stored). */
  idle(): Promise<void>;
  /** How many calls are running. */
  inFlight(): number;
}

/** Builds the rotation flows on one key directory. */
export function createEngine(options: EngineOptions): RotationEngine {
  const now = options.now ?? (() => new Date());
  const steps = createSteps({
    client: options.client,
    pskDir: options.pskDir,
    fallbackDir: options.fallbackDir,
    logger: options.logger ?? silentLogger,
    now,
    reveal: options.reveal ?? false,
    sandbox: options.sandbox ?? false,
    files: options.files,
    lockStaleMs: options.lockStaleMs,
    principal: options.principal,
    delivery: options.delivery,
    deliveryEnv: options.deliveryEnv,
  });
  const confirmMode = options.confirmMode ?? 'auto';
  const clock = () => now().getTime();
  const app = new PanelConfirmations(clock);
  const rotation = new Rotation({
    steps,
    tokens: new ConfirmationTokens(options.confirmationTtlMs, clock),
    app,
    confirmMode,
    defaultAccountId: options.defaultAccountId,
  });
  const fleet = new FleetRotation({
    steps,
    tokens: new ConfirmationTokens(options.confirmationTtlMs, clock),
    app,
    confirmMode,
    defaultAccountId: options.defaultAccountId,
    sleep: options.rateLimitSleep,
  });
  const panel = new PanelFlow({ steps, app, rotation, fleet, appReveal: options.appReveal ?? true });
  const restore = new RestoreFlow(steps, fleet, options.defaultAccountId);
  return { steps, rotation, fleet, panel, restore, idle: () => steps.idle(), inFlight: () => steps.inFlight };
}
