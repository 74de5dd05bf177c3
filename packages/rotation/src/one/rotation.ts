import { assertIdentifier, isPskError } from '@ipsec-psk/core';
import type { ConfirmMode } from '../confirm/channel.js';
import { chooseChannel } from '../confirm/channel.js';
import type { PanelConfirmations } from '../confirm/panel-confirmations.js';
import { type ConfirmationTokens, tokenRefusalText } from '../confirm/tokens.js';
import { attemptedSince, recordsOf } from '../store/rotation-history.js';
import {
  formatTime,
  historyLines,
  notRotatedText,
  panelInstructions,
  tokenInstructions,
} from '../text/rotation-text.js';
import type {
  ConfirmAnswer,
  Confirmer,
  Prepared,
  RotationAnswer,
  RotationInput,
  RotationOutput,
  Target,
  TunnelFacts,
} from '../types.js';
import { generateOnce } from './generate-once.js';
import type { RotationSteps } from './steps.js';

/** What the generate_ipsec_psk flow works with beyond the shared steps. */
export interface RotationDeps {
  steps: RotationSteps;
  tokens: ConfirmationTokens<TunnelFacts>;
  app: PanelConfirmations;
  confirmMode: ConfirmMode;
  defaultAccountId: string | undefined;
}

/** What a generate_ipsec_psk token confirms: this tunnel alone. */
const tokenSubject = (target: Target) => `generate:${target.accountId}/${target.tunnelId}`;

/** Checks the ids of a call; a failure is the answer. */
export function resolveTarget(
  steps: RotationSteps,
  accountId: string | undefined,
  tunnelId: unknown,
): Target | RotationAnswer {
  try {
    if (accountId === undefined) {
      return steps.fail('account_id is required: pass it, or have the operator set CLOUDFLARE_ACCOUNT_ID.');
    }
    return {
      accountId: assertIdentifier('account_id', accountId),
      tunnelId: assertIdentifier('ipsec_tunnel_id', tunnelId),
    };
  } catch (error) {
    return steps.fail(isPskError(error) ? error.message : 'Invalid input.');
  }
}

/** The generate_ipsec_psk flow: validate, ask the user by the best channel the client has, rotate once. */
export class Rotation {
  private readonly steps: RotationSteps;

  constructor(private readonly deps: RotationDeps) {
    this.steps = deps.steps;
  }

  run(input: RotationInput, confirmer: Confirmer): Promise<RotationAnswer> {
    return this.steps.track(this.runOnce(input, confirmer));
  }

  private async runOnce(input: RotationInput, confirmer: Confirmer): Promise<RotationAnswer> {
    const target = resolveTarget(
      this.steps,
      input.account_id ?? this.deps.defaultAccountId,
      input.ipsec_tunnel_id,
    );
    if (!('tunnelId' in target)) return target;

    if (input.validate_only) {
      const validation = await this.steps.validate(target);
      if (!('messages' in validation)) return validation;
      await this.steps.audit('validated', target);
      return this.steps.validatedAnswer(target, validation.messages);
    }
    const token = input.confirmation_token;
    return this.steps.withLock(target, () =>
      token === undefined ? this.confirmThenRotate(target, confirmer) : this.rotateWithToken(target, token),
    );
  }

  private async confirmThenRotate(target: Target, confirmer: Confirmer): Promise<RotationAnswer> {
    const prepared = await this.steps.prepare(target);
    if (!('facts' in prepared)) return prepared;

    const channel = chooseChannel(this.deps.confirmMode, {
      form: confirmer.canAsk,
      app: confirmer.canShowApp,
    });
    if (typeof channel !== 'string') {
      await this.steps.audit('confirmation_refused', target, { code: 'channel_unavailable' });
      return this.steps.fail(
        `This server ${channel.refused}, and this client offers none of it. Nothing was sent. Use a client that ` +
          'can show the user a confirmation form or an MCP App panel.',
      );
    }
    if (channel === 'token') return this.issueToken(target, prepared);
    if (channel === 'app') return this.issuePanel(target, prepared);

    const { facts, history } = prepared;
    let answer: ConfirmAnswer;
    try {
      answer = await confirmer.ask(this.steps.question(target, prepared));
    } catch (error) {
      await this.steps.audit('confirmation_refused', target, {
        code: 'elicitation_failed',
        confirmed_by: confirmer.via ?? 'form',
      });
      return this.steps.fail(
        `The confirmation could not be completed (${(error as { name?: string }).name ?? 'error'}); nothing was sent.`,
      );
    }
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await this.steps.audit(status, target, { confirmed_by: confirmer.via ?? 'form' });
      return {
        output: { ...this.steps.base(target, facts), status },
        text: notRotatedText(this.steps.prefix(), status, history),
      };
    }
    return (await generateOnce(this.steps, target, facts, confirmer.via ?? 'form')).answer;
  }

  private async issueToken(target: Target, prepared: Prepared): Promise<RotationAnswer> {
    const { token, expiresAt } = this.deps.tokens.issue(tokenSubject(target), prepared.facts);
    await this.steps.audit('confirmation_requested', target, { confirmed_by: 'token' });
    const output: RotationOutput = {
      ...this.steps.base(target, prepared.facts),
      status: 'confirmation_required',
      confirm_via: 'token',
      confirmation_token: token,
      expires_at: expiresAt.toISOString(),
    };
    return { output, text: tokenInstructions(this.steps.question(target, prepared), token, expiresAt) };
  }

  /** The MCP App shows the question; only a click in it confirms. The model gets the id, which confirms nothing. */
  private async issuePanel(target: Target, prepared: Prepared): Promise<RotationAnswer> {
    const { id, expiresAt } = this.deps.app.issue(target.accountId, target.tunnelId, prepared.facts);
    await this.steps.audit('confirmation_requested', target, { confirmed_by: 'app' });
    const output: RotationOutput = {
      ...this.steps.base(target, prepared.facts),
      status: 'confirmation_required',
      confirm_via: 'app',
      confirmation_id: id,
      expires_at: expiresAt.toISOString(),
      history: historyLines(prepared.history, prepared.facts.lastGeneratedOn, this.steps.deps.now()),
    };
    return { output, text: panelInstructions(this.steps.question(target, prepared), expiresAt) };
  }

  private async rotateWithToken(target: Target, token: string): Promise<RotationAnswer> {
    const redeemed = this.deps.tokens.redeem(token, tokenSubject(target));
    if (typeof redeemed === 'string') {
      await this.steps.audit('confirmation_refused', target, {
        code: `token_${redeemed}`,
        confirmed_by: 'token',
      });
      return this.steps.fail(tokenRefusalText(redeemed, 'generate_ipsec_psk', 'account or tunnel'));
    }
    // Validated when the question was asked; after consent, the one round trip is the persisting call.
    const superseded = await this.supersededSince(target, redeemed.issuedAt, 'token');
    if (superseded) return superseded;
    return (await generateOnce(this.steps, target, redeemed.data, 'token')).answer;
  }

  /** A confirmation answered after another rotation of the tunnel was sent answers a question about a dead key. */
  async supersededSince(
    target: Target,
    askedAt: number,
    channel: 'token' | 'app',
  ): Promise<RotationAnswer | undefined> {
    const records = recordsOf((await this.steps.records()) ?? [], target.accountId, target.tunnelId);
    const since = attemptedSince(records, askedAt);
    if (!since) return undefined;
    await this.steps.audit('confirmation_refused', target, {
      code: `${channel}_superseded`,
      confirmed_by: channel,
    });
    return this.steps.fail(
      `This tunnel was rotated at ${formatTime(since.time)}, after the user was asked: the answer no longer ` +
        'matches what they saw, so nothing was sent. Call generate_ipsec_psk again to ask them again.',
    );
  }
}
