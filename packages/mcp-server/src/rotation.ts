import { randomUUID } from 'node:crypto';
import {
  assertIdentifier,
  type CloudflareMessage,
  isPskError,
  neutralizeText,
  type PskClient,
  type PskGenerated,
} from '@ipsec-psk/core';
import type { AuditEntry, AuditLog, ConfirmationChannel } from './audit-log.js';
import { decideRotated, type KeyAge } from './check-back.js';
import type { ConfirmMode } from './config.js';
import type { ConfirmationTokens, TokenRefusal } from './confirmation-tokens.js';
import type { Logger } from './logger.js';
import { fingerprint, type KeyReservation, type PskStore } from './psk-store.js';
import { attemptedSince, type TunnelHistory, tunnelHistory } from './rotation-history.js';
import {
  confirmationQuestion,
  formatTime,
  NAME_MAX_LENGTH,
  notRotatedText,
  tokenInstructions,
} from './rotation-text.js';
import type { TunnelLocks } from './tunnel-lock.js';

/** What a call of generate_ipsec_psk ended in. */
export type RotationStatus =
  | 'validated'
  | 'confirmation_required'
  | 'declined'
  | 'cancelled'
  | 'generated'
  | 'outcome_unknown';

/** The structured result of generate_ipsec_psk (snake_case, as MCP tool results conventionally are). */
export interface RotationOutput {
  status: RotationStatus;
  sandbox: boolean;
  account_id: string;
  ipsec_tunnel_id: string;
  tunnel_name?: string;
  last_generated_on?: string;
  psk_file?: string;
  psk_fingerprint?: string;
  psk?: string;
  confirmation_token?: string;
  expires_at?: string;
  rotated?: 'yes' | 'no' | 'unknown';
  messages?: { code: number; message: string }[];
}

/** The tool's arguments after schema validation. */
export interface RotationInput {
  account_id?: string | undefined;
  ipsec_tunnel_id: string;
  validate_only?: boolean | undefined;
  confirmation_token?: string | undefined;
}

/** A result for the assistant, or a tool error (`isError: true`) with a safe message. */
export type RotationAnswer = { output: RotationOutput; text: string } | { error: string };

/** The user's answer to a confirmation question. */
export type ConfirmAnswer = 'accept' | 'decline' | 'cancel';

/** How to ask the user, as far as the connected client allows. */
export interface Confirmer {
  /** Whether the client can show the user a form (MCP form elicitation). */
  readonly canAsk: boolean;
  ask(message: string): Promise<ConfirmAnswer>;
}

/** What the rotation flow works with. */
export interface RotationDeps {
  client: PskClient;
  store: PskStore;
  audit: AuditLog;
  tokens: ConfirmationTokens;
  locks: TunnelLocks;
  logger: Logger;
  confirmMode: ConfirmMode;
  reveal: boolean;
  sandbox: boolean;
  defaultAccountId: string | undefined;
  now: () => Date;
}

interface Target {
  accountId: string;
  tunnelId: string;
}

interface TunnelFacts {
  /** The name as Cloudflare sent it (untrusted); shown only through the text helpers. */
  name: string | undefined;
  lastGeneratedOn: KeyAge;
}

/** What is known before the user is asked. */
interface Prepared {
  facts: TunnelFacts;
  history: TunnelHistory;
}

const REFUSALS: Record<TokenRefusal, string> = {
  unknown: 'is not one this server issued, or was already used',
  expired: 'has expired',
  mismatch: 'was issued for a different account or tunnel',
};

function plainMessages(messages: CloudflareMessage[]): RotationOutput['messages'] {
  return messages.length === 0 ? undefined : messages.map(({ code, message }) => ({ code, message }));
}

function errorCode(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'error';
}

/** The generate_ipsec_psk flow, free of MCP types so it can move to another SDK version untouched. */
export class Rotation {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly deps: RotationDeps) {}

  /** How many calls are running. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Resolves once no call is running, so a shutdown never abandons a key between Cloudflare and its file. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private prefix(): string {
    return this.deps.sandbox ? '[sandbox] ' : '';
  }

  private base(
    target: Target,
    facts?: { name?: string | undefined; lastGeneratedOn?: KeyAge },
  ): RotationOutput {
    const output: RotationOutput = {
      status: 'validated',
      sandbox: this.deps.sandbox,
      account_id: target.accountId,
      ipsec_tunnel_id: target.tunnelId,
    };
    const name = neutralizeText(facts?.name, NAME_MAX_LENGTH);
    if (name) output.tunnel_name = name;
    // API data: kept only if it really is a time, and then written out in one canonical form.
    const generated =
      typeof facts?.lastGeneratedOn === 'string' ? Date.parse(facts.lastGeneratedOn) : Number.NaN;
    if (!Number.isNaN(generated)) output.last_generated_on = formatTime(new Date(generated).toISOString());
    return output;
  }

  /** Appends an audit line; a failure is logged, not fatal (except for the attempt line, see `rotate`). */
  private async audit(event: AuditEntry['event'], target: Target, extra: Partial<AuditEntry> = {}) {
    try {
      await this.deps.audit.append(this.entry(event, target, extra));
    } catch (error) {
      this.deps.logger.warn(`could not append to the audit log (${errorCode(error)})`);
    }
  }

  private entry(event: AuditEntry['event'], target: Target, extra: Partial<AuditEntry> = {}): AuditEntry {
    return {
      event,
      account_id: target.accountId,
      ipsec_tunnel_id: target.tunnelId,
      sandbox: this.deps.sandbox,
      ...extra,
    };
  }

  private fail(message: string): RotationAnswer {
    return { error: `${this.prefix()}${message}` };
  }

  run(input: RotationInput, confirmer: Confirmer): Promise<RotationAnswer> {
    const call = this.runOnce(input, confirmer);
    this.running.add(call);
    return call.finally(() => this.running.delete(call));
  }

  private async runOnce(input: RotationInput, confirmer: Confirmer): Promise<RotationAnswer> {
    let target: Target;
    try {
      const accountId = input.account_id ?? this.deps.defaultAccountId;
      if (accountId === undefined) {
        return this.fail('account_id is required: pass it, or have the operator set CLOUDFLARE_ACCOUNT_ID.');
      }
      target = {
        accountId: assertIdentifier('account_id', accountId),
        tunnelId: assertIdentifier('ipsec_tunnel_id', input.ipsec_tunnel_id),
      };
    } catch (error) {
      return this.fail(isPskError(error) ? error.message : 'Invalid input.');
    }

    if (input.validate_only) return this.validateOnly(target);
    const token = input.confirmation_token;
    return this.withLock(target, () =>
      token === undefined ? this.confirmThenRotate(target, confirmer) : this.rotateWithToken(target, token),
    );
  }

  /** Holds the tunnel's lock (shared by every process using the key directory) from validation to storing. */
  private async withLock(target: Target, work: () => Promise<RotationAnswer>): Promise<RotationAnswer> {
    let release: (() => Promise<void>) | undefined;
    try {
      release = await this.deps.locks.tryAcquire(target.accountId, target.tunnelId);
    } catch (error) {
      await this.audit('store_failed', target, { code: errorCode(error) });
      return this.fail(
        `The key directory cannot be used: ${this.describeStoreError(error)}. Nothing was sent and nobody was ` +
          'asked. The operator must fix IPSEC_PSK_DIR.',
      );
    }
    if (!release) {
      return this.fail(
        `A rotation of tunnel ${target.tunnelId} is already in progress (in this or another server process using ` +
          `${this.deps.store.directory.path}); nothing was sent. Wait for it to finish.`,
      );
    }
    try {
      return await work();
    } finally {
      await release();
    }
  }

  private describeStoreError(error: unknown): string {
    if (error instanceof Error && error.name === 'UntrustedPathError') return error.message;
    return `${this.deps.store.directory.path} is not usable (${errorCode(error)})`;
  }

  private async validate(target: Target): Promise<RotationAnswer | { messages: CloudflareMessage[] }> {
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

  private async validateOnly(target: Target): Promise<RotationAnswer> {
    const validation = await this.validate(target);
    if (!('messages' in validation)) return validation;
    await this.audit('validated', target);
    const output = {
      ...this.base(target),
      status: 'validated' as const,
      messages: plainMessages(validation.messages),
    };
    return {
      output,
      text: `${this.prefix()}Validated: Cloudflare would generate a new PSK for tunnel ${target.tunnelId} in account ${target.accountId}. Nothing was changed.`,
    };
  }

  private async tunnelFacts(target: Target): Promise<TunnelFacts> {
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

  private async history(target: Target): Promise<TunnelHistory> {
    try {
      const records = await this.deps.audit.read();
      return tunnelHistory(records, target.accountId, target.tunnelId, this.deps.now());
    } catch (error) {
      this.deps.logger.warn(`could not read the audit log (${errorCode(error)})`);
      return { unfinished: [], recent: [], records: [], readable: false };
    }
  }

  /** Validation, the tunnel read and the audit history at once: one round trip before the user is asked. */
  private async prepare(target: Target): Promise<RotationAnswer | Prepared> {
    const [validation, facts, history] = await Promise.all([
      this.validate(target),
      this.tunnelFacts(target),
      this.history(target),
    ]);
    if (!('messages' in validation)) return validation;
    return { facts, history };
  }

  private question(target: Target, { facts, history }: Prepared): string {
    return confirmationQuestion({
      ...target,
      name: facts.name,
      lastGeneratedOn: facts.lastGeneratedOn,
      history,
      prefix: this.prefix(),
      now: this.deps.now(),
    });
  }

  private async confirmThenRotate(target: Target, confirmer: Confirmer): Promise<RotationAnswer> {
    const prepared = await this.prepare(target);
    if (!('facts' in prepared)) return prepared;
    const { facts, history } = prepared;

    if (this.deps.confirmMode === 'elicit' && !confirmer.canAsk) {
      await this.audit('confirmation_refused', target, { code: 'elicitation_unsupported' });
      return this.fail(
        'This server requires confirmation through the client (IPSEC_PSK_CONFIRM=elicit), and this client cannot ' +
          'show a confirmation form. Nothing was sent. Use a client with MCP elicitation support.',
      );
    }

    const question = this.question(target, prepared);
    if (this.deps.confirmMode === 'token' || !confirmer.canAsk) {
      const { token, expiresAt } = this.deps.tokens.issue(target.accountId, target.tunnelId);
      await this.audit('confirmation_requested', target);
      const output: RotationOutput = {
        ...this.base(target, facts),
        status: 'confirmation_required',
        confirmation_token: token,
        expires_at: expiresAt.toISOString(),
      };
      return { output, text: tokenInstructions(question, token, expiresAt) };
    }

    let answer: ConfirmAnswer;
    try {
      answer = await confirmer.ask(question);
    } catch (error) {
      await this.audit('confirmation_refused', target, { code: 'elicitation_failed' });
      return this.fail(`The confirmation could not be completed (${errorCode(error)}); nothing was sent.`);
    }
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await this.audit(status, target);
      return {
        output: { ...this.base(target, facts), status },
        text: notRotatedText(this.prefix(), status, history),
      };
    }
    return this.rotate(target, facts, 'form');
  }

  private async rotateWithToken(target: Target, token: string): Promise<RotationAnswer> {
    const redeemed = this.deps.tokens.redeem(token, target.accountId, target.tunnelId);
    if (typeof redeemed === 'string') {
      await this.audit('confirmation_refused', target, { code: `token_${redeemed}` });
      return this.fail(
        `The confirmation_token ${REFUSALS[redeemed]}; nothing was sent. Call generate_ipsec_psk without a token ` +
          'to get a new confirmation question for the user.',
      );
    }
    const prepared = await this.prepare(target);
    if (!('facts' in prepared)) return prepared;
    const since = attemptedSince(prepared.history.records, redeemed.issuedAt);
    if (since) {
      await this.audit('confirmation_refused', target, { code: 'token_superseded' });
      return this.fail(
        `This tunnel was rotated at ${formatTime(since.time)}, after the user was asked: the answer no longer ` +
          'matches what they saw, so nothing was sent. Call generate_ipsec_psk without a token to ask them again.',
      );
    }
    return this.rotate(target, prepared.facts, 'token');
  }

  /**
   * The persisting call: reserve the key's space and write the attempt line first (either failing sends nothing),
   * send once, then store whatever came back before answering. Any doubt after sending is an unknown outcome.
   */
  private async rotate(
    target: Target,
    before: TunnelFacts,
    channel: ConfirmationChannel,
  ): Promise<RotationAnswer> {
    let reservation: KeyReservation;
    try {
      reservation = await this.deps.store.reserve(target.accountId, target.tunnelId);
    } catch (error) {
      await this.audit('store_failed', target, { code: errorCode(error) });
      return this.fail(
        `The key file could not be prepared: ${this.describeStoreError(error)}. Nothing was sent; the current key ` +
          'still works. The operator must fix IPSEC_PSK_DIR (free space, permissions) before rotating.',
      );
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
      return this.fail(
        `The audit log could not be written (${errorCode(error)}), and a rotation is never sent without its ` +
          'record. Nothing was sent; the current key still works. The operator must fix IPSEC_PSK_DIR.',
      );
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
        return this.fail(`The rotation failed. ${error.message}`);
      }
      if (!isPskError(error)) {
        this.deps.logger.error(
          `unexpected ${errorCode(error)} around the persisting call; its outcome is treated as unknown`,
        );
      }
      return this.checkBack(target, before, sentAt, isPskError(error) ? error.code : 'internal', attemptId);
    }
    return this.deliver(target, before, result, reservation, attemptId);
  }

  private async deliver(
    target: Target,
    before: TunnelFacts,
    result: PskGenerated,
    reservation: KeyReservation,
    attemptId: string,
  ): Promise<RotationAnswer> {
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
      const tried = `Tried: ${stored.failures.join('; ')}.`;
      if (this.deps.reveal) {
        return {
          output,
          text:
            `${this.prefix()}Generated a new PSK for tunnel ${target.tunnelId} (${print}); the old key no longer ` +
            `works. The key could NOT be stored anywhere, so it is only in this result (IPSEC_PSK_REVEAL=1): ` +
            `copy it to a safe place now. ${tried}`,
        };
      }
      return this.fail(
        `Cloudflare generated a new key (${print}) and the old key no longer works, but the new key could not be ` +
          `stored anywhere, so it is lost. ${tried} Fix the key directory, then, after confirming with the user, ` +
          'rotate again to get a key you can configure.',
      );
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
      output,
      text:
        `${this.prefix()}Generated a new PSK for tunnel ${target.tunnelId}. The old key no longer works. ${where} ` +
        `Configure it on the customer device.${this.deps.reveal ? '' : ' The key itself is not shown here.'}`,
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
    const advice = {
      yes: 'Checking back shows the key WAS replaced: the old key no longer works and the new key was lost in transit. Rotate again, after confirming with the user, to get a key you can configure.',
      no: 'Checking back shows the key was NOT replaced: the old key still works. It is safe to try again, after confirming with the user.',
      unknown:
        'Checking back could not tell whether the key was replaced. Treat the old key as possibly dead; check the tunnel in the Cloudflare dashboard before trying again.',
    }[rotated];
    const output: RotationOutput = {
      ...this.base(target, {
        name: before.name ?? after.name,
        lastGeneratedOn: after.lastGeneratedOn,
      }),
      status: 'outcome_unknown',
      rotated,
    };
    return {
      output,
      text: `${this.prefix()}Outcome unknown (${code}): the request may have reached Cloudflare. ${advice} Nothing was retried automatically.`,
    };
  }
}
