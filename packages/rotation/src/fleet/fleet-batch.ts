import { setTimeout as delay } from 'node:timers/promises';
import { isPskError, type PsksSet, type RateLimitState, type Secret } from '@ipsec-psk/core';
import type { StepsDeps } from '../one/steps.js';
import type { Rotated, TunnelResult } from '../output.js';
import type { FleetTunnelFacts } from '../types.js';
import type { PreparedKey } from './fleet-keys.js';

// One Set PSKs request of a fleet, and what each of its tunnels came to. Requests are repeated only with the same
// keys: core retries transient failures, and a rate limit is waited out, bounded.

/** How long a rate-limited batch may wait for Cloudflare's Retry-After before the rest is left unsent. */
const MAX_RATE_LIMIT_WAIT_S = 300;
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

/**
 * Keeps a fleet's requests inside Cloudflare's rate limit: its answers say what is left (`Ratelimit`), and when
 * less is left than requests are about to go out, the next one waits for the window to reset (bounded), instead of
 * running into 429s.
 */
export class RateGate {
  // One per Cloudflare client: the limit is the API token's, shared by every fleet of the process.
  private remaining: number | undefined;
  private resetAt: number | undefined;
  private inFlight = 0;

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Waits when what Cloudflare reported as left is spent by the requests already out. */
  async before(waiting: (message: string) => void): Promise<void> {
    if (this.remaining !== undefined && this.remaining <= this.inFlight && this.resetAt !== undefined) {
      const waitMs = Math.min(this.resetAt - this.now(), MAX_RATE_LIMIT_WAIT_S * 1000);
      if (waitMs > 0) {
        waiting(
          `Cloudflare's rate limit is nearly spent: waiting ${Math.ceil(waitMs / 1000)} s before sending.`,
        );
        await this.sleep(waitMs);
      }
      this.remaining = undefined;
    }
    this.inFlight += 1;
  }

  /** A request of ours came back (with what Cloudflare said is left, if it did). */
  after(state: RateLimitState | undefined): void {
    this.inFlight -= 1;
    this.observe(state);
  }

  /** What any answer said is left (the validations', before the first key is sent). */
  observe(state: RateLimitState | undefined): void {
    if (!state) return;
    const resetAt = state.resetSeconds === undefined ? undefined : this.now() + state.resetSeconds * 1000;
    // Answers come back out of order: within one window the lowest count left is the latest; a later reset is a
    // new window. (Reset times are whole seconds, so "the same window" is within a second.)
    const sameWindow =
      this.resetAt !== undefined && resetAt !== undefined && Math.abs(resetAt - this.resetAt) < 1_000;
    if (sameWindow && this.remaining !== undefined && state.remaining >= this.remaining) return;
    this.remaining = state.remaining;
    this.resetAt = resetAt;
  }
}

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
