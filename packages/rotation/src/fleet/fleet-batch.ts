import { setTimeout as delay } from 'node:timers/promises';
import { isPskError, type PsksSet, type RateLimitState, type Secret } from '@ipsec-psk/core';
import type { StepsDeps } from '../one/steps.js';
import type { Rotated, TunnelResult } from '../output.js';
import { MAX_RATE_LIMIT_WAIT_S, type RateGate } from '../rate-gate.js';
import type { FleetTunnelFacts } from '../types.js';
import type { PreparedKey } from './fleet-keys.js';

// One Set PSKs request of a fleet, and what each of its tunnels came to. Requests are repeated only with the same
// keys: core retries transient failures, and a rate limit is waited out, bounded.

/** How many times one batch waits for the rate limit. */
const MAX_RATE_LIMIT_WAITS = 3;

/** What became of one tunnel's new key. */
export interface SendOutcome {
  tunnel: FleetTunnelFacts;
  result: TunnelResult;
  /** The stored key's file (marked `.not-applied` when the key is not in force). */
  file?: string | undefined;
  fingerprint?: string | undefined;
  psk?: Secret | undefined;
  /** Why not applied or not sent: Cloudflare's reason (neutralised) or our own words. */
  reason?: string | undefined;
  /** For `unknown`: what checking back showed. */
  rotated?: Rotated | undefined;
  /** The key age Cloudflare reported with the outcome. */
  lastGeneratedOn?: string | undefined;
  /** Cloudflare's IKE identifier of the tunnel, when it applied the key and said. */
  ipsecId?: string | undefined;
  /** For a restore: the file of the earlier key that was sent again. */
  restoreOf?: string | undefined;
}

/** A tunnel of the fleet, its key once stored, when its request left, and its outcome so far. */
export interface Tracked {
  tunnel: FleetTunnelFacts;
  key: PreparedKey | undefined;
  sentAt: number | undefined;
  outcome: SendOutcome;
}

export type BatchOutcome = { set: PsksSet; sentAt: number } | { failed: unknown; sentAt: number };

/** Sends one batch's stored keys, waiting out a rate limit a few times. */
export async function sendBatch(
  deps: Pick<StepsDeps, 'client' | 'now'> & { sleep?: ((ms: number) => Promise<void>) | undefined },
  gate: RateGate,
  accountId: string,
  keys: readonly PreparedKey[],
  waiting: (message: string) => void,
): Promise<BatchOutcome> {
  const psks = keys.map((key) => ({ ipsecTunnelId: key.tunnel.id, psk: key.psk }));
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  await gate.before(waiting);
  let sentAt = deps.now().getTime();
  let answered: RateLimitState | undefined;
  try {
    for (let waits = 0; ; waits++) {
      try {
        // No abort signal on purpose: once sent, cancelling cannot unsend it. Core repeats the same keys on
        // transient failures, which is safe: they are stored.
        const set = await deps.client.setIpsecPsks({ accountId, psks });
        answered = set.rateLimit;
        return { set, sentAt };
      } catch (error) {
        const wait =
          isPskError(error) && error.code === 'rate_limited' ? (error.retryAfterSeconds ?? 60) : undefined;
        if (wait === undefined || wait > MAX_RATE_LIMIT_WAIT_S || waits >= MAX_RATE_LIMIT_WAITS) {
          return { failed: error, sentAt };
        }
        waiting(`Cloudflare's rate limit: waiting ${wait} s before sending the same keys again.`);
        await sleep(wait * 1000);
        sentAt = deps.now().getTime();
      }
    }
  } finally {
    gate.after(answered);
  }
}

/** A failed request: its tunnels were not sent (Cloudflare refused before acting), or their outcome is unknown. */
export function classifyFailure(batch: readonly Tracked[], error: unknown): void {
  const executed = isPskError(error) && error.outcome === 'not_executed';
  const reason = isPskError(error) ? error.message : 'Unexpected error.';
  for (const entry of batch) {
    entry.outcome = executed
      ? { ...entry.outcome, result: 'not_sent', reason }
      : { ...entry.outcome, result: 'unknown', reason };
  }
}

export function classifySet(deps: Pick<StepsDeps, 'logger'>, batch: readonly Tracked[], set: PsksSet): void {
  const applied = new Map(set.applied.map((entry) => [entry.ipsecTunnelId, entry]));
  const unapplied = new Map(set.unapplied.map((entry) => [entry.ipsecTunnelId, entry]));
  for (const entry of batch) {
    const id = entry.tunnel.id;
    const done = applied.get(id);
    const refused = unapplied.get(id);
    if (done) {
      entry.outcome = {
        ...entry.outcome,
        result: 'applied',
        reason: undefined,
        psk: done.psk,
        lastGeneratedOn: done.lastGeneratedOn,
        ipsecId: done.ipsecId,
      };
      if (!done.echoMatches) {
        deps.logger.warn(`Cloudflare applied a different key than the one sent to tunnel ${id}; storing it`);
      }
    } else if (refused) {
      entry.outcome = { ...entry.outcome, result: 'not_applied', reason: refused.reason };
    } else {
      entry.outcome = {
        ...entry.outcome,
        result: 'unknown',
        reason: 'Cloudflare’s answer did not mention this tunnel.',
      };
    }
  }
}
