import pMap from 'p-map';
import { type ConfirmedBy, type ConfirmMode, chooseChannel } from '../confirm/channel.js';
import { type ConsentRequest, type ConsentTokens, tokenRefusalText } from '../confirm/consent-tokens.js';
import type { PanelConfirmations } from '../confirm/panel-confirmations.js';
import type { RotationSteps } from '../one/steps.js';
import type { FleetOutput } from '../output.js';
import type { AuditEntry } from '../store/audit-log.js';
import { attemptedSince, recordsByTunnel } from '../store/rotation-history.js';
import type { Release } from '../store/tunnel-lock.js';
import {
  fleetPanelHistory,
  fleetPanelInstructions,
  fleetQuestion,
  fleetResultText,
  fleetTokenInstructions,
} from '../text/fleet-text.js';
import { formatTime } from '../text/rotation-text.js';
import type { ConfirmAnswer, Confirmer, FleetTunnelFacts, FormReply } from '../types.js';
import { deliverFleet, fleetHealth } from './fleet-delivery.js';
import {
  askInPlace,
  auditFleet,
  type FleetAnswer,
  type FleetInput,
  type FleetPrepared,
  type FleetTarget,
  type KnownTunnels,
  prepareFleet,
  resolveFleet,
} from './fleet-prepare.js';
import { fleetBase, fleetOutcomeOutput } from './fleet-result.js';
import { type GivenKey, type OnProgress, type SendDeps, sendFleet } from './fleet-send.js';

export { FLEET_MAX, type FleetAnswer, type FleetInput, type FleetTarget } from './fleet-prepare.js';

/** What the bulk flow works with beyond the shared steps. */
export interface FleetDeps {
  steps: RotationSteps;
  tokens: ConsentTokens;
  /** The MCP App panel's confirmations; without them the panel is never offered. */
  panels?: PanelConfirmations | undefined;
  confirmMode: ConfirmMode;
  defaultAccountId: string | undefined;
  /** Waits for Cloudflare's rate limit (tests inject one that does not wait). */
  sleep?: SendDeps['sleep'];
}

type Prepared = FleetPrepared | { error: string };

/** Locks taken or released at once: the file system's round trips overlap, without a thousand open at a time. */
const LOCK_CONCURRENCY = 32;

/** A confirmation confirms exactly one account and one set of tunnels, in any order. */
const consentFor = (target: FleetTarget): ConsentRequest => ({
  action: 'fleet',
  accountId: target.accountId,
  tunnelIds: target.ids,
});

/**
 * rotate_ipsec_psks: validate every tunnel with one validate-only Set PSKs call, ask the user once, then make the
 * keys here, store them all, and set them (see `sendFleet`).
 */
export class FleetRotation {
  private readonly steps: RotationSteps;

  constructor(private readonly deps: FleetDeps) {
    this.steps = deps.steps;
  }

  run(input: FleetInput, confirmer: Confirmer, onProgress?: OnProgress): Promise<FleetAnswer> {
    return this.steps.track(this.runOnce(input, confirmer, onProgress));
  }

  private async runOnce(
    input: FleetInput,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const target = resolveFleet(
      this.steps,
      input.account_id ?? this.deps.defaultAccountId,
      input.ipsec_tunnel_ids,
    );
    if ('error' in target) return target;
    if (input.validate_only) {
      const prepared = await prepareFleet(this.steps, target);
      if ('error' in prepared) return prepared;
      return {
        output: { ...fleetBase(this.steps.deps.sandbox, target, prepared.tunnels), status: 'validated' },
        text:
          `${this.steps.prefix()}Validated: Cloudflare would accept new keys for all ${target.ids.length} tunnels. ` +
          'Nothing was changed and nobody was asked.',
      };
    }
    const { confirmation_token: token, reply } = input;
    // A question's facts (the list, the validation) are read while the locks are taken: both are round trips,
    // and neither changes anything. What another rotation did meanwhile is caught under the locks (`settled`).
    const early = reply || token !== undefined ? undefined : this.prepareEarly(target, input.known);
    return this.withLocks(target, async () => {
      if (reply) return this.sendWithReply(target, reply, onProgress);
      if (token !== undefined) return this.sendWithToken(target, token, onProgress);
      const prepared = early ? await this.settled(target, early) : await prepareFleet(this.steps, target);
      return this.confirmThenSend(target, prepared, confirmer, onProgress);
    });
  }

  private prepareEarly(
    target: FleetTarget,
    known: KnownTunnels | undefined,
  ): { startedAt: number; result: Promise<Prepared> } {
    const startedAt = known?.readAt ?? this.steps.deps.now().getTime();
    const result = prepareFleet(this.steps, target, known).catch(() =>
      this.steps.fail(
        'The tunnels could not be read and validated; nothing was changed and nobody was asked.',
      ),
    );
    return { startedAt, result };
  }

  /** The early facts, unless a rotation of one of the tunnels was attempted since they were read: then again. */
  private async settled(target: FleetTarget, early: { startedAt: number; result: Promise<Prepared> }) {
    const prepared = await early.result;
    const byTunnel = recordsByTunnel((await this.steps.records()) ?? [], target.accountId);
    const moved = target.ids.some((id) => attemptedSince(byTunnel.get(id) ?? [], early.startedAt));
    return moved ? prepareFleet(this.steps, target) : prepared;
  }

  /**
   * Holds every tunnel's lock, or none. Locks are taken without waiting (a held one fails the whole set at once), so
   * taking many in parallel cannot deadlock two fleets; what was taken is released before answering.
   */
  async withLocks(target: FleetTarget, work: () => Promise<FleetAnswer>): Promise<FleetAnswer> {
    const releases: Release[] = [];
    let refused: { error: string } | undefined;
    // The account's folder is made or checked once; each tunnel's lock then costs its own folder and lock only.
    const accountDir = await this.steps.deps.store.directory.ensure(target.accountId).catch(() => undefined);
    try {
      await pMap(
        target.ids,
        async (id) => {
          if (refused) return;
          const release = await this.steps.acquire({ accountId: target.accountId, tunnelId: id }, accountDir);
          if (typeof release === 'function') releases.push(release);
          else refused ??= release;
        },
        { concurrency: LOCK_CONCURRENCY },
      );
      if (refused) return refused;
      return await work();
    } finally {
      await pMap(releases, (release) => release(), { concurrency: LOCK_CONCURRENCY });
    }
  }

  question(target: FleetTarget, prepared: FleetPrepared): string {
    return fleetQuestion({
      accountId: target.accountId,
      tunnels: prepared.tunnels,
      histories: prepared.histories,
      prefix: this.steps.prefix(),
      now: this.steps.deps.now(),
    });
  }

  private async confirmThenSend(
    target: FleetTarget,
    prepared: Prepared,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    if (!('tunnels' in prepared)) return prepared;
    // As for generate_ipsec_psk: a form first, then the panel, then the token, as the operator's mode allows.
    const { panels } = this.deps;
    const channel = chooseChannel(this.deps.confirmMode, {
      form: confirmer.canAsk,
      app: panels !== undefined && confirmer.canShowApp,
    });
    if (typeof channel !== 'string') {
      await auditFleet(this.steps, 'confirmation_refused', target, { code: 'channel_unavailable' });
      return this.steps.fail(
        `This server ${channel.refused}, and this client offers none of it for several tunnels at once. Nothing ` +
          'was sent. Use a client that can show the user a confirmation form or an MCP App panel.',
      );
    }
    if (channel === 'app' && panels) return this.issuePanel(panels, target, prepared);
    if (channel === 'form' && confirmer.asksLater) return this.askLater(target, prepared);
    if (channel === 'token') {
      const issued = await this.steps.issueConsent(
        this.deps.tokens,
        'token',
        consentFor(target),
        prepared.tunnels,
      );
      if ('error' in issued) return issued;
      const { token, expiresAt } = issued;
      await auditFleet(this.steps, 'confirmation_requested', target, { confirmed_by: 'token' });
      return {
        output: {
          ...fleetBase(this.steps.deps.sandbox, target, prepared.tunnels),
          status: 'confirmation_required',
          confirm_via: 'token',
          confirmation_token: token,
          expires_at: expiresAt.toISOString(),
        },
        text: fleetTokenInstructions(this.question(target, prepared), token, expiresAt),
      };
    }
    const answer = await askInPlace(this.steps, target, confirmer, this.question(target, prepared));
    if (typeof answer !== 'string') return answer;
    return this.answered(target, prepared.tunnels, answer, confirmer.via ?? 'form', onProgress);
  }

  /** After the user's answer to a form: send on accept; otherwise nothing is sent and no key is made. */
  private async answered(
    target: FleetTarget,
    tunnels: readonly FleetTunnelFacts[],
    answer: ConfirmAnswer,
    via: ConfirmedBy,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await auditFleet(this.steps, status, target, { confirmed_by: via });
      return {
        output: { ...fleetBase(this.steps.deps.sandbox, target, tunnels), status },
        text: `${this.steps.prefix()}The user ${status} the rotation of ${target.ids.length} tunnels. Nothing was sent; every current key still works.`,
      };
    }
    return this.send(target, tunnels, via, onProgress);
  }

  /** The form travels in the result (MCP 2026-07-28): the client asks the user and calls again with the answer. */
  private async askLater(target: FleetTarget, prepared: FleetPrepared): Promise<FleetAnswer> {
    const issued = await this.steps.issueConsent(
      this.deps.tokens,
      'form',
      consentFor(target),
      prepared.tunnels,
    );
    if ('error' in issued) return issued;
    await auditFleet(this.steps, 'confirmation_requested', target, { confirmed_by: 'form' });
    return {
      ask: {
        question: this.question(target, prepared),
        requestState: issued.token,
        expiresAt: issued.expiresAt,
      },
    };
  }

  private async sendWithReply(
    target: FleetTarget,
    reply: FormReply,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const redeemed = await this.deps.tokens.redeem<FleetTunnelFacts[]>(
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
          'expired, or was for other tunnels or another user); nothing was sent. Ask again.',
      );
    }
    const tunnels = redeemed.data ?? unknownFacts(target);
    if (reply.answer === 'accept') {
      const superseded = await this.supersededSince(target, redeemed.issuedAt, 'form');
      if (superseded) return superseded;
    }
    return this.answered(target, tunnels, reply.answer, 'form', onProgress);
  }

  /**
   * The MCP App's panel asks the user; only a click there confirms. The model gets the confirmation's id, which
   * confirms nothing (see PanelConfirmations); the click comes back through PanelFlow.
   */
  private async issuePanel(
    panels: PanelConfirmations,
    target: FleetTarget,
    prepared: FleetPrepared,
  ): Promise<FleetAnswer> {
    let issued: Awaited<ReturnType<PanelConfirmations['issueFleet']>>;
    try {
      issued = await panels.issueFleet(target.accountId, prepared.tunnels, this.steps.principal);
    } catch (error) {
      return this.steps.consentFailed(error);
    }
    const { id, expiresAt } = issued;
    await auditFleet(this.steps, 'confirmation_requested', target, { confirmed_by: 'app' });
    const output: FleetOutput = {
      ...fleetBase(this.steps.deps.sandbox, target, prepared.tunnels),
      status: 'confirmation_required',
      confirm_via: 'app',
      confirmation_id: id,
      expires_at: expiresAt.toISOString(),
    };
    const history = fleetPanelHistory(prepared.tunnels, prepared.histories, this.steps.deps.now());
    if (history.length > 0) output.history = history;
    return {
      output,
      text: fleetPanelInstructions(this.question(target, prepared), target.ids.length, expiresAt),
      viewOnly: { panel_secret: issued.secret },
    };
  }

  /** The user's Cancel in the panel (see PanelFlow): a decline recorded for every tunnel; nothing is sent. */
  async declinedInPanel(target: FleetTarget, tunnels: readonly FleetTunnelFacts[]): Promise<FleetAnswer> {
    await auditFleet(this.steps, 'declined', target, { confirmed_by: 'app' });
    return {
      output: { ...fleetBase(this.steps.deps.sandbox, target, tunnels), status: 'declined' },
      text: `${this.steps.prefix()}The user declined the rotation of ${target.ids.length} tunnels in the panel. Nothing was sent; every current key still works.`,
    };
  }

  private async sendWithToken(
    target: FleetTarget,
    token: string,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const redeemed = await this.deps.tokens.redeem<FleetTunnelFacts[]>(
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
      return this.steps.fail(tokenRefusalText(redeemed, 'rotate_ipsec_psks', 'account or set of tunnels'));
    }
    const superseded = await this.supersededSince(target, redeemed.issuedAt, 'token');
    if (superseded) return superseded;
    return this.send(target, redeemed.data ?? unknownFacts(target), 'token', onProgress);
  }

  /**
   * An answer given after another rotation of one of the tunnels was sent answers a question about a dead key.
   * Checked under the tunnels' locks, once the confirmation (a token, or the panel's click) is spent.
   */
  async supersededSince(
    target: FleetTarget,
    askedAt: number,
    channel: 'token' | 'app' | 'form',
  ): Promise<FleetAnswer | undefined> {
    const byTunnel = recordsByTunnel((await this.steps.records()) ?? [], target.accountId);
    for (const id of target.ids) {
      const since = attemptedSince(byTunnel.get(id) ?? [], askedAt);
      if (!since) continue;
      await auditFleet(this.steps, 'confirmation_refused', target, {
        code: `${channel}_superseded`,
        confirmed_by: channel,
      });
      return this.steps.fail(
        `Tunnel ${id} was rotated at ${formatTime(since.time)}, after the user was asked: the answer no longer ` +
          'matches what they saw, so nothing was sent. Call rotate_ipsec_psks again to ask them again.',
      );
    }
    return undefined;
  }

  async send(
    target: FleetTarget,
    tunnels: readonly FleetTunnelFacts[],
    confirmedBy: AuditEntry['confirmed_by'],
    onProgress?: OnProgress,
    given?: ReadonlyMap<string, GivenKey>,
  ): Promise<FleetAnswer> {
    const { deps } = this.steps;
    const outcomes = await sendFleet(
      { ...deps, sleep: this.deps.sleep },
      target.accountId,
      tunnels,
      confirmedBy,
      onProgress,
      given,
    );
    if ('error' in outcomes) return this.steps.fail(outcomes.error);
    // Under the tunnels' locks, after every key and outcome line is on disk; each delivery is bounded.
    const deliveries = deps.delivery && (await deliverFleet(deps.delivery, target.accountId, outcomes));
    const health =
      deliveries && (await fleetHealth(deps, target.accountId, outcomes, deliveries, onProgress));
    const after = { deliveries, health };
    const output = fleetOutcomeOutput(deps.sandbox, target, outcomes, deps.reveal, after);
    return { output, text: fleetResultText(this.steps.prefix(), outcomes, deps.reveal, after) };
  }
}

/** The tunnels as nobody knows them (their confirmation's record was lost): checking back then says "unknown". */
const unknownFacts = (target: FleetTarget): FleetTunnelFacts[] =>
  target.ids.map((id) => ({ id, name: undefined, lastGeneratedOn: undefined }));
