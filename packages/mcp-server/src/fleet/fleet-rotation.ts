import {
  assertIdentifier,
  generatePsk,
  isPskError,
  neutralizeText,
  type PsksSet,
  quoteText,
} from '@ipsec-psk/core';
import type { AppConfirmations } from '../app-confirmations.js';
import type { AuditEntry } from '../audit-log.js';
import type { ConfirmMode } from '../config.js';
import { chooseChannel } from '../confirmation-channel.js';
import { type ConfirmationTokens, tokenRefusalText } from '../confirmation-tokens.js';
import { errorCode } from '../error-code.js';
import {
  attemptedSince,
  recordsOf,
  type TunnelHistory,
  tunnelHistory,
  unreadableHistory,
} from '../rotation-history.js';
import type { RotationSteps } from '../rotation-steps.js';
import { canonicalTime, formatTime, NAME_MAX_LENGTH } from '../rotation-text.js';
import type { ConfirmAnswer, Confirmer } from '../rotation-types.js';
import type { Release } from '../tunnel-lock.js';
import type { FleetOutput, FleetTunnel } from './fleet-output.js';
import {
  BATCH_SIZE,
  type FleetTunnelFacts,
  type OnProgress,
  type SendDeps,
  type SendOutcome,
  sendFleet,
} from './fleet-send.js';
import {
  fleetPanelHistory,
  fleetPanelInstructions,
  fleetQuestion,
  fleetResultText,
  fleetTokenInstructions,
} from './fleet-text.js';

/** The most tunnels one intent may name: a fleet, not an account-wide accident. */
export const FLEET_MAX = 1000;

/** The tool's arguments after schema validation. */
export interface FleetInput {
  account_id?: string | undefined;
  ipsec_tunnel_ids: readonly string[];
  validate_only?: boolean | undefined;
  confirmation_token?: string | undefined;
}

/** A result for the assistant, or a tool error with a safe message. */
export type FleetAnswer = { output: FleetOutput; text: string } | { error: string };

/** What a bulk rotation is about, checked. */
export interface FleetTarget {
  accountId: string;
  /** In the order asked, without repeats. */
  ids: string[];
}

/** What is known before the user is asked. */
export interface FleetPrepared {
  tunnels: FleetTunnelFacts[];
  histories: Map<string, TunnelHistory>;
}

/** What the bulk flow works with beyond the shared steps. */
export interface FleetDeps {
  steps: RotationSteps;
  tokens: ConfirmationTokens<FleetTunnelFacts[]>;
  /** The MCP App panel's confirmations; without them the panel is never offered (a terminal has none). */
  app?: AppConfirmations | undefined;
  confirmMode: ConfirmMode;
  defaultAccountId: string | undefined;
  /** Waits for Cloudflare's rate limit (tests inject one that does not wait). */
  sleep?: SendDeps['sleep'];
}

/** A token confirms exactly one account and one set of tunnels, in any order. */
const subject = (target: FleetTarget) => `fleet:${target.accountId}/${[...target.ids].sort().join(',')}`;

/**
 * rotate_ipsec_psks: validate every tunnel with one validate-only Set PSKs call, ask the user once, then make the
 * keys here, store them all, and set them (see `sendFleet`). Free of MCP types, so a terminal can drive it too.
 */
export class FleetRotation {
  private readonly steps: RotationSteps;

  constructor(private readonly deps: FleetDeps) {
    this.steps = deps.steps;
  }

  run(input: FleetInput, confirmer: Confirmer, onProgress?: OnProgress): Promise<FleetAnswer> {
    return this.steps.track(this.runOnce(input, confirmer, onProgress));
  }

  /** Checks the ids of a call; a failure is the answer. */
  resolve(accountId: string | undefined, ids: unknown): FleetTarget | { error: string } {
    if (accountId === undefined) {
      return this.steps.fail(
        'account_id is required: pass it, or have the operator set CLOUDFLARE_ACCOUNT_ID.',
      );
    }
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > FLEET_MAX) {
      return this.steps.fail(`ipsec_tunnel_ids must list 1 to ${FLEET_MAX} tunnel ids.`);
    }
    try {
      const checked = ids.map((id, index) => assertIdentifier(`ipsec_tunnel_ids[${index}]`, id));
      const repeated = checked.findIndex((id, index) => checked.indexOf(id) !== index);
      if (repeated >= 0) {
        return this.steps.fail(
          `ipsec_tunnel_ids[${repeated}] names a tunnel listed before; list each tunnel once.`,
        );
      }
      return { accountId: assertIdentifier('account_id', accountId), ids: checked };
    } catch (error) {
      return this.steps.fail(isPskError(error) ? error.message : 'Invalid input.');
    }
  }

  private async runOnce(
    input: FleetInput,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const target = this.resolve(input.account_id ?? this.deps.defaultAccountId, input.ipsec_tunnel_ids);
    if ('error' in target) return target;
    if (input.validate_only) {
      const prepared = await this.prepare(target);
      if ('error' in prepared) return prepared;
      return {
        output: { ...this.base(target, prepared.tunnels), status: 'validated' },
        text:
          `${this.steps.prefix()}Validated: Cloudflare would accept new keys for all ${target.ids.length} tunnels. ` +
          'Nothing was changed and nobody was asked.',
      };
    }
    const token = input.confirmation_token;
    return this.withLocks(target, () =>
      token === undefined
        ? this.confirmThenSend(target, confirmer, onProgress)
        : this.sendWithToken(target, token, onProgress),
    );
  }

  /** Holds every tunnel's lock (in a fixed order, so two fleets never wait on each other) or none. */
  async withLocks(target: FleetTarget, work: () => Promise<FleetAnswer>): Promise<FleetAnswer> {
    const releases: Release[] = [];
    try {
      for (const id of [...target.ids].sort()) {
        const release = await this.steps.acquire({ accountId: target.accountId, tunnelId: id });
        if (typeof release !== 'function') return release;
        releases.push(release);
      }
      return await work();
    } finally {
      await Promise.all(releases.map((release) => release()));
    }
  }

  /**
   * The tunnel list (names and key ages), one validate-only Set PSKs call for every tunnel and the audit history,
   * at once. The validation sends throwaway keys made the same way as the real ones: nothing is persisted.
   */
  async prepare(target: FleetTarget): Promise<{ error: string } | FleetPrepared> {
    const { client } = this.steps.deps;
    const [validation, listed, records] = await Promise.all([
      this.validate(target).then(
        (set) => ({ set }),
        (error: unknown) => ({ error }),
      ),
      client.listIpsecTunnels({ accountId: target.accountId }).catch(() => undefined),
      this.steps.records(),
    ]);
    if ('error' in validation) {
      const { error } = validation;
      await this.auditAll('validation_failed', target, { code: isPskError(error) ? error.code : 'internal' });
      return this.steps.fail(
        `Validation failed; nothing was changed and nobody was asked. ${isPskError(error) ? error.message : 'Unexpected error.'}`,
      );
    }
    const refused = [
      ...validation.set.unapplied.map(
        (u) => `- ${u.ipsecTunnelId}: Cloudflare said ${quoteText(u.reason, 200)}`,
      ),
      ...validation.set.unreported.map((id) => `- ${id}: Cloudflare's answer did not mention this tunnel`),
    ];
    if (refused.length > 0) {
      await this.auditAll('validation_failed', target, { code: 'not_applicable' });
      return this.steps.fail(
        `Validation failed for ${refused.length} of ${target.ids.length} tunnels; nothing was changed and nobody ` +
          `was asked. Leave them out, or fix them first:\n${refused.slice(0, 50).join('\n')}`,
      );
    }
    const byId = new Map(listed?.map((tunnel) => [tunnel.id, tunnel]));
    const tunnels = target.ids.map((id): FleetTunnelFacts => {
      const tunnel = byId.get(id);
      if (listed === undefined) return { id, name: undefined, lastGeneratedOn: undefined };
      return {
        id,
        name: tunnel?.name,
        lastGeneratedOn: tunnel ? (tunnel.lastGeneratedOn ?? null) : undefined,
      };
    });
    const now = this.steps.deps.now();
    const histories = new Map(
      target.ids.map((id) => [
        id,
        records ? tunnelHistory(records, target.accountId, id, now) : unreadableHistory(),
      ]),
    );
    return { tunnels, histories };
  }

  /**
   * Validate-only Set PSKs calls, batched as the real ones will be, all at once (they change nothing, so a failure
   * of one stops nothing else); what Cloudflare would not apply, merged.
   */
  private async validate(target: FleetTarget): Promise<Pick<PsksSet, 'unapplied' | 'unreported'>> {
    const batches: string[][] = [];
    for (let start = 0; start < target.ids.length; start += BATCH_SIZE)
      batches.push(target.ids.slice(start, start + BATCH_SIZE));
    const sets = await Promise.all(
      batches.map((ids) =>
        this.steps.deps.client.setIpsecPsks({
          accountId: target.accountId,
          psks: ids.map((id) => ({ ipsecTunnelId: id, psk: generatePsk() })),
          validateOnly: true,
        }),
      ),
    );
    return {
      unapplied: sets.flatMap((set) => set.unapplied),
      unreported: sets.flatMap((set) => set.unreported),
    };
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

  base(target: FleetTarget, tunnels: readonly FleetTunnelFacts[]): FleetOutput {
    return {
      status: 'validated',
      sandbox: this.steps.deps.sandbox,
      account_id: target.accountId,
      tunnels: tunnels.map((tunnel) => describe(tunnel)),
    };
  }

  private async confirmThenSend(
    target: FleetTarget,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const prepared = await this.prepare(target);
    if (!('tunnels' in prepared)) return prepared;
    // As for generate_ipsec_psk: a form first, then the panel, then the token, as the operator's mode allows.
    const { app } = this.deps;
    const channel = chooseChannel(this.deps.confirmMode, {
      form: confirmer.canAsk,
      app: app !== undefined && confirmer.canShowApp,
    });
    if (typeof channel !== 'string') {
      await this.auditAll('confirmation_refused', target, { code: 'channel_unavailable' });
      return this.steps.fail(
        `This server ${channel.refused}, and this client offers none of it for several tunnels at once. Nothing ` +
          'was sent. Use a client that can show the user a confirmation form or an MCP App panel.',
      );
    }
    if (channel === 'app' && app) return this.issuePanel(app, target, prepared);
    if (channel === 'token') {
      const { token, expiresAt } = this.deps.tokens.issue(subject(target), prepared.tunnels);
      await this.auditAll('confirmation_requested', target, { confirmed_by: 'token' });
      return {
        output: {
          ...this.base(target, prepared.tunnels),
          status: 'confirmation_required',
          confirm_via: 'token',
          confirmation_token: token,
          expires_at: expiresAt.toISOString(),
        },
        text: fleetTokenInstructions(this.question(target, prepared), token, expiresAt),
      };
    }
    let answer: ConfirmAnswer;
    try {
      answer = await confirmer.ask(this.question(target, prepared));
    } catch (error) {
      await this.auditAll('confirmation_refused', target, {
        code: 'elicitation_failed',
        confirmed_by: confirmer.via ?? 'form',
      });
      return this.steps.fail(
        `The confirmation could not be completed (${(error as { name?: string }).name ?? 'error'}); nothing was sent.`,
      );
    }
    if (answer !== 'accept') {
      const status = answer === 'decline' ? 'declined' : 'cancelled';
      await this.auditAll(status, target, { confirmed_by: confirmer.via ?? 'form' });
      return {
        output: { ...this.base(target, prepared.tunnels), status },
        text: `${this.steps.prefix()}The user ${status} the rotation of ${target.ids.length} tunnels. Nothing was sent; every current key still works.`,
      };
    }
    return this.send(target, prepared.tunnels, confirmer.via ?? 'form', onProgress);
  }

  /**
   * The MCP App's panel asks the user; only a click there confirms. The model gets the confirmation's id, which
   * confirms nothing (see AppConfirmations); the click comes back through AppFlow.
   */
  private async issuePanel(
    app: AppConfirmations,
    target: FleetTarget,
    prepared: FleetPrepared,
  ): Promise<FleetAnswer> {
    const { id, expiresAt } = app.issueFleet(target.accountId, prepared.tunnels);
    await this.auditAll('confirmation_requested', target, { confirmed_by: 'app' });
    const output: FleetOutput = {
      ...this.base(target, prepared.tunnels),
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
    };
  }

  /** The user's Cancel in the panel (see AppFlow): a decline recorded for every tunnel; nothing is sent. */
  async declinedInPanel(target: FleetTarget, tunnels: readonly FleetTunnelFacts[]): Promise<FleetAnswer> {
    await this.auditAll('declined', target, { confirmed_by: 'app' });
    return {
      output: { ...this.base(target, tunnels), status: 'declined' },
      text: `${this.steps.prefix()}The user declined the rotation of ${target.ids.length} tunnels in the panel. Nothing was sent; every current key still works.`,
    };
  }

  private async sendWithToken(
    target: FleetTarget,
    token: string,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const redeemed = this.deps.tokens.redeem(token, subject(target));
    if (typeof redeemed === 'string') {
      await this.auditAll('confirmation_refused', target, {
        code: `token_${redeemed}`,
        confirmed_by: 'token',
      });
      return this.steps.fail(tokenRefusalText(redeemed, 'rotate_ipsec_psks', 'account or set of tunnels'));
    }
    const superseded = await this.supersededSince(target, redeemed.issuedAt, 'token');
    if (superseded) return superseded;
    return this.send(target, redeemed.data, 'token', onProgress);
  }

  /**
   * An answer given after another rotation of one of the tunnels was sent answers a question about a dead key.
   * Checked under the tunnels' locks, once the confirmation (a token, or the panel's click) is spent.
   */
  async supersededSince(
    target: FleetTarget,
    askedAt: number,
    channel: 'token' | 'app',
  ): Promise<FleetAnswer | undefined> {
    const records = (await this.steps.records()) ?? [];
    for (const id of target.ids) {
      const since = attemptedSince(recordsOf(records, target.accountId, id), askedAt);
      if (!since) continue;
      await this.auditAll('confirmation_refused', target, {
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
  ): Promise<FleetAnswer> {
    const { deps } = this.steps;
    const outcomes = await sendFleet(
      { ...deps, sleep: this.deps.sleep },
      target.accountId,
      tunnels,
      confirmedBy,
      onProgress,
    );
    if ('error' in outcomes) return this.steps.fail(outcomes.error);
    const count = (result: SendOutcome['result']) => outcomes.filter((o) => o.result === result).length;
    const output: FleetOutput = {
      ...this.base(target, []),
      status: count('unknown') > 0 ? 'outcome_unknown' : 'completed',
      tunnels: outcomes.map((outcome) => describe(outcome.tunnel, outcome, deps.reveal)),
      applied: count('applied'),
      not_applied: count('not_applied'),
      unknown: count('unknown'),
      not_sent: count('not_sent'),
    };
    return { output, text: fleetResultText(this.steps.prefix(), outcomes, deps.reveal) };
  }

  private async auditAll(
    event: 'confirmation_refused' | 'confirmation_requested' | 'declined' | 'cancelled' | 'validation_failed',
    target: FleetTarget,
    extra: { code?: string; confirmed_by?: AuditEntry['confirmed_by'] },
  ): Promise<void> {
    try {
      await this.steps.deps.audit.appendAll(
        target.ids.map((id) => this.steps.entry(event, { accountId: target.accountId, tunnelId: id }, extra)),
      );
    } catch (error) {
      this.steps.deps.logger.warn(`could not append to the audit log (${errorCode(error)})`);
    }
  }
}

/** One tunnel as the result shows it: API text neutralised, times canonical, the key only when revealed. */
function describe(tunnel: FleetTunnelFacts, outcome?: SendOutcome, reveal = false): FleetTunnel {
  const entry: FleetTunnel = { ipsec_tunnel_id: tunnel.id };
  const name = neutralizeText(tunnel.name, NAME_MAX_LENGTH);
  if (name) entry.tunnel_name = name;
  const generated = canonicalTime(outcome?.lastGeneratedOn ?? tunnel.lastGeneratedOn);
  if (generated) entry.last_generated_on = generated;
  if (!outcome) return entry;
  entry.result = outcome.result;
  if (outcome.file) entry.psk_file = outcome.file;
  if (outcome.fingerprint) entry.psk_fingerprint = outcome.fingerprint;
  if (outcome.reason) entry.reason = neutralizeText(outcome.reason, 500);
  if (outcome.rotated) entry.rotated = outcome.rotated;
  if (reveal && outcome.result === 'applied' && outcome.psk) entry.psk = outcome.psk.reveal();
  return entry;
}
