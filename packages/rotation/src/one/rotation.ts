import { assertIdentifier, isPskError } from '@ipsec-psk/core';
import type { ConfirmMode } from '../confirm/channel.js';
import { chooseChannel } from '../confirm/channel.js';
import { type ConsentRequest, type ConsentTokens, tokenRefusalText } from '../confirm/consent-tokens.js';
import type { PanelConfirmations } from '../confirm/panel-confirmations.js';
import { attemptedSince, recordsOf } from '../store/rotation-history.js';
import {
  formatTime,
  historyLines,
  notRotatedText,
  panelInstructions,
  tokenInstructions,
} from '../text/rotation-text.js';
import type {
  Answered,
  ConfirmAnswer,
  Confirmer,
  FormReply,
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
  tokens: ConsentTokens;
  panels: PanelConfirmations;
  confirmMode: ConfirmMode;
  defaultAccountId: string | undefined;
}

/** What a generate_ipsec_psk confirmation confirms: this tunnel alone. */
const consentFor = (target: Target): ConsentRequest => ({
  action: 'generate',
  accountId: target.accountId,
  tunnelIds: [target.tunnelId],
});

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
    const { confirmation_token: token, reply } = input;
    if (reply && (await this.holds(reply.requestState))) return this.resumeAnswer(target, reply.requestState);
    return this.steps.withLock(target, () => {
      if (reply) return this.rotateWithReply(target, reply);
      if (token !== undefined) return this.rotateWithToken(target, token);
      return this.confirmThenRotate(target, confirmer);
    });
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
    if (confirmer.asksLater) return this.askLater(target, prepared);

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
    return this.answered(target, prepared.facts, answer, confirmer.via ?? 'form', prepared);
  }

  /** After the user's answer to a form: rotate on accept; otherwise nothing is sent. */
  private async answered(
    target: Target,
    facts: TunnelFacts,
    answer: ConfirmAnswer,
    via: NonNullable<Confirmer['via']>,
    prepared?: Prepared,
  ): Promise<RotationAnswer> {
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await this.steps.audit(status, target, { confirmed_by: via });
      const history = prepared?.history ?? (await this.steps.history(target));
      return {
        output: { ...this.steps.base(target, facts), status },
        text: notRotatedText(this.steps.prefix(), status, history),
      };
    }
    return (await generateOnce(this.steps, target, facts, via)).answer;
  }

  /**
   * Holds a finished rotation's answer while the front end asks the user one more thing (MCP 2026-07-28: the key's
   * one-time page, offered in an `input_required` round); the state it returns brings the answer back, once.
   */
  async holdAnswer(answer: Answered<RotationOutput>): Promise<string | { error: string }> {
    const target = { accountId: answer.output.account_id, tunnelId: answer.output.ipsec_tunnel_id };
    const issued = await this.steps.issueConsent(this.deps.tokens, 'reveal', consentFor(target), answer);
    return 'error' in issued ? issued : issued.token;
  }

  /** Whether `requestState` brings back an answer `holdAnswer` held (rather than the user's answer to a form). */
  async holds(requestState: string): Promise<boolean> {
    return (await this.deps.tokens.kindOf(requestState)) === 'reveal';
  }

  private async resumeAnswer(target: Target, requestState: string): Promise<RotationAnswer> {
    const held = await this.deps.tokens.redeem<Answered<RotationOutput>>(
      requestState,
      'reveal',
      consentFor(target),
      this.steps.principal,
    );
    if (typeof held === 'string' || !held.data) {
      return this.steps.fail('This answer was already delivered, or has expired; nothing was sent again.');
    }
    return held.data;
  }

  /** The form travels in the result (MCP 2026-07-28): the client asks the user and calls again with the answer. */
  private async askLater(target: Target, prepared: Prepared): Promise<RotationAnswer> {
    const issued = await this.steps.issueConsent(
      this.deps.tokens,
      'form',
      consentFor(target),
      prepared.facts,
    );
    if ('error' in issued) return issued;
    await this.steps.audit('confirmation_requested', target, { confirmed_by: 'form' });
    return {
      ask: {
        question: this.steps.question(target, prepared),
        requestState: issued.token,
        expiresAt: issued.expiresAt,
      },
    };
  }

  private async rotateWithReply(target: Target, reply: FormReply): Promise<RotationAnswer> {
    const redeemed = await this.deps.tokens.redeem<TunnelFacts>(
      reply.requestState,
      'form',
      consentFor(target),
      this.steps.principal,
    );
    if (typeof redeemed === 'string') {
      await this.steps.audit('confirmation_refused', target, {
        code: `form_${redeemed}`,
        confirmed_by: 'form',
      });
      return this.steps.fail(
        'The answer to the confirmation form does not belong to this question (it was already used, has ' +
          'expired, or was for another tunnel or user); nothing was sent. Ask again.',
      );
    }
    const facts = redeemed.data ?? { name: undefined, lastGeneratedOn: undefined };
    if (reply.answer === 'accept') {
      const superseded = await this.supersededSince(target, redeemed.issuedAt, 'form');
      if (superseded) return superseded;
    }
    return this.answered(target, facts, reply.answer, 'form');
  }

  private async issueToken(target: Target, prepared: Prepared): Promise<RotationAnswer> {
    const issued = await this.steps.issueConsent(
      this.deps.tokens,
      'token',
      consentFor(target),
      prepared.facts,
    );
    if ('error' in issued) return issued;
    const { token, expiresAt } = issued;
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
    let issued: Awaited<ReturnType<PanelConfirmations['issue']>>;
    try {
      issued = await this.deps.panels.issue(
        target.accountId,
        target.tunnelId,
        prepared.facts,
        this.steps.principal,
      );
    } catch (error) {
      return this.steps.consentFailed(error);
    }
    await this.steps.audit('confirmation_requested', target, { confirmed_by: 'app' });
    const output: RotationOutput = {
      ...this.steps.base(target, prepared.facts),
      status: 'confirmation_required',
      confirm_via: 'app',
      confirmation_id: issued.id,
      expires_at: issued.expiresAt.toISOString(),
      history: historyLines(prepared.history, prepared.facts.lastGeneratedOn, this.steps.deps.now()),
    };
    return {
      output,
      text: panelInstructions(this.steps.question(target, prepared), issued.expiresAt),
      viewOnly: { panel_secret: issued.secret },
    };
  }

  private async rotateWithToken(target: Target, token: string): Promise<RotationAnswer> {
    const redeemed = await this.deps.tokens.redeem<TunnelFacts>(
      token,
      'token',
      consentFor(target),
      this.steps.principal,
    );
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
    const facts = redeemed.data ?? { name: undefined, lastGeneratedOn: undefined };
    return (await generateOnce(this.steps, target, facts, 'token')).answer;
  }

  /** A confirmation answered after another rotation of the tunnel was sent answers a question about a dead key. */
  async supersededSince(
    target: Target,
    askedAt: number,
    channel: 'token' | 'app' | 'form',
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
