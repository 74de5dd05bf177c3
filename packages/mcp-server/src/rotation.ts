import {
  assertIdentifier,
  type CloudflareMessage,
  isPskError,
  type PskClient,
  type PskGenerated,
} from '@ipsec-psk/core';
import type { AuditEntry, AuditLog } from './audit-log.js';
import type { ConfirmMode } from './config.js';
import type { ConfirmationTokens, TokenRefusal } from './confirmation-tokens.js';
import type { Logger } from './logger.js';
import { fingerprint, type PskStore } from './psk-store.js';
import type { TunnelLocks } from './tunnel-locks.js';

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
}

interface Target {
  accountId: string;
  tunnelId: string;
}

interface TunnelFacts {
  name: string | undefined;
  lastGeneratedOn: string | undefined;
}

const REFUSALS: Record<TokenRefusal, string> = {
  unknown: 'is not one this server issued, or was already used',
  expired: 'has expired',
  mismatch: 'was issued for a different account or tunnel',
};

function plainMessages(messages: CloudflareMessage[]): RotationOutput['messages'] {
  return messages.length === 0 ? undefined : messages.map(({ code, message }) => ({ code, message }));
}

/** The generate_ipsec_psk flow, free of MCP types so it can move to another SDK version untouched. */
export class Rotation {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly deps: RotationDeps) {}

  /** Resolves once no call is running, so a shutdown never abandons a key between Cloudflare and its file. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private prefix(): string {
    return this.deps.sandbox ? '[sandbox] ' : '';
  }

  private base(target: Target, facts?: TunnelFacts): RotationOutput {
    const output: RotationOutput = {
      status: 'validated',
      sandbox: this.deps.sandbox,
      account_id: target.accountId,
      ipsec_tunnel_id: target.tunnelId,
    };
    if (facts?.name) output.tunnel_name = facts.name;
    if (facts?.lastGeneratedOn) output.last_generated_on = facts.lastGeneratedOn;
    return output;
  }

  private async audit(
    event: AuditEntry['event'],
    target: Target,
    extra: Partial<AuditEntry> = {},
  ): Promise<void> {
    try {
      await this.deps.audit.append({
        event,
        account_id: target.accountId,
        ipsec_tunnel_id: target.tunnelId,
        sandbox: this.deps.sandbox,
        ...extra,
      });
    } catch (error) {
      this.deps.logger.warn(`could not append to the audit log: ${(error as Error).message}`);
    }
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
    if (input.confirmation_token !== undefined) return this.rotateWithToken(target, input.confirmation_token);
    return this.confirmThenRotate(target, confirmer);
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
      return { name: tunnel.name, lastGeneratedOn: tunnel.lastGeneratedOn };
    } catch {
      // The details only enrich the question and the check-back; a token without read access still rotates.
      return { name: undefined, lastGeneratedOn: undefined };
    }
  }

  private summary(target: Target, facts: TunnelFacts): string {
    const tunnel = facts.name ? `"${facts.name}" (${target.tunnelId})` : target.tunnelId;
    const last = facts.lastGeneratedOn
      ? `its key was last generated ${facts.lastGeneratedOn}`
      : 'its key age is unknown';
    return (
      `${this.prefix()}Rotate the pre-shared key of IPsec tunnel ${tunnel} in account ${target.accountId}? ` +
      `Currently ${last}. The current key stops working at once: the tunnel stays down until the new key is ` +
      'configured on the customer device.'
    );
  }

  private async confirmThenRotate(target: Target, confirmer: Confirmer): Promise<RotationAnswer> {
    const validation = await this.validate(target);
    if (!('messages' in validation)) return validation;
    const facts = await this.tunnelFacts(target);
    const useForm = this.deps.confirmMode !== 'token' && confirmer.canAsk;

    if (this.deps.confirmMode === 'elicit' && !confirmer.canAsk) {
      await this.audit('confirmation_refused', target, { code: 'elicitation_unsupported' });
      return this.fail(
        'This server requires confirmation through the client (IPSEC_PSK_CONFIRM=elicit), and this client cannot ' +
          'show a confirmation form. Nothing was sent. Use a client with MCP elicitation support.',
      );
    }

    if (!useForm) {
      const { token, expiresAt } = this.deps.tokens.issue(target.accountId, target.tunnelId);
      await this.audit('confirmation_requested', target);
      const output: RotationOutput = {
        ...this.base(target, facts),
        status: 'confirmation_required',
        confirmation_token: token,
        expires_at: expiresAt.toISOString(),
      };
      return {
        output,
        text:
          `${this.summary(target, facts)}\n\nConfirmation required: nothing has been changed. Show the user the ` +
          'question above and wait for their explicit agreement. Only if they agree, call generate_ipsec_psk again ' +
          `with the same account_id and ipsec_tunnel_id and confirmation_token "${token}" (single use, expires ` +
          `${expiresAt.toISOString()}). Never confirm on the user's behalf.`,
      };
    }

    let answer: ConfirmAnswer;
    try {
      answer = await confirmer.ask(this.summary(target, facts));
    } catch (error) {
      await this.audit('confirmation_refused', target, { code: 'elicitation_failed' });
      return this.fail(
        `The confirmation could not be completed (${(error as Error).message}); nothing was sent.`,
      );
    }
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await this.audit(status, target);
      return {
        output: { ...this.base(target, facts), status },
        text: `${this.prefix()}The user ${status} the rotation. Nothing was sent; the current key still works.`,
      };
    }
    return this.rotate(target, facts);
  }

  private async rotateWithToken(target: Target, token: string): Promise<RotationAnswer> {
    const refusal = this.deps.tokens.redeem(token, target.accountId, target.tunnelId);
    if (refusal) {
      await this.audit('confirmation_refused', target, { code: `token_${refusal}` });
      return this.fail(
        `The confirmation_token ${REFUSALS[refusal]}; nothing was sent. Call generate_ipsec_psk without a token ` +
          'to get a new confirmation question for the user.',
      );
    }
    const validation = await this.validate(target);
    if (!('messages' in validation)) return validation;
    return this.rotate(target, await this.tunnelFacts(target));
  }

  private async rotate(target: Target, before: TunnelFacts): Promise<RotationAnswer> {
    const release = this.deps.locks.tryAcquire(target.accountId, target.tunnelId);
    if (!release) {
      return this.fail(
        `A rotation of tunnel ${target.tunnelId} is already in progress; nothing was sent. Wait for it to finish.`,
      );
    }
    try {
      try {
        await this.deps.store.checkWritable(target.accountId, target.tunnelId);
      } catch (error) {
        await this.audit('store_failed', target, {
          code: (error as NodeJS.ErrnoException).code ?? 'unwritable',
        });
        return this.fail(
          `The key directory ${this.deps.store.directory} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'}); ` +
            'nothing was sent. The operator must fix IPSEC_PSK_DIR.',
        );
      }
      await this.audit('rotation_attempt', target);
      let result: PskGenerated;
      try {
        // No abort signal on purpose: once sent, cancelling cannot unsend it, and the key must still be stored.
        result = await this.deps.client.generateIpsecPsk({
          accountId: target.accountId,
          ipsecTunnelId: target.tunnelId,
        });
      } catch (error) {
        if (isPskError(error) && error.outcome === 'unknown')
          return this.checkBack(target, before, error.code);
        await this.audit('rotation_failed', target, { code: isPskError(error) ? error.code : 'internal' });
        return this.fail(`The rotation failed. ${isPskError(error) ? error.message : 'Unexpected error.'}`);
      }
      return this.deliver(target, before, result);
    } finally {
      release();
    }
  }

  private async deliver(target: Target, before: TunnelFacts, result: PskGenerated): Promise<RotationAnswer> {
    const print = fingerprint(result.psk);
    let file: string;
    try {
      file = await this.deps.store.save(target.accountId, target.tunnelId, result.psk);
    } catch (error) {
      await this.audit('store_failed', target, { psk_fingerprint: print });
      this.deps.logger.error(`a generated key (${print}) could not be stored: ${(error as Error).message}`);
      return this.fail(
        `Cloudflare generated a new key (${print}) but it could not be written to ${this.deps.store.directory}. ` +
          'The old key no longer works. Fix the key directory, then rotate again after confirming with the user.',
      );
    }
    await this.audit('generated', target, { psk_fingerprint: print, psk_file: file });
    const output: RotationOutput = {
      ...this.base(target, { name: before.name, lastGeneratedOn: result.lastGeneratedOn }),
      status: 'generated',
      psk_file: file,
      psk_fingerprint: print,
      messages: plainMessages(result.messages),
    };
    if (this.deps.reveal) output.psk = result.psk.reveal();
    return {
      output,
      text:
        `${this.prefix()}Generated a new PSK for tunnel ${target.tunnelId}. The old key no longer works. The new key ` +
        `(${print}) is stored in ${file} (mode 0600); configure it on the customer device.` +
        (this.deps.reveal ? '' : ' The key itself is not shown here.'),
    };
  }

  private async checkBack(target: Target, before: TunnelFacts, code: string): Promise<RotationAnswer> {
    const after = await this.tunnelFacts(target);
    let rotated: 'yes' | 'no' | 'unknown' = 'unknown';
    if (before.lastGeneratedOn !== undefined && after.lastGeneratedOn !== undefined) {
      rotated = after.lastGeneratedOn === before.lastGeneratedOn ? 'no' : 'yes';
    } else if (before.lastGeneratedOn === undefined && after.lastGeneratedOn !== undefined && before.name) {
      // The tunnel was readable before and had never had a key generated; now it has.
      rotated = 'yes';
    }
    await this.audit('outcome_unknown', target, { code, rotated });
    const advice = {
      yes: 'Checking back shows the key WAS replaced: the old key no longer works and the new key was lost in transit. Rotate again, after confirming with the user, to get a key you can configure.',
      no: 'Checking back shows the key was NOT replaced: the old key still works. It is safe to try again, after confirming with the user.',
      unknown:
        'Checking back could not tell whether the key was replaced. Treat the old key as possibly dead; check the tunnel in the Cloudflare dashboard before trying again.',
    }[rotated];
    const output: RotationOutput = {
      ...this.base(target, { name: before.name ?? after.name, lastGeneratedOn: after.lastGeneratedOn }),
      status: 'outcome_unknown',
      rotated,
    };
    return {
      output,
      text: `${this.prefix()}Outcome unknown (${code}): the request may have reached Cloudflare. ${advice} Nothing was retried automatically.`,
    };
  }
}
