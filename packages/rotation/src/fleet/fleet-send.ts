import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { generatePsk, isPskError, neutralizeText, type PsksSet, type Secret } from '@ipsec-psk/core';
import { errorCode } from '../error-code.js';
import { decideRotated, type KeyAge } from '../one/check-back.js';
import type { StepsDeps } from '../one/steps.js';
import type { Rotated, TunnelResult } from '../output.js';
import { type AuditEntry, auditEntry } from '../store/audit-log.js';
import { describeFsError } from '../store/key-directory.js';
import { fingerprint } from '../store/psk-store.js';
import type { FleetTunnelFacts } from '../types.js';

/** Tunnels per Set PSKs request: a few requests for a large fleet, far inside Cloudflare's 1200 per 5 minutes. */
export const BATCH_SIZE = 100;
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

/** A key stored earlier, sent again instead of a new one (a restore). */
export interface GivenKey {
  psk: Secret;
  /** The file it was read from; its audit lines name it as `restore_of`. */
  restoreOf: string;
}

/** What sending needs: the rotation steps' own dependencies, and a way to wait. */
export interface SendDeps
  extends Pick<StepsDeps, 'client' | 'store' | 'audit' | 'logger' | 'now' | 'sandbox' | 'principal'> {
  /** Waits for Cloudflare's rate limit; injectable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** Told after each batch, and while waiting for the rate limit. */
export type OnProgress = (done: number, total: number, message: string) => void;

interface PreparedKey {
  tunnel: FleetTunnelFacts;
  psk: Secret;
  file: string;
  fingerprint: string;
  attemptId: string;
  restoreOf?: string | undefined;
}

type BatchOutcome = { set: PsksSet; sentAt: number } | { failed: unknown; sentAt: number };

/**
 * Sets new keys, made here, on a set of tunnels: every key is generated and stored (0600, synced) and every
 * attempt line is on disk before the first request leaves, so no answer, lost or not, can lose a key. The requests
 * are repeated only with the same keys (core retries transient failures; a rate limit is waited out, bounded),
 * never with new ones. A failure before sending is the answer: nothing was sent.
 */
export async function sendFleet(
  deps: SendDeps,
  accountId: string,
  tunnels: readonly FleetTunnelFacts[],
  confirmedBy: AuditEntry['confirmed_by'],
  onProgress: OnProgress = () => {},
  given: ReadonlyMap<string, GivenKey> = new Map(),
): Promise<SendOutcome[] | { error: string }> {
  const prepared = await storeKeys(deps, accountId, tunnels, given);
  if ('error' in prepared) return prepared;
  try {
    await deps.audit.appendAll(
      prepared.map((key) =>
        auditEntry('rotation_attempt', { accountId, tunnelId: key.tunnel.id }, deps, {
          operation: 'set_psks',
          confirmed_by: confirmedBy,
          attempt_id: key.attemptId,
          pid: process.pid,
          psk_file: key.file,
          psk_fingerprint: key.fingerprint,
          ...(key.restoreOf ? { restore_of: key.restoreOf } : {}),
        }),
      ),
      { durable: true },
    );
  } catch (error) {
    await markAll(deps, prepared);
    deps.logger.error(
      `could not write the rotation_attempt audit lines (${errorCode(error)}); nothing was sent`,
    );
    return {
      error:
        `The audit log could not be written (${errorCode(error)}), and keys are never sent without their record. ` +
        'Nothing was sent; every tunnel keeps its current key. The operator must fix IPSEC_PSK_DIR.',
    };
  }

  const outcomes = await sendBatches(deps, accountId, prepared, onProgress);
  await checkBack(deps, accountId, outcomes);
  await markNotInForce(deps, outcomes);
  await recordOutcomes(deps, accountId, prepared, outcomes);
  return outcomes.map((entry) => entry.outcome);
}

async function storeKeys(
  deps: SendDeps,
  accountId: string,
  tunnels: readonly FleetTunnelFacts[],
  given: ReadonlyMap<string, GivenKey>,
): Promise<PreparedKey[] | { error: string }> {
  const prepared: PreparedKey[] = [];
  for (const tunnel of tunnels) {
    // A restored key gets its own file too: every Set PSKs attempt names the file of exactly what it sent.
    const restore = given.get(tunnel.id);
    const psk = restore?.psk ?? generatePsk();
    try {
      const file = await deps.store.write(accountId, tunnel.id, psk);
      prepared.push({
        tunnel,
        psk,
        file,
        fingerprint: fingerprint(psk),
        attemptId: randomUUID(),
        restoreOf: restore?.restoreOf,
      });
    } catch (error) {
      await markAll(deps, prepared);
      const what = describeFsError(error);
      return {
        error:
          `The new key of tunnel ${tunnel.id} could not be stored before sending (${what}). Nothing was sent; ` +
          'every tunnel keeps its current key. The operator must fix IPSEC_PSK_DIR (free space, permissions).',
      };
    }
  }
  return prepared;
}

/** Keys never sent are kept, marked as not in force. */
async function markAll(deps: SendDeps, keys: readonly PreparedKey[]): Promise<void> {
  for (const key of keys) {
    await deps.store.markNotApplied(key.file).catch((error: unknown) => {
      deps.logger.warn(`could not mark ${key.file} as not applied (${errorCode(error)})`);
    });
  }
}

interface Tracked {
  key: PreparedKey;
  sentAt: number | undefined;
  outcome: SendOutcome;
}

async function sendBatches(
  deps: SendDeps,
  accountId: string,
  keys: readonly PreparedKey[],
  onProgress: OnProgress,
): Promise<Tracked[]> {
  const tracked: Tracked[] = keys.map((key) => ({
    key,
    sentAt: undefined,
    outcome: {
      tunnel: key.tunnel,
      result: 'not_sent',
      file: key.file,
      fingerprint: key.fingerprint,
      reason: 'Not sent: an earlier request of this rotation failed, so the rest was not attempted.',
      restoreOf: key.restoreOf,
    },
  }));
  for (let start = 0; start < tracked.length; start += BATCH_SIZE) {
    const batch = tracked.slice(start, start + BATCH_SIZE);
    const sent = await sendBatch(deps, accountId, batch, (message) =>
      onProgress(start, tracked.length, message),
    );
    for (const entry of batch) entry.sentAt = sent.sentAt;
    if ('failed' in sent) {
      classifyFailure(batch, sent.failed);
      break;
    }
    classifySet(deps, batch, sent.set);
    onProgress(Math.min(start + BATCH_SIZE, tracked.length), tracked.length, 'Keys sent to Cloudflare.');
  }
  // Echoes that differ are rare; storing them afterwards keeps the loop above free of disk work.
  for (const entry of tracked) await storeEcho(deps, accountId, entry);
  return tracked;
}

async function sendBatch(
  deps: SendDeps,
  accountId: string,
  batch: readonly Tracked[],
  waiting: (message: string) => void,
): Promise<BatchOutcome> {
  const psks = batch.map(({ key }) => ({ ipsecTunnelId: key.tunnel.id, psk: key.psk }));
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  let sentAt = deps.now().getTime();
  for (let waits = 0; ; waits++) {
    try {
      // No abort signal on purpose: once sent, cancelling cannot unsend it. Core repeats the same keys on
      // transient failures, which is safe: they are stored.
      return { set: await deps.client.setIpsecPsks({ accountId, psks }), sentAt };
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
}

function classifyFailure(batch: readonly Tracked[], error: unknown): void {
  const executed = isPskError(error) && error.outcome === 'not_executed';
  const reason = isPskError(error) ? error.message : 'Unexpected error.';
  for (const entry of batch) {
    entry.outcome = executed
      ? { ...entry.outcome, result: 'not_sent', reason }
      : { ...entry.outcome, result: 'unknown', reason };
  }
}

function classifySet(deps: SendDeps, batch: readonly Tracked[], set: PsksSet): void {
  const applied = new Map(set.applied.map((entry) => [entry.ipsecTunnelId, entry]));
  const unapplied = new Map(set.unapplied.map((entry) => [entry.ipsecTunnelId, entry]));
  for (const entry of batch) {
    const id = entry.key.tunnel.id;
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

/** When Cloudflare echoes a different key than the one sent, the echoed one is in force: it gets its own file. */
async function storeEcho(deps: SendDeps, accountId: string, entry: Tracked): Promise<void> {
  const { outcome, key } = entry;
  if (outcome.result !== 'applied' || !outcome.psk || outcome.psk.reveal() === key.psk.reveal()) return;
  try {
    const file = await deps.store.write(accountId, key.tunnel.id, outcome.psk);
    await deps.store.markNotApplied(key.file).catch(() => {});
    entry.outcome = { ...outcome, file, fingerprint: fingerprint(outcome.psk) };
  } catch (error) {
    entry.outcome = {
      ...outcome,
      result: 'unknown',
      reason: `Cloudflare applied a different key than the one sent, and it could not be stored (${errorCode(error)}).`,
    };
  }
}

/** One list call tells, for every tunnel whose outcome is unknown, whether its key changed after sending. */
async function checkBack(deps: SendDeps, accountId: string, tracked: Tracked[]): Promise<void> {
  const unknown = tracked.filter((entry) => entry.outcome.result === 'unknown');
  if (unknown.length === 0) return;
  let after: Map<string, KeyAge> | undefined;
  try {
    const list = await deps.client.listIpsecTunnels({ accountId });
    after = new Map(list.map((tunnel) => [tunnel.id, tunnel.lastGeneratedOn ?? null]));
  } catch {
    after = undefined;
  }
  for (const entry of unknown) {
    const now = after?.get(entry.key.tunnel.id);
    entry.outcome.rotated =
      after === undefined || entry.sentAt === undefined
        ? 'unknown'
        : decideRotated(entry.key.tunnel.lastGeneratedOn, now, entry.sentAt);
  }
}

async function markNotInForce(deps: SendDeps, tracked: Tracked[]): Promise<void> {
  for (const entry of tracked) {
    const { outcome } = entry;
    if (outcome.result !== 'not_applied' && outcome.result !== 'not_sent') continue;
    if (!outcome.file) continue;
    try {
      entry.outcome = { ...outcome, file: await deps.store.markNotApplied(outcome.file) };
    } catch (error) {
      deps.logger.warn(`could not mark ${outcome.file} as not applied (${errorCode(error)})`);
    }
  }
}

async function recordOutcomes(
  deps: SendDeps,
  accountId: string,
  keys: readonly PreparedKey[],
  tracked: readonly Tracked[],
): Promise<void> {
  const lines: AuditEntry[] = tracked.map(({ key, outcome }) => {
    const line = auditEntry('psk_set', { accountId, tunnelId: key.tunnel.id }, deps, {
      operation: 'set_psks',
      attempt_id: key.attemptId,
      psk_file: outcome.file,
      psk_fingerprint: outcome.fingerprint,
      ...(key.restoreOf ? { restore_of: key.restoreOf } : {}),
    });
    const ending: Record<TunnelResult, Partial<AuditEntry>> = {
      applied: {},
      not_applied: { event: 'psk_not_applied', reason: neutralizeText(outcome.reason, 200) },
      not_sent: { event: 'rotation_failed', code: 'not_sent' },
      unknown: { event: 'outcome_unknown', rotated: outcome.rotated ?? 'unknown' },
    };
    return { ...line, ...ending[outcome.result] };
  });
  try {
    await deps.audit.appendAll(lines);
  } catch (error) {
    deps.logger.warn(
      `could not append the outcomes of ${keys.length} keys to the audit log (${errorCode(error)})`,
    );
  }
}
