import { ATTEMPT_OUTCOMES, AuditLog, type AuditRecord, KEY_STORED_EVENTS } from './audit-log.js';
import { KeyDirectory } from './key-directory.js';
import { unfinishedAttempts } from './rotation-history.js';

// What the audit log says, per tunnel, for a person at a terminal or a program: each rotation and how it ended, which
// key file holds the key in force, and attempts that never recorded an outcome. Read-only; no request leaves.

/** One rotation of a tunnel: its attempt and how it ended. */
export type HistoryRotation = {
  /** When the request was sent (the attempt line's time). */
  time: string;
  operation: 'psk_generate' | 'set_psks' | undefined;
  /** How it ended: `applied`, `not_applied`, `failed`, `unknown`, `key_lost`, or `interrupted` (no outcome line). */
  result: 'applied' | 'not_applied' | 'failed' | 'unknown' | 'key_lost' | 'interrupted';
  psk_file?: string | undefined;
  psk_fingerprint?: string | undefined;
  /** How the user confirmed it (form, app, token, terminal, flag, callback). */
  confirmed_by?: string | undefined;
  /** Who asked, over HTTP. */
  principal?: string | undefined;
  /** For a restore: the file of the key put back. */
  restore_of?: string | undefined;
  /** Delivery to the device, when it was tried: the target and whether it took the key. */
  delivery?: { target: string | undefined; result: 'delivered' | 'failed' } | undefined;
};

/** One tunnel's history. */
export type TunnelRotationHistory = {
  account_id: string;
  ipsec_tunnel_id: string;
  /** The key in force as far as this machine knows: the newest stored by a rotation that applied it. */
  current_key?: { psk_file: string; psk_fingerprint: string | undefined; since: string } | undefined;
  /** Rotations, oldest first. */
  rotations: HistoryRotation[];
  /** How many attempts never recorded an outcome (the process stopped mid-call): check the tunnel. */
  interrupted: number;
};

const RESULTS: Partial<Record<AuditRecord['event'], HistoryRotation['result']>> = {
  generated: 'applied',
  psk_set: 'applied',
  psk_not_applied: 'not_applied',
  rotation_failed: 'failed',
  outcome_unknown: 'unknown',
  key_unstored: 'key_lost',
};

/** Every tunnel's history in the key directory's audit log, or one account's, or one tunnel's. */
export async function rotationHistory(
  pskDir: string,
  filter: { accountId?: string | undefined; tunnelId?: string | undefined } = {},
): Promise<TunnelRotationHistory[]> {
  const records = await new AuditLog(new KeyDirectory(pskDir)).read();
  return historyFromRecords(records, filter);
}

/** The same, from records already read. */
export function historyFromRecords(
  records: readonly AuditRecord[],
  filter: { accountId?: string | undefined; tunnelId?: string | undefined } = {},
): TunnelRotationHistory[] {
  const byTunnel = new Map<string, AuditRecord[]>();
  for (const record of records) {
    if (filter.accountId !== undefined && record.account_id !== filter.accountId) continue;
    if (filter.tunnelId !== undefined && record.ipsec_tunnel_id !== filter.tunnelId) continue;
    const key = `${record.account_id}/${record.ipsec_tunnel_id}`;
    const list = byTunnel.get(key);
    if (list) list.push(record);
    else byTunnel.set(key, [record]);
  }
  return [...byTunnel.values()].flatMap((mine) => {
    const rotations = rotationsOf(mine);
    if (rotations.length === 0) return [];
    const first = mine[0] as AuditRecord;
    const stored = mine.filter((r) => KEY_STORED_EVENTS.includes(r.event) && r.psk_file).at(-1);
    return [
      {
        account_id: first.account_id,
        ipsec_tunnel_id: first.ipsec_tunnel_id,
        ...(stored?.psk_file
          ? {
              current_key: {
                psk_file: stored.psk_file,
                psk_fingerprint: stored.psk_fingerprint,
                since: stored.time,
              },
            }
          : {}),
        rotations,
        interrupted: unfinishedAttempts(mine).length,
      },
    ];
  });
}

function rotationsOf(mine: readonly AuditRecord[]): HistoryRotation[] {
  const outcomes = new Map<string, AuditRecord>();
  const deliveries = new Map<string, AuditRecord>();
  for (const record of mine) {
    if (record.attempt_id && ATTEMPT_OUTCOMES.includes(record.event)) outcomes.set(record.attempt_id, record);
    // Delivery lines name the key they delivered by its fingerprint.
    if ((record.event === 'delivered' || record.event === 'delivery_failed') && record.psk_fingerprint) {
      deliveries.set(record.psk_fingerprint, record);
    }
  }
  return mine
    .filter((record) => record.event === 'rotation_attempt')
    .map((attempt) => {
      const outcome = attempt.attempt_id ? outcomes.get(attempt.attempt_id) : undefined;
      const fingerprint = outcome?.psk_fingerprint ?? attempt.psk_fingerprint;
      const delivery = fingerprint ? deliveries.get(fingerprint) : undefined;
      const rotation: HistoryRotation = {
        time: attempt.time,
        operation: attempt.operation,
        result: outcome ? (RESULTS[outcome.event] ?? 'unknown') : 'interrupted',
        psk_file: outcome?.psk_file ?? attempt.psk_file,
        psk_fingerprint: fingerprint,
        confirmed_by: attempt.confirmed_by,
        principal: attempt.principal,
        restore_of: attempt.restore_of,
      };
      if (delivery) {
        rotation.delivery = {
          target: delivery.target,
          result: delivery.event === 'delivered' ? 'delivered' : 'failed',
        };
      }
      for (const key of Object.keys(rotation) as (keyof HistoryRotation)[]) {
        if (rotation[key] === undefined) delete rotation[key];
      }
      return rotation;
    });
}
