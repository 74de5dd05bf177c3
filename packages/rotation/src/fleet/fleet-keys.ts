import { randomUUID } from 'node:crypto';
import { generatePsk, type Secret } from '@ipsec-psk/core';
import pMap from 'p-map';
import { errorCode } from '../error-code.js';
import type { StepsDeps } from '../one/steps.js';
import { type AuditEntry, auditEntry } from '../store/audit-log.js';
import { describeFsError } from '../store/key-directory.js';
import { fingerprint } from '../store/psk-store.js';
import type { FleetTunnelFacts } from '../types.js';

// A fleet's keys on disk before any of them is sent: made here, written (0600, synced, renamed) several at a time,
// and each batch's attempt lines appended and synced as one write, so the record exists before the request.

/** Key files written at once: each is a handful of file-system round trips, mostly waiting on the disk. */
export const STORE_CONCURRENCY = 16;

/** A key stored earlier, sent again instead of a new one (a restore). */
export interface GivenKey {
  psk: Secret;
  /** The file it was read from; its audit lines name it as `restore_of`. */
  restoreOf: string;
}

/** A key made (or given) and stored, ready to be sent. */
export interface PreparedKey {
  tunnel: FleetTunnelFacts;
  psk: Secret;
  file: string;
  fingerprint: string;
  attemptId: string;
  restoreOf?: string | undefined;
}

type KeyDeps = Pick<StepsDeps, 'store' | 'audit' | 'logger' | 'now' | 'principal' | 'sandbox'>;

/**
 * Stores a key for each tunnel; on any failure, the keys stored so far are marked not applied and the answer says
 * which tunnel failed and why (nothing of this batch is sent).
 */
export async function storeKeys(
  deps: KeyDeps,
  write: (tunnelId: string, psk: Secret) => Promise<string>,
  tunnels: readonly FleetTunnelFacts[],
  given: ReadonlyMap<string, GivenKey>,
): Promise<PreparedKey[] | { error: string }> {
  const stored: PreparedKey[] = [];
  let failed: { tunnel: FleetTunnelFacts; error: unknown } | undefined;
  await pMap(
    tunnels,
    async (tunnel) => {
      if (failed) return;
      // A restored key gets its own file too: every Set PSKs attempt names the file of exactly what it sent.
      const restore = given.get(tunnel.id);
      const psk = restore?.psk ?? generatePsk();
      try {
        const file = await write(tunnel.id, psk);
        stored.push({
          tunnel,
          psk,
          file,
          fingerprint: fingerprint(psk),
          attemptId: randomUUID(),
          restoreOf: restore?.restoreOf,
        });
      } catch (error) {
        failed ??= { tunnel, error };
      }
    },
    { concurrency: STORE_CONCURRENCY },
  );
  if (failed) {
    await markAll(deps, stored);
    return {
      error:
        `The new key of tunnel ${failed.tunnel.id} could not be stored before sending ` +
        `(${describeFsError(failed.error)}).`,
    };
  }
  // In the order asked, whatever order the disk finished in.
  const order = new Map(tunnels.map((tunnel, index) => [tunnel.id, index]));
  return stored.sort((a, b) => (order.get(a.tunnel.id) ?? 0) - (order.get(b.tunnel.id) ?? 0));
}

/** The attempt lines of a batch, synced, before it is sent; on failure the batch's keys are marked not applied. */
export async function recordAttempts(
  deps: KeyDeps,
  accountId: string,
  keys: readonly PreparedKey[],
  confirmedBy: AuditEntry['confirmed_by'],
): Promise<{ error: string } | undefined> {
  try {
    await deps.audit.appendAll(
      keys.map((key) =>
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
    return undefined;
  } catch (error) {
    await markAll(deps, keys);
    deps.logger.error(`could not write the rotation_attempt audit lines (${errorCode(error)}); not sent`);
    return {
      error: `The audit log could not be written (${errorCode(error)}), and keys are never sent without their record.`,
    };
  }
}

/** Keys never sent are kept, marked as not in force. */
export async function markAll(
  deps: Pick<KeyDeps, 'store' | 'logger'>,
  keys: readonly PreparedKey[],
): Promise<void> {
  await pMap(
    keys,
    (key) =>
      deps.store.markNotApplied(key.file).catch((error: unknown) => {
        deps.logger.warn(`could not mark ${key.file} as not applied (${errorCode(error)})`);
      }),
    { concurrency: STORE_CONCURRENCY },
  );
}
