import type { Secret } from '@ipsec-psk/core';
import { type ConfirmMode, chooseChannel } from '../confirm/channel.js';
import type { ConsentRequest, ConsentTokens } from '../confirm/consent-tokens.js';
import { tokenRefusalText } from '../confirm/consent-tokens.js';
import { type HeldKey, heldPreviousKey } from '../delivery/previous-key.js';
import type { RotationSteps } from '../one/steps.js';
import type { AuditEntry } from '../store/audit-log.js';
import { restoreQuestion, restoreTokenInstructions } from '../text/restore-text.js';
import type { ConfirmAnswer, Confirmer, FleetTunnelFacts, FormReply } from '../types.js';
import {
  askInPlace,
  auditFleet,
  type FleetAnswer,
  type FleetPrepared,
  type FleetTarget,
  prepareFleet,
  resolveFleet,
} from './fleet-prepare.js';
import { fleetBase } from './fleet-result.js';
import type { FleetRotation } from './fleet-rotation.js';
import type { OnProgress } from './fleet-send.js';

/** Which tunnel's previous key to put back, and the user's answer when it comes in a later call. */
export interface RestoreInput {
  account_id?: string | undefined;
  ipsec_tunnel_id: string;
  /** The two-step flow's token, when the user agreed to the question it came with. */
  confirmation_token?: string | undefined;
  /** The user's answer to a form the flow returned earlier (`ask`, MCP 2026-07-28), with its state. */
  reply?: FormReply | undefined;
}

/** What the restore flow works with beyond the fleet's. */
export interface RestoreDeps {
  steps: RotationSteps;
  fleet: FleetRotation;
  tokens: ConsentTokens;
  confirmMode: ConfirmMode;
  defaultAccountId: string | undefined;
}

/** The key to put back, and the record naming its file. */
interface Previous {
  held: HeldKey;
  key: Secret;
}

/** What the user was shown: the tunnel as read, and which key goes back (a later answer must be about it). */
interface Asked {
  tunnels: FleetTunnelFacts[];
  fingerprint: string;
}

const consentFor = (target: FleetTarget): ConsentRequest => ({
  action: 'restore',
  accountId: target.accountId,
  tunnelIds: target.ids,
});

/**
 * The way back after a failed delivery: the key in force before the tunnel's current one, read from the file a
 * rotation on this machine stored it in, set again with Set PSKs. It is a rotation like any other: validated,
 * asked (a form, or the two-step token where the operator allows it; the panel has no restore button), stored
 * under a new file before it is sent, its audit lines `set_psks` with `restore_of` naming the file, then delivered
 * like any new key. An answer counts only for the key the user was shown.
 */
export class RestoreFlow {
  private readonly steps: RotationSteps;

  constructor(private readonly deps: RestoreDeps) {
    this.steps = deps.steps;
  }

  run(input: RestoreInput, confirmer: Confirmer, onProgress?: OnProgress): Promise<FleetAnswer> {
    return this.steps.track(this.runOnce(input, confirmer, onProgress));
  }

  private async runOnce(
    input: RestoreInput,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const { steps } = this;
    const target = resolveFleet(steps, input.account_id ?? this.deps.defaultAccountId, [
      input.ipsec_tunnel_id,
    ]);
    if ('error' in target) return target;
    return this.deps.fleet.withLocks(target, async () => {
      const previous = await this.previous(target);
      if ('error' in previous) return previous;
      if (input.reply) return this.withReply(target, previous, input.reply, onProgress);
      if (input.confirmation_token !== undefined) {
        return this.withToken(target, previous, input.confirmation_token, onProgress);
      }
      return this.ask(target, previous, confirmer, onProgress);
    });
  }

  /** The previous key held here, or a plain refusal saying none is. */
  private async previous(target: FleetTarget): Promise<Previous | { error: string }> {
    const tunnelId = target.ids[0] ?? '';
    const found = await heldPreviousKey(
      this.steps.deps.store,
      await this.steps.records(),
      target.accountId,
      tunnelId,
    );
    if ('reason' in found) {
      return this.steps.fail(
        `No previous key of tunnel ${tunnelId} is held on this machine (${found.reason}), so it cannot be put ` +
          'back. Nothing was sent. Configure the current key on the customer device instead.',
      );
    }
    return { held: found.held, key: found.key };
  }

  private async ask(
    target: FleetTarget,
    previous: Previous,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const { steps } = this;
    const channel = chooseChannel(this.deps.confirmMode, { form: confirmer.canAsk, app: false });
    if (typeof channel !== 'string') {
      await auditFleet(steps, 'confirmation_refused', target, { code: 'channel_unavailable' });
      return steps.fail(
        `This server ${channel.refused}, and putting a previous key back is confirmed only by a form (or a ` +
          'two-step token where the operator allows it), which this call cannot use: there is no panel button ' +
          'for it. Nothing was sent. Put the key back with `ipsec-psk restore` on the server machine, or from a ' +
          'client that shows forms where IPSEC_PSK_CONFIRM allows them.',
      );
    }
    const prepared = await prepareFleet(steps, target);
    if (!('tunnels' in prepared)) return prepared;
    const question = this.question(target, prepared.tunnels[0], previous.held, prepared.histories);
    const asked: Asked = { tunnels: prepared.tunnels, fingerprint: previous.held.fingerprint };
    if (channel === 'token' || confirmer.asksLater) {
      const kind = channel === 'token' ? 'token' : 'form';
      const issued = await steps.issueConsent(this.deps.tokens, kind, consentFor(target), asked);
      if ('error' in issued) return issued;
      await auditFleet(steps, 'confirmation_requested', target, { confirmed_by: kind });
      if (kind === 'form') {
        return { ask: { question, requestState: issued.token, expiresAt: issued.expiresAt } };
      }
      return {
        output: {
          ...fleetBase(steps.deps.sandbox, target, prepared.tunnels),
          status: 'confirmation_required',
          confirm_via: 'token',
          confirmation_token: issued.token,
          expires_at: issued.expiresAt.toISOString(),
        },
        text: restoreTokenInstructions(question, issued.token, issued.expiresAt),
      };
    }
    const answer = await askInPlace(steps, target, confirmer, question);
    if (typeof answer !== 'string') return answer;
    return this.answered(target, previous, prepared.tunnels, answer, confirmer.via ?? 'form', onProgress);
  }

  private question(
    target: FleetTarget,
    facts: FleetTunnelFacts | undefined,
    held: HeldKey,
    histories: FleetPrepared['histories'],
  ): string {
    const tunnelId = target.ids[0] ?? '';
    return restoreQuestion({
      accountId: target.accountId,
      tunnelId,
      name: facts?.name,
      lastGeneratedOn: facts?.lastGeneratedOn,
      previous: held,
      history: histories.get(tunnelId),
      prefix: this.steps.prefix(),
      now: this.steps.deps.now(),
    });
  }

  private async withToken(
    target: FleetTarget,
    previous: Previous,
    token: string,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const redeemed = await this.deps.tokens.redeem<Asked>(
      token,
      'token',
      consentFor(target),
      this.steps.principal,
    );
    if (typeof redeemed === 'string') {
      await auditFleet(this.steps, 'confirmation_refused', target, {
        code: `token_${redeemed}`,
        confirmed_by: 'token',
      });
      return this.steps.fail(tokenRefusalText(redeemed, 'restore_ipsec_psk', 'tunnel'));
    }
    return this.confirmed(target, previous, redeemed, 'accept', 'token', onProgress);
  }

  private async withReply(
    target: FleetTarget,
    previous: Previous,
    reply: FormReply,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const redeemed = await this.deps.tokens.redeem<Asked>(
      reply.requestState,
      'form',
      consentFor(target),
      this.steps.principal,
    );
    if (typeof redeemed === 'string') {
      await auditFleet(this.steps, 'confirmation_refused', target, {
        code: `form_${redeemed}`,
        confirmed_by: 'form',
      });
      return this.steps.fail(
        'The answer to the confirmation form does not belong to this question (it was already used, has ' +
          'expired, or was for another tunnel or another user); nothing was sent. Ask again.',
      );
    }
    return this.confirmed(target, previous, redeemed, reply.answer, 'form', onProgress);
  }

  /** A later answer: it counts only if the key to put back is still the one the user was shown. */
  private async confirmed(
    target: FleetTarget,
    previous: Previous,
    redeemed: { issuedAt: number; data: Asked | undefined },
    answer: ConfirmAnswer,
    via: 'token' | 'form',
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const tunnels = redeemed.data?.tunnels ?? [
      { id: target.ids[0] ?? '', name: undefined, lastGeneratedOn: undefined },
    ];
    if (answer === 'accept') {
      if (redeemed.data?.fingerprint !== previous.held.fingerprint) {
        await auditFleet(this.steps, 'confirmation_refused', target, {
          code: `${via}_superseded`,
          confirmed_by: via,
        });
        return this.steps.fail(
          `The key the user agreed to put back is no longer tunnel ${target.ids[0]}'s previous key (another ` +
            'rotation happened since they were asked), so nothing was sent. Ask them again.',
        );
      }
      const superseded = await this.deps.fleet.supersededSince(target, redeemed.issuedAt, via);
      if (superseded) return superseded;
    }
    return this.answered(target, previous, tunnels, answer, via, onProgress);
  }

  private async answered(
    target: FleetTarget,
    previous: Previous,
    tunnels: FleetTunnelFacts[],
    answer: ConfirmAnswer,
    via: AuditEntry['confirmed_by'],
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const { steps } = this;
    const tunnelId = target.ids[0] ?? '';
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await auditFleet(steps, status, target, { confirmed_by: via });
      return {
        output: { ...fleetBase(steps.deps.sandbox, target, tunnels), status },
        text: `${steps.prefix()}The user ${status} putting the previous key back. Nothing was sent; the current key stays.`,
      };
    }
    const given = new Map([[tunnelId, { psk: previous.key, restoreOf: previous.held.file }]]);
    const sent = await this.deps.fleet.send(target, tunnels, via, onProgress, given);
    if (!('output' in sent)) return sent;
    return {
      output: sent.output,
      text:
        `${steps.prefix()}Putting back the previous key of tunnel ${tunnelId} (${previous.held.fingerprint}, ` +
        `from ${previous.held.file}):\n${sent.text}`,
    };
  }
}
