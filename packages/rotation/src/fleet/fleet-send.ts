import { isPskError, neutralizeText, type Secret } from '@ipsec-psk/core';
import pMap from 'p-map';
import { errorCode } from '../error-code.js';
import { decideRotated, type KeyAge } from '../one/check-back.js';
import type { StepsDeps } from '../one/steps.js';
import type { TunnelResult } from '../output.js';
import { type AuditEntry, auditEntry } from '../store/audit-log.js';
import { describeFsError } from '../store/key-directory.js';
import { fingerprint } from '../store/psk-store.js';
import type { FleetTunnelFacts } from '../types.js';
import { classifyFailure, classifySet, type SendOutcome, sendBatch, type Tracked } from './fleet-batch.js';
import { type GivenKey, recordAttempts, STORE_CONCURRENCY, storeKeys } from './fleet-keys.js';

export type { SendOutcome } from './fleet-batch.js';
export type { GivenKey } from './fleet-keys.js';

/** Tunnels per Set PSKs request: a few requests for a large fleet, far inside Cloudflare's 1200 per 5 minutes. */
export const BATCH_SIZE = 100;
/**
 * Set PSKs requests out at once: a large fleet's round trips overlap. Ten is what a script on the official SDK
 * would use for its one-per-tunnel requests; ours carry a hundred keys each, and the rate gate slows them when
 * Cloudflare says its limit is nearly spent.
 */
export const SEND_CONCURRENCY = 10;

/** What sending needs: the rotation steps' own dependencies, and a way to wait. */
export interface SendDeps
  extends Pick<
    StepsDeps,
    'client' | 'store' | 'audit' | 'logger' | 'now' | 'sandbox' | 'principal' | 'rate'
  > {
  /** Waits for Cloudflare's rate limit; injectable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** Told after each batch, and while waiting for the rate limit. */
export type OnProgress = (done: number, total: number, message: string) => void;

const NOT_SENT = 'Not sent: an earlier request of this rotation failed, so the rest was not attempted.';

/**
 * Sets new keys, made here, on a set of tunnels, in batches of BATCH_SIZE, SEND_CONCURRENCY at a time. For each
 * batch, every key is generated and stored (0600, synced) and every attempt line is on disk before its request
 * leaves, so no answer, lost or not, can lose a key; while one batch is on the wire the next is being stored. The
 * requests are repeated only with the same keys, never with new ones. A refusal (401, 403, 400) or a failure to
 * store stops every batch not yet sent; when nothing was sent at all, the failure is the answer.
 */
export async function sendFleet(
  deps: SendDeps,
  accountId: string,
  tunnels: readonly FleetTunnelFacts[],
  confirmedBy: AuditEntry['confirmed_by'],
  onProgress: OnProgress = () => {},
  given: ReadonlyMap<string, GivenKey> = new Map(),
): Promise<SendOutcome[] | { error: string }> {
  let write: (tunnelId: string, psk: Secret) => Promise<string>;
  try {
    // Called under every tunnel's lock (FleetRotation.send), whose taking checked each tunnel's folder.
    write = await deps.store.writerFor(accountId, { foldersChecked: true });
  } catch (error) {
    return { error: notStored(`the account's key folder cannot be used (${describeFsError(error)})`) };
  }
  const tracked: Tracked[] = tunnels.map((tunnel) => ({
    tunnel,
    key: undefined,
    sentAt: undefined,
    outcome: { tunnel, result: 'not_sent', reason: NOT_SENT },
  }));
  const batches: Tracked[][] = [];
  for (let start = 0; start < tracked.length; start += BATCH_SIZE)
    batches.push(tracked.slice(start, start + BATCH_SIZE));
  const gate = deps.rate;
  const state = { stopped: undefined as string | undefined, sent: 0, done: 0 };

  await pMap(
    batches,
    async (batch) => {
      if (state.stopped) return;
      const keys = await storeKeys(
        deps,
        write,
        batch.map((entry) => entry.tunnel),
        given,
      );
      const failure =
        'error' in keys
          ? keys.error
          : await recordAttempts(deps, accountId, keys, confirmedBy).then((e) => e?.error);
      if (failure !== undefined) {
        state.stopped ??= failure;
        for (const entry of batch) entry.outcome = { ...entry.outcome, reason: `Not sent: ${failure}` };
        return;
      }
      if ('error' in keys) return;
      keys.forEach((key, index) => {
        const entry = batch[index] as Tracked;
        entry.key = key;
        entry.outcome = {
          ...entry.outcome,
          file: key.file,
          fingerprint: key.fingerprint,
          restoreOf: key.restoreOf,
        };
      });
      if (state.stopped) {
        // Stored and recorded, but another batch was refused meanwhile: these keys stay unsent, marked so.
        for (const entry of batch) entry.outcome = { ...entry.outcome, reason: NOT_SENT };
        return;
      }
      state.sent += 1;
      const sent = await sendBatch(deps, gate, accountId, keys, (message) =>
        onProgress(state.done, tracked.length, message),
      );
      for (const entry of batch) entry.sentAt = sent.sentAt;
      if ('failed' in sent) {
        classifyFailure(batch, sent.failed);
        if (isPskError(sent.failed) && sent.failed.outcome === 'not_executed') state.stopped ??= 'refused';
      } else {
        classifySet(deps, batch, sent.set);
      }
      state.done += batch.length;
      onProgress(state.done, tracked.length, 'Keys sent to Cloudflare.');
    },
    { concurrency: SEND_CONCURRENCY },
  );
  if (state.sent === 0 && state.stopped !== undefined && state.stopped !== 'refused') {
    // Nothing left this machine: the failure to store or record is the answer, as before any request. Keys of
    // batches stored meanwhile are marked not in force, and their attempt lines closed.
    await markNotInForce(deps, tracked);
    await recordOutcomes(deps, accountId, tracked);
    return { error: notStored(state.stopped) };
  }
  // Echoes that differ are rare; storing them afterwards keeps the loop above free of extra disk work.
  for (const entry of tracked) await storeEcho(deps, accountId, entry);
  await checkBack(deps, accountId, tracked);
  await markNotInForce(deps, tracked);
  await recordOutcomes(deps, accountId, tracked);
  return tracked.map((entry) => entry.outcome);
}

function notStored(why: string): string {
  return (
    `${why} Nothing was sent; every tunnel keeps its current key. The operator must fix IPSEC_PSK_DIR (free ` +
    'space, permissions).'
  );
}

/** When Cloudflare echoes a different key than the one sent, the echoed one is in force: it gets its own file. */
async function storeEcho(deps: SendDeps, accountId: string, entry: Tracked): Promise<void> {
  const { outcome, key } = entry;
  if (!key || outcome.result !== 'applied' || !outcome.psk || outcome.psk.reveal() === key.psk.reveal())
    return;
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
    const now = after?.get(entry.tunnel.id);
    entry.outcome.rotated =
      after === undefined || entry.sentAt === undefined
        ? 'unknown'
        : decideRotated(entry.tunnel.lastGeneratedOn, now, entry.sentAt);
  }
}

async function markNotInForce(deps: SendDeps, tracked: Tracked[]): Promise<void> {
  const unused = tracked.filter(
    ({ outcome }) => (outcome.result === 'not_applied' || outcome.result === 'not_sent') && outcome.file,
  );
  await pMap(
    unused,
    async (entry) => {
      const { outcome } = entry;
      try {
        entry.outcome = { ...outcome, file: await deps.store.markNotApplied(outcome.file ?? '') };
      } catch (error) {
        deps.logger.warn(`could not mark ${outcome.file} as not applied (${errorCode(error)})`);
      }
    },
    { concurrency: STORE_CONCURRENCY },
  );
}

/** The outcome line of every attempt line written (a tunnel whose key was never stored has neither). */
async function recordOutcomes(deps: SendDeps, accountId: string, tracked: readonly Tracked[]): Promise<void> {
  const attempted = tracked.flatMap((entry) => (entry.key ? [{ ...entry, key: entry.key }] : []));
  if (attempted.length === 0) return;
  const lines: AuditEntry[] = attempted.map(({ key, outcome }) => {
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
      `could not append the outcomes of ${attempted.length} keys to the audit log (${errorCode(error)})`,
    );
  }
}
