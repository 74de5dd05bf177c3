import { type CloudflareMessage, isPskError, neutralizeText, type PskClient } from '@ipsec-psk/core';
import type { ConsentKind, ConsentRequest, ConsentTokens } from '../confirm/consent-tokens.js';
import type { Delivery } from '../delivery/deliver.js';
import { deliveryDetails } from '../delivery/tunnel-details.js';
import { errorCode } from '../error-code.js';
import type { HealthWaitOptions } from '../health/tunnel-health-wait.js';
import type { InFlight } from '../in-flight.js';
import type { Logger } from '../logger.js';
import type { RateGate } from '../rate-gate.js';
import { type AuditEntry, type AuditLog, type AuditRecord, auditEntry } from '../store/audit-log.js';
import { describeFsError } from '../store/key-directory.js';
import type { PskStore } from '../store/psk-store.js';
import { type TunnelHistory, tunnelHistory, unreadableHistory } from '../store/rotation-history.js';
import type { Release, TunnelLocks } from '../store/tunnel-lock.js';
import { canonicalTime, confirmationQuestion, NAME_MAX_LENGTH } from '../text/rotation-text.js';
import type {
  Prepared,
  RevealableKey,
  RotationAnswer,
  RotationOutput,
  Target,
  TunnelFacts,
} from '../types.js';
import type { KeyAge } from './check-back.js';

/** What the rotation steps work with. */
export interface StepsDeps {
  client: PskClient;
  store: PskStore;
  audit: AuditLog;
  locks: TunnelLocks;
  logger: Logger;
  /** Put the key itself into results (`IPSEC_PSK_REVEAL=1`). */
  reveal: boolean;
  sandbox: boolean;
  now: () => Date;
  /** Who is acting (an HTTP client's token name or `sub`), for every audit line; none on stdio. */
  principal?: string | undefined;
  /** The calls running in this process, shared by every engine in it. */
  inFlight: InFlight;
  /** What Cloudflare said is left of its rate limit, shared by every engine on the client. */
  rate: RateGate;
  /** Delivers stored keys to the devices the operator configured (IPSEC_PSK_DELIVERY); none: no delivery. */
  delivery?: Delivery | undefined;
  /** After a delivery: how long to wait for Cloudflare to see the tunnel up (IPSEC_PSK_HEALTH_WAIT); none: no wait. */
  health?: HealthWaitOptions | undefined;
}

/** What a persisting call came to: the answer, and the key when Cloudflare returned one. */
export interface Generated {
  answer: RotationAnswer;
  key?: RevealableKey;
}

/** Cloudflare's messages as results carry them; none when empty. */
export function plainMessages(messages: CloudflareMessage[]): RotationOutput['messages'] {
  return messages.length === 0 ? undefined : messages.map(({ code, message }) => ({ code, message }));
}

/**
 * The steps every confirmation flow shares (form, two-step token, panel, callback): the tunnel lock, validation
 * with the tunnel read and the audit history, the question, the audit lines. The persisting call and its rules are
 * `generateOnce`'s.
 */
export class RotationSteps {
  constructor(readonly deps: StepsDeps) {}

  /** Tracks a call, so that a shutdown can wait for it. */
  track<T>(call: Promise<T>): Promise<T> {
    return this.deps.inFlight.track(call);
  }

  /** Who confirmations are bound to: the acting principal, or nobody in particular on stdio. */
  get principal(): string {
    return this.deps.principal ?? '';
  }

  /** Issues a confirmation token; a key directory that cannot hold it is the answer (nothing was asked or sent). */
  async issueConsent(
    tokens: ConsentTokens,
    kind: ConsentKind,
    request: ConsentRequest,
    data: unknown,
  ): Promise<{ token: string; expiresAt: Date } | { error: string }> {
    try {
      return await tokens.issue(kind, request, this.principal, data);
    } catch (error) {
      return this.consentFailed(error);
    }
  }

  /** A confirmation that could not be recorded under the key directory: nothing was asked, nothing sent. */
  consentFailed(error: unknown): { error: string } {
    this.deps.logger.warn(`could not record a confirmation (${errorCode(error)})`);
    return this.fail(
      `The confirmation could not be recorded: ${this.describeStoreError(error)}. Nobody was asked and nothing ` +
        'was sent. The operator must fix IPSEC_PSK_DIR.',
    );
  }

  prefix(): string {
    return this.deps.sandbox ? '[sandbox] ' : '';
  }

  fail(message: string): { error: string } {
    return { error: `${this.prefix()}${message}` };
  }

  base(target: Target, facts?: { name?: string | undefined; lastGeneratedOn?: KeyAge }): RotationOutput {
    const output: RotationOutput = {
      status: 'validated',
      sandbox: this.deps.sandbox,
      account_id: target.accountId,
      ipsec_tunnel_id: target.tunnelId,
    };
    const name = neutralizeText(facts?.name, NAME_MAX_LENGTH);
    if (name) output.tunnel_name = name;
    const generated = canonicalTime(facts?.lastGeneratedOn);
    if (generated) output.last_generated_on = generated;
    return output;
  }

  entry(event: AuditEntry['event'], target: Target, extra: Partial<AuditEntry> = {}): AuditEntry {
    return auditEntry(event, target, this.deps, extra);
  }

  /** Appends an audit line; a failure is logged, not fatal (except for the attempt line, see `rotate`). */
  async audit(event: AuditEntry['event'], target: Target, extra: Partial<AuditEntry> = {}): Promise<void> {
    try {
      await this.deps.audit.append(this.entry(event, target, extra));
    } catch (error) {
      this.deps.logger.warn(`could not append to the audit log: ${describeFsError(error)}`);
    }
  }

  /** A key-directory failure in words: the path and the rule it broke, or the error code. */
  describeStoreError(error: unknown): string {
    const described = describeFsError(error);
    // An error without a path is about the key directory as a whole.
    return described.includes('/') || described.includes('\\')
      ? described
      : `${this.deps.store.directory.path} is not usable (${described})`;
  }

  /**
   * Takes the tunnel's lock (shared by every process using the key directory); a directory that cannot be used, or
   * a rotation already running, is the answer instead.
   */
  async acquire(target: Target, accountDir?: string): Promise<Release | { error: string }> {
    let release: Release | undefined;
    try {
      release = await this.deps.locks.tryAcquire(target.accountId, target.tunnelId, accountDir);
    } catch (error) {
      await this.audit('store_failed', target, { code: errorCode(error) });
      return this.fail(
        `The key directory cannot be used: ${this.describeStoreError(error)}. Nothing was sent and nobody was ` +
          'asked. The operator must fix IPSEC_PSK_DIR.',
      );
    }
    return (
      release ??
      this.fail(
        `A rotation of tunnel ${target.tunnelId} is already in progress (in this or another server process using ` +
          `${this.deps.store.directory.path}); nothing was sent. Wait for it to finish.`,
      )
    );
  }

  /** Holds the tunnel's lock from validation to storing. */
  async withLock<T extends RotationAnswer | Generated>(
    target: Target,
    work: () => Promise<T>,
  ): Promise<T | RotationAnswer> {
    const release = await this.acquire(target);
    if (typeof release !== 'function') return release;
    try {
      return await work();
    } finally {
      await release();
    }
  }

  /** The validate-only call; a failure is the answer (nothing changed, nobody asked). */
  async validate(target: Target): Promise<RotationAnswer | { messages: CloudflareMessage[] }> {
    try {
      const result = await this.deps.client.generateIpsecPsk({
        accountId: target.accountId,
        ipsecTunnelId: target.tunnelId,
        validateOnly: true,
      });
      return { messages: result.messages };
    } catch (error) {
      await this.audit('validation_failed', target, { code: isPskError(error) ? error.code : 'internal' });
      return this.fail(
        `Validation failed; nothing was changed and nobody was asked. ${isPskError(error) ? error.message : 'Unexpected error.'}`,
      );
    }
  }

  /** Validated: the answer to a validate-only call. */
  validatedAnswer(target: Target, messages: CloudflareMessage[]): RotationAnswer {
    return {
      output: { ...this.base(target), status: 'validated', messages: plainMessages(messages) },
      text: `${this.prefix()}Validated: Cloudflare would generate a new PSK for tunnel ${target.tunnelId} in account ${target.accountId}. Nothing was changed.`,
    };
  }

  async tunnelFacts(target: Target): Promise<TunnelFacts> {
    try {
      const tunnel = await this.deps.client.getIpsecTunnel({
        accountId: target.accountId,
        ipsecTunnelId: target.tunnelId,
      });
      return {
        name: tunnel.name,
        lastGeneratedOn: tunnel.lastGeneratedOn ?? null,
        ...(this.deps.delivery ? { details: deliveryDetails(tunnel) } : {}),
      };
    } catch {
      // The details only enrich the question and the check-back; a token without read access still rotates.
      return { name: undefined, lastGeneratedOn: undefined };
    }
  }

  /** The audit log's records; undefined (and a warning) when it cannot be read. */
  async records(): Promise<AuditRecord[] | undefined> {
    try {
      return await this.deps.audit.read();
    } catch (error) {
      this.deps.logger.warn(`could not read the audit log (${errorCode(error)})`);
      return undefined;
    }
  }

  /** What the audit log knows of the tunnel; an unreadable log gives an empty history that says so. */
  async history(target: Target): Promise<TunnelHistory> {
    const records = await this.records();
    if (!records) return unreadableHistory();
    return tunnelHistory(records, target.accountId, target.tunnelId, this.deps.now());
  }

  /** Validation, the tunnel read and the audit history at once: one round trip before the user is asked. */
  async prepare(target: Target): Promise<RotationAnswer | Prepared> {
    const [validation, facts, history] = await Promise.all([
      this.validate(target),
      this.tunnelFacts(target),
      this.history(target),
    ]);
    if (!('messages' in validation)) return validation;
    return { facts, history };
  }

  question(target: Target, { facts, history }: Prepared): string {
    return confirmationQuestion({
      ...target,
      name: facts.name,
      lastGeneratedOn: facts.lastGeneratedOn,
      history,
      prefix: this.prefix(),
      now: this.deps.now(),
    });
  }
}
