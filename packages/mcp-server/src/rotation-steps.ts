import { randomUUID } from 'node:crypto';
import {
  type CloudflareMessage,
  isPskError,
  neutralizeText,
  type PskClient,
  type PskGenerated,
} from '@ipsec-psk/core';
import type { RevealableKey } from './app-confirmations.js';
import { type AuditEntry, type AuditLog, type AuditRecord, auditEntry } from './audit-log.js';
import { decideRotated, type KeyAge } from './check-back.js';
import type { ConfirmationChannel } from './confirmation-channel.js';
import { errorCode } from './error-code.js';
import { UntrustedPathError } from './key-directory.js';
import type { Logger } from './logger.js';
import { fingerprint, type KeyReservation, type PskStore } from './psk-store.js';
import { type TunnelHistory, tunnelHistory, unreadableHistory } from './rotation-history.js';
import { canonicalTime, confirmationQuestion, NAME_MAX_LENGTH } from './rotation-text.js';
import type { Prepared, RotationAnswer, RotationOutput, Target, TunnelFacts } from './rotation-types.js';
import type { Release, TunnelLocks } from './tunnel-lock.js';

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
}

/** What a persisting call came to: the answer, and the key when Cloudflare returned one. */
export interface Rotated {
  answer: RotationAnswer;
  key?: RevealableKey;
}

function plainMessages(messages: CloudflareMessage[]): RotationOutput['messages'] {
  return messages.length === 0 ? undefined : messages.map(({ code, message }) => ({ code, message }));
}

/**
 * The steps every confirmation flow shares (form, two-step token, MCP App): the tunnel lock, validation with the
 * tunnel read and the audit history, and the persisting call with its rules — reserve the key's space and write the
 * attempt line first, send once, store the key before answering, treat any doubt after sending as an unknown
 * outcome. Free of MCP types.
 */
export class RotationSteps {
  private readonly running = new Set<Promise<unknown>>();

  constructor(readonly deps: StepsDeps) {}

  /** Tracks a call, so that a shutdown can wait for it. */
  track<T>(call: Promise<T>): Promise<T> {
    this.running.add(call);
    return call.finally(() => this.running.delete(call));
  }

  /** How many calls are running. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Resolves once no call is running, so a shutdown never abandons a key between Cloudflare and its file. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
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
      this.deps.logger.warn(`could not append to the audit log (${errorCode(error)})`);
    }
  }

  private describeStoreError(error: unknown): string {
    if (error instanceof UntrustedPathError) return error.message;
    return `${this.deps.store.directory.path} is not usable (${errorCode(error)})`;
  }

  /**
   * Takes the tunnel's lock (shared by every process using the key directory); a directory that cannot be used, or
   * a rotation already running, is the answer instead.
   */
  async acquire(target: Target): Promise<Release | { error: string }> {
    let release: Release | undefined;
    try {
      release = await this.deps.locks.tryAcquire(target.accountId, target.tunnelId);
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
  async withLock<T extends RotationAnswer | Rotated>(
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
      return { name: tunnel.name, lastGeneratedOn: tunnel.lastGeneratedOn ?? null };
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

  /**
   * The persisting call: reserve the key's space and write the attempt line first (either failing sends nothing),
   * send once, then store whatever came back before answering. Any doubt after sending is an unknown outcome.
   */
  async rotate(target: Target, before: TunnelFacts, channel: ConfirmationChannel): Promise<Rotated> {
    let reservation: KeyReservation;
    try {
      reservation = await this.deps.store.reserve(target.accountId, target.tunnelId);
    } catch (error) {
      await this.audit('store_failed', target, { code: errorCode(error) });
      return {
        answer: this.fail(
          `The key file could not be prepared: ${this.describeStoreError(error)}. Nothing was sent; the current ` +
            'key still works. The operator must fix IPSEC_PSK_DIR (free space, permissions) before rotating.',
        ),
      };
    }
    const attemptId = randomUUID();
    try {
      await this.deps.audit.append(
        this.entry('rotation_attempt', target, {
          attempt_id: attemptId,
          pid: process.pid,
          confirmed_by: channel,
        }),
        { durable: true },
      );
    } catch (error) {
      await reservation.release();
      this.deps.logger.error(
        `could not write the rotation_attempt audit line (${errorCode(error)}); nothing was sent`,
      );
      return {
        answer: this.fail(
          `The audit log could not be written (${errorCode(error)}), and a rotation is never sent without its ` +
            'record. Nothing was sent; the current key still works. The operator must fix IPSEC_PSK_DIR.',
        ),
      };
    }

    const sentAt = this.deps.now().getTime();
    let result: PskGenerated;
    try {
      // No abort signal on purpose: once sent, cancelling cannot unsend it, and the key must still be stored.
      result = await this.deps.client.generateIpsecPsk({
        accountId: target.accountId,
        ipsecTunnelId: target.tunnelId,
      });
    } catch (error) {
      await reservation.release();
      if (isPskError(error) && error.outcome === 'not_executed') {
        await this.audit('rotation_failed', target, { attempt_id: attemptId, code: error.code });
        return { answer: this.fail(`The rotation failed. ${error.message}`) };
      }
      if (!isPskError(error)) {
        this.deps.logger.error(
          `unexpected ${errorCode(error)} around the persisting call; its outcome is treated as unknown`,
        );
      }
      const code = isPskError(error) ? error.code : 'internal';
      return { answer: await this.checkBack(target, before, sentAt, code, attemptId) };
    }
    return this.deliver(target, before, result, reservation, attemptId);
  }

  private async deliver(
    target: Target,
    before: TunnelFacts,
    result: PskGenerated,
    reservation: KeyReservation,
    attemptId: string,
  ): Promise<Rotated> {
    const print = fingerprint(result.psk);
    const stored = await reservation.store(result.psk);
    const output: RotationOutput = {
      ...this.base(target, { name: before.name, lastGeneratedOn: result.lastGeneratedOn }),
      status: 'generated',
      psk_fingerprint: print,
      messages: plainMessages(result.messages),
    };
    if (this.deps.reveal) output.psk = result.psk.reveal();

    if (!stored.stored) {
      await this.audit('key_unstored', target, { attempt_id: attemptId, psk_fingerprint: print });
      this.deps.logger.error(
        `a key Cloudflare generated for tunnel ${target.tunnelId} (${print}) could not be stored: ${stored.failures.join('; ')}`,
      );
      const key = { psk: result.psk, fingerprint: print, file: undefined };
      const tried = `Tried: ${stored.failures.join('; ')}.`;
      if (this.deps.reveal) {
        return {
          key,
          answer: {
            output,
            text:
              `${this.prefix()}Generated a new PSK for tunnel ${target.tunnelId} (${print}); the old key no longer ` +
              'works. The key could NOT be stored anywhere, so it is only in this result (IPSEC_PSK_REVEAL=1): ' +
              `copy it to a safe place now. ${tried}`,
          },
        };
      }
      return {
        key,
        answer: this.fail(
          `Cloudflare generated a new key (${print}) and the old key no longer works, but the new key could not be ` +
            `stored anywhere, so it is lost. ${tried} Fix the key directory, then, after confirming with the user, ` +
            'set a new key with rotate_ipsec_psks (it stores the key before sending it).',
        ),
      };
    }

    if (stored.failures.length > 0) {
      this.deps.logger.warn(`stored key ${print} in ${stored.file} after: ${stored.failures.join('; ')}`);
    }
    await this.audit('generated', target, {
      attempt_id: attemptId,
      psk_fingerprint: print,
      psk_file: stored.file,
      ...(stored.fallback ? { fallback: true } : {}),
    });
    output.psk_file = stored.file;
    const where = stored.fallback
      ? `The key directory could not take it (${stored.failures.join('; ')}), so the new key (${print}) is in the ` +
        `FALLBACK location ${stored.file} (mode 0600): move it somewhere safe, and fix the key directory.`
      : `The new key (${print}) is stored in ${stored.file} (mode 0600).`;
    return {
      key: { psk: result.psk, fingerprint: print, file: stored.file },
      answer: {
        output,
        text:
          `${this.prefix()}Generated a new PSK for tunnel ${target.tunnelId}. The old key no longer works. ${where} ` +
          `Configure it on the customer device.${this.deps.reveal ? '' : ' The key itself is not shown here.'}`,
      },
    };
  }

  private async checkBack(
    target: Target,
    before: TunnelFacts,
    sentAtMs: number,
    code: string,
    attemptId: string,
  ): Promise<RotationAnswer> {
    const after = await this.tunnelFacts(target);
    const rotated = decideRotated(before.lastGeneratedOn, after.lastGeneratedOn, sentAtMs);
    await this.audit('outcome_unknown', target, { attempt_id: attemptId, code, rotated });
    const recovery =
      'The safe way back is rotate_ipsec_psks with ipsec_tunnel_ids ["' +
      target.tunnelId +
      '"]: after the user confirms, it sets a key made and stored on this machine before it is sent, so no answer ' +
      'can lose it. Do not call generate_ipsec_psk again for this tunnel.';
    const advice = {
      yes: `Checking back shows the key WAS replaced: the old key no longer works and the new key was lost in transit. ${recovery}`,
      no: 'Checking back shows the key was NOT replaced: the old key still works. It is safe to try again, after confirming with the user.',
      unknown: `Checking back could not tell whether the key was replaced: treat the old key as possibly dead. ${recovery}`,
    }[rotated];
    const output: RotationOutput = {
      ...this.base(target, { name: before.name ?? after.name, lastGeneratedOn: after.lastGeneratedOn }),
      status: 'outcome_unknown',
      rotated,
    };
    if (rotated !== 'no') {
      output.recovery = {
        tool: 'rotate_ipsec_psks',
        arguments: { account_id: target.accountId, ipsec_tunnel_ids: [target.tunnelId] },
      };
    }
    return {
      output,
      text: `${this.prefix()}Outcome unknown (${code}): the request may have reached Cloudflare. ${advice} Nothing was retried automatically.`,
    };
  }
}
