import {
  assertIdentifier,
  generatePsk,
  type IpsecTunnelDetails,
  isPskError,
  type PsksSet,
  quoteText,
} from '@ipsec-psk/core';
import pMap from 'p-map';
import { deliveryDetails } from '../delivery/tunnel-details.js';
import type { RotationSteps } from '../one/steps.js';
import type { FleetOutput } from '../output.js';
import type { AuditEntry } from '../store/audit-log.js';
import { describeFsError } from '../store/key-directory.js';
import {
  historyOf,
  recordsByTunnel,
  type TunnelHistory,
  unreadableHistory,
} from '../store/rotation-history.js';
import type { Answered, AskLater, ConfirmAnswer, Confirmer, FleetTunnelFacts, FormReply } from '../types.js';
import { BATCH_SIZE } from './fleet-send.js';

/** Validate-only requests out at once: they change nothing, but share the account's rate limit. */
const VALIDATE_CONCURRENCY = 8;

// What a fleet rotation does before anyone is asked: the ids checked, then one round trip that validates every
// tunnel, lists them (names, key ages) and reads the audit history.

/**
 * The most tunnels one intent may name. Not a fleet-size policy: an MCP request naming this many ids is about
 * 700 KB (inside the HTTP mode's 1 MiB body limit), and a result of this many tunnels stays a few megabytes.
 */
export const FLEET_MAX = 20_000;

/** The tool's arguments after schema validation. */
export interface FleetInput {
  account_id?: string | undefined;
  ipsec_tunnel_ids: readonly string[];
  validate_only?: boolean | undefined;
  confirmation_token?: string | undefined;
  /** The user's answer to a form the flow returned earlier (`ask`), with the state that came with it. */
  reply?: FormReply | undefined;
  /** The account's tunnels as the caller read them just before (a command line that chose tunnels by name or
   * key age): used instead of reading the list again. */
  known?: KnownTunnels | undefined;
}

/** The account's tunnels as read, and when the read started (ms since the epoch). */
export interface KnownTunnels {
  tunnels: readonly IpsecTunnelDetails[];
  readAt: number;
}

/** A result for the assistant, a question to carry back to the user, or a tool error with a safe message. */
export type FleetAnswer = Answered<FleetOutput> | { ask: AskLater } | { error: string };

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

/** Checks the ids of a call; a failure is the answer. */
export function resolveFleet(
  steps: RotationSteps,
  accountId: string | undefined,
  ids: unknown,
): FleetTarget | { error: string } {
  if (accountId === undefined) {
    return steps.fail('account_id is required: pass it, or have the operator set CLOUDFLARE_ACCOUNT_ID.');
  }
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > FLEET_MAX) {
    return steps.fail(`ipsec_tunnel_ids must list 1 to ${FLEET_MAX} tunnel ids.`);
  }
  try {
    const checked = ids.map((id, index) => assertIdentifier(`ipsec_tunnel_ids[${index}]`, id));
    const repeated = checked.findIndex((id, index) => checked.indexOf(id) !== index);
    if (repeated >= 0) {
      return steps.fail(`ipsec_tunnel_ids[${repeated}] names a tunnel listed before; list each tunnel once.`);
    }
    return { accountId: assertIdentifier('account_id', accountId), ids: checked };
  } catch (error) {
    return steps.fail(isPskError(error) ? error.message : 'Invalid input.');
  }
}

/**
 * The tunnel list (names and key ages), one validate-only Set PSKs call for every tunnel and the audit history,
 * at once. The validation sends throwaway keys made the same way as the real ones: nothing is persisted.
 */
export async function prepareFleet(
  steps: RotationSteps,
  target: FleetTarget,
  known?: KnownTunnels,
): Promise<{ error: string } | FleetPrepared> {
  const { client } = steps.deps;
  const [validation, listed, records] = await Promise.all([
    validateFleet(steps, target).then(
      (set) => ({ set }),
      (error: unknown) => ({ error }),
    ),
    known?.tunnels ?? client.listIpsecTunnels({ accountId: target.accountId }).catch(() => undefined),
    steps.records(),
  ]);
  if ('error' in validation) {
    const { error } = validation;
    await auditFleet(steps, 'validation_failed', target, {
      code: isPskError(error) ? error.code : 'internal',
    });
    return steps.fail(
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
    await auditFleet(steps, 'validation_failed', target, { code: 'not_applicable' });
    return steps.fail(
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
      ...(tunnel && steps.deps.delivery ? { details: deliveryDetails(tunnel) } : {}),
    };
  });
  const now = steps.deps.now();
  const byTunnel = records && recordsByTunnel(records, target.accountId);
  const histories = new Map(
    target.ids.map((id) => [id, byTunnel ? historyOf(byTunnel.get(id) ?? [], now) : unreadableHistory()]),
  );
  return { tunnels, histories };
}

/**
 * Validate-only Set PSKs calls, batched as the real ones will be, all at once (they change nothing, so a failure
 * of one stops nothing else); what Cloudflare would not apply, merged.
 */
async function validateFleet(
  steps: RotationSteps,
  target: FleetTarget,
): Promise<Pick<PsksSet, 'unapplied' | 'unreported'>> {
  const batches: string[][] = [];
  for (let start = 0; start < target.ids.length; start += BATCH_SIZE)
    batches.push(target.ids.slice(start, start + BATCH_SIZE));
  const sets = await pMap(
    batches,
    (ids) =>
      steps.deps.client.setIpsecPsks({
        accountId: target.accountId,
        psks: ids.map((id) => ({ ipsecTunnelId: id, psk: generatePsk() })),
        validateOnly: true,
      }),
    { concurrency: VALIDATE_CONCURRENCY },
  );
  // Their answers say what is left of the rate limit before the first key goes out.
  for (const set of sets) steps.deps.rate.observe(set.rateLimit);
  return {
    unapplied: sets.flatMap((set) => set.unapplied),
    unreported: sets.flatMap((set) => set.unreported),
  };
}

/** One audit line per tunnel of the fleet, in one write; a failure is logged, not fatal. */
export async function auditFleet(
  steps: RotationSteps,
  event: 'confirmation_refused' | 'confirmation_requested' | 'declined' | 'cancelled' | 'validation_failed',
  target: FleetTarget,
  extra: { code?: string; confirmed_by?: AuditEntry['confirmed_by'] },
): Promise<void> {
  try {
    await steps.deps.audit.appendAll(
      target.ids.map((id) => steps.entry(event, { accountId: target.accountId, tunnelId: id }, extra)),
    );
  } catch (error) {
    steps.deps.logger.warn(`could not append to the audit log: ${describeFsError(error)}`);
  }
}

/** Asks the user with the client's form, in place; a client that fails to ask is a refusal, recorded. */
export async function askInPlace(
  steps: RotationSteps,
  target: FleetTarget,
  confirmer: Confirmer,
  question: string,
): Promise<ConfirmAnswer | { error: string }> {
  try {
    return await confirmer.ask(question);
  } catch (error) {
    await auditFleet(steps, 'confirmation_refused', target, {
      code: 'elicitation_failed',
      confirmed_by: confirmer.via ?? 'form',
    });
    return steps.fail(
      `The confirmation could not be completed (${(error as { name?: string }).name ?? 'error'}); nothing was sent.`,
    );
  }
}
