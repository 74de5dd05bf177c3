import type { PskClient } from '@ipsec-psk/core';
import pMap from 'p-map';
import { errorCode } from '../error-code.js';
import type { Logger } from '../logger.js';
import type { DeliveryOutput } from '../output.js';
import { type AuditEntry, type AuditLog, type AuditScope, auditEntry } from '../store/audit-log.js';
import type { PskStore } from '../store/psk-store.js';
import { deliverByCommand } from './command-target.js';
import { writeConfigText } from './config-target.js';
import type { DeliveryConfig, DeliveryTarget } from './config-types.js';
import { type DeliveryJob, failed, scrubKey, type TargetOutcome } from './job.js';
import { heldPreviousKey } from './previous-key.js';
import { selectTarget } from './select-target.js';
import { deliverToStrongswan } from './strongswan-target.js';
import { deliveryDetails } from './tunnel-details.js';

/** How many keys of a fleet are delivered at once. */
const CONCURRENCY = 4;
/** The bound of a config target (a local file), and the margin after any target's own bound. */
const CONFIG_TIMEOUT_MS = 30_000;
const HARD_MARGIN_MS = 5_000;
/** The bound of reading a tunnel's details when the question did not. */
const DETAILS_TIMEOUT_MS = 10_000;

/** What delivery works with: the operator's configuration and the rotation's own store, audit log and client. */
export interface DeliveryDeps extends AuditScope {
  config: DeliveryConfig;
  store: PskStore;
  audit: AuditLog;
  client: PskClient;
  logger: Logger;
  /** The environment a command target's program inherits (without credentials); default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
}

function boundOf(target: DeliveryTarget): number {
  return target.kind === 'config' ? CONFIG_TIMEOUT_MS : target.timeoutMs;
}

/**
 * Delivers stored keys to the targets the operator configured. Never throws, and every delivery ends within its
 * target's bound (plus a margin): the rotation's locks wait for it, and must be released.
 */
export class Delivery {
  constructor(private readonly deps: DeliveryDeps) {}

  /** Several keys, at most CONCURRENCY at a time; the results in the jobs' order. */
  async deliverAll(jobs: readonly DeliveryJob[]): Promise<DeliveryOutput[]> {
    return pMap(jobs, (job) => this.deliver(job), { concurrency: CONCURRENCY });
  }

  /** A key not delivered on purpose (`reason`), named with the target it would have gone to. */
  skipped(tunnelId: string, tunnelName: string | undefined, reason: string): DeliveryOutput {
    const selection = selectTarget(this.deps.config, tunnelId, tunnelName);
    return {
      target: 'target' in selection ? selection.target.label : 'none',
      ...('target' in selection ? { kind: selection.target.kind } : {}),
      result: 'skipped',
      detail: reason,
    };
  }

  /** One key to its tunnel's target; a failure is a result, with the way back when this machine has one. */
  async deliver(job: DeliveryJob): Promise<DeliveryOutput> {
    const selection = selectTarget(this.deps.config, job.tunnelId, job.tunnelName);
    if ('none' in selection) {
      const output: DeliveryOutput = {
        target: 'none',
        result: selection.unsure ? 'failed' : 'skipped',
        detail: `${selection.none}.`,
      };
      if (selection.unsure) await this.record(job, output, 'name_unknown');
      await this.manualConfig(job, output, undefined);
      if (selection.unsure) await this.wayBack(job, output);
      return output;
    }
    const { target } = selection;
    const ready = job.details === undefined ? { ...job, details: await this.details(job) } : job;
    let outcome: TargetOutcome;
    try {
      outcome = await this.bounded(target, ready);
    } catch (error) {
      this.deps.logger.error(`delivery to ${target.label} failed unexpectedly (${errorCode(error)})`);
      outcome = failed('internal', `delivery to ${target.label} failed unexpectedly (${errorCode(error)}).`);
    }
    // Our words never hold the key; a daemon's or program's might have, and were scrubbed; this is the last net.
    const detail = scrubKey(outcome.detail, job.key);
    const output: DeliveryOutput = {
      target: target.label,
      kind: target.kind,
      result: outcome.result,
      detail,
    };
    if (outcome.configFile) output.config_file = outcome.configFile;
    if (outcome.ikeUp !== undefined) output.ike_up = outcome.ikeUp;
    await this.record(job, output, outcome.code);
    if (outcome.result === 'failed') {
      await this.manualConfig(ready, output, target);
      await this.wayBack(job, output);
    }
    return output;
  }

  /** Runs the target with its own bound, and a hard one around it in case the target's does not hold. */
  private async bounded(target: DeliveryTarget, job: DeliveryJob): Promise<TargetOutcome> {
    const abort = new AbortController();
    const run = (): Promise<TargetOutcome> => {
      switch (target.kind) {
        case 'strongswan':
          return deliverToStrongswan(target, job, abort.signal);
        case 'command':
          return deliverByCommand(target, job, abort.signal, this.deps.env);
        case 'config':
          return writeConfigText(this.deps.store, target.platform, job, target);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const hardBound = boundOf(target) + HARD_MARGIN_MS;
    const timeout = new Promise<TargetOutcome>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        resolve(failed('timeout', `delivery to ${target.label} did not finish within ${hardBound} ms.`));
      }, hardBound);
    });
    try {
      return await Promise.race([run(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async details(job: DeliveryJob): Promise<DeliveryJob['details']> {
    try {
      const tunnel = await this.deps.client.getIpsecTunnel({
        accountId: job.accountId,
        ipsecTunnelId: job.tunnelId,
        signal: AbortSignal.timeout(DETAILS_TIMEOUT_MS),
      });
      return deliveryDetails(tunnel);
    } catch {
      // A target that needs a detail says which one it missed.
      return undefined;
    }
  }

  /** The operator's manual_config, for a person to apply when no target delivered the key. */
  private async manualConfig(
    job: DeliveryJob,
    output: DeliveryOutput,
    target: DeliveryTarget | undefined,
  ): Promise<void> {
    const platform = this.deps.config.manualConfig;
    if (!platform || (target?.kind === 'config' && target.platform === platform)) return;
    const ready = job.details === undefined ? { ...job, details: await this.details(job) } : job;
    const written = await writeConfigText(this.deps.store, platform, ready).catch(
      (error: unknown): TargetOutcome =>
        failed('config_write', `no ${platform} configuration (${errorCode(error)}).`),
    );
    if (written.configFile) output.config_file = written.configFile;
    else output.detail = `${output.detail ?? ''} Also ${written.detail}`.trim();
  }

  /** Whether this machine holds the key in force before this one: putting it back is the way back. */
  private async wayBack(job: DeliveryJob, output: DeliveryOutput): Promise<void> {
    const records = await this.deps.audit.read().catch(() => undefined);
    const previous = await heldPreviousKey(this.deps.store, records, job.accountId, job.tunnelId);
    output.previous_key_held = 'held' in previous;
    if ('held' in previous) {
      output.previous_key_file = previous.held.file;
      output.previous_key_fingerprint = previous.held.fingerprint;
    }
  }

  private async record(job: DeliveryJob, output: DeliveryOutput, code: string | undefined): Promise<void> {
    const extra: Partial<AuditEntry> = {
      target: output.target,
      psk_fingerprint: job.fingerprint,
      psk_file: job.keyFile,
      ...(output.ike_up === undefined ? {} : { ike_up: output.ike_up }),
      ...(output.config_file ? { config_file: output.config_file } : {}),
      ...(output.result === 'failed' ? { code: code ?? 'failed' } : {}),
    };
    const event = output.result === 'delivered' ? 'delivered' : 'delivery_failed';
    try {
      await this.deps.audit.append(
        auditEntry(event, { accountId: job.accountId, tunnelId: job.tunnelId }, this.deps, extra),
      );
    } catch (error) {
      this.deps.logger.warn(`could not append the delivery line to the audit log (${errorCode(error)})`);
    }
  }
}
