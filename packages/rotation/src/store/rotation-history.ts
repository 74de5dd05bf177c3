import { ATTEMPT_OUTCOMES, type AuditRecord, KEY_STORED_EVENTS } from './audit-log.js';

/** How far back the confirmation question looks for earlier rotations of the same tunnel. */
const RECENT_WINDOW_MS = 24 * 60 * 60_000;

const sameTunnel = (record: AuditRecord, accountId: string, tunnelId: string) =>
  record.account_id === accountId && record.ipsec_tunnel_id === tunnelId;

/** The records of one tunnel, oldest first. */
export const recordsOf = (records: readonly AuditRecord[], accountId: string, tunnelId: string) =>
  records.filter((record) => sameTunnel(record, accountId, tunnelId));

/** Each tunnel's records in one account, oldest first, in one pass: for questions about many tunnels at once. */
export function recordsByTunnel(
  records: readonly AuditRecord[],
  accountId: string,
): Map<string, AuditRecord[]> {
  const byTunnel = new Map<string, AuditRecord[]>();
  for (const record of records) {
    if (record.account_id !== accountId) continue;
    const list = byTunnel.get(record.ipsec_tunnel_id);
    if (list) list.push(record);
    else byTunnel.set(record.ipsec_tunnel_id, [record]);
  }
  return byTunnel;
}

/**
 * Attempts that have no outcome line: the process stopped (crash, SIGKILL, power loss) between sending the
 * persisting call and recording what came of it, so the key may have been replaced and lost. A later key stored
 * for the same tunnel supersedes such an attempt: the tunnel has a known key again.
 */
export function unfinishedAttempts(records: readonly AuditRecord[]): AuditRecord[] {
  const ended = new Set<string>();
  for (const record of records) {
    if (record.attempt_id && ATTEMPT_OUTCOMES.includes(record.event)) ended.add(record.attempt_id);
  }
  return records.filter(
    (record, index) =>
      record.event === 'rotation_attempt' &&
      record.attempt_id !== undefined &&
      !ended.has(record.attempt_id) &&
      !records
        .slice(index + 1)
        .some(
          (later) =>
            KEY_STORED_EVENTS.includes(later.event) &&
            sameTunnel(later, record.account_id, record.ipsec_tunnel_id),
        ),
  );
}

/** What the audit log says about one tunnel, for its next confirmation question. */
export interface TunnelHistory {
  /** Attempts on this tunnel that never recorded an outcome. */
  unfinished: AuditRecord[];
  /** Outcomes within the recent window that changed (or may have changed) the key, newest first. */
  recent: AuditRecord[];
  /** Every record of this tunnel, oldest first. */
  records: AuditRecord[];
  /** Whether the log could be read; when not, the question says so. */
  readable: boolean;
}

/** The history of a tunnel when the audit log cannot be read: empty, and saying so. */
export const unreadableHistory = (): TunnelHistory => ({
  unfinished: [],
  recent: [],
  records: [],
  readable: false,
});

export function tunnelHistory(
  records: readonly AuditRecord[],
  accountId: string,
  tunnelId: string,
  now: Date,
): TunnelHistory {
  return historyOf(recordsOf(records, accountId, tunnelId), now);
}

/** The history of a tunnel from its own records (see `recordsByTunnel`). */
export function historyOf(mine: AuditRecord[], now: Date): TunnelHistory {
  const since = now.getTime() - RECENT_WINDOW_MS;
  return {
    unfinished: unfinishedAttempts(mine),
    recent: mine
      .filter(
        (record) =>
          Date.parse(record.time) >= since &&
          (KEY_STORED_EVENTS.includes(record.event) ||
            record.event === 'key_unstored' ||
            (record.event === 'outcome_unknown' && record.rotated !== 'no')),
      )
      .reverse(),
    records: mine,
    readable: true,
  };
}

/** Whether a persisting call for this tunnel was sent at or after `sinceMs` (a newer intent than one being redeemed). */
export function attemptedSince(history: readonly AuditRecord[], sinceMs: number): AuditRecord | undefined {
  return history.find((record) => record.event === 'rotation_attempt' && Date.parse(record.time) >= sinceMs);
}
