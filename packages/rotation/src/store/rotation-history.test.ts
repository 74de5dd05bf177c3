import { describe, expect, it } from 'vitest';
import type { AuditRecord } from './audit-log.js';
import { attemptedSince, tunnelHistory, unfinishedAttempts } from './rotation-history.js';

const base = { account_id: 'acct', sandbox: false } as const;
const line = (time: string, event: AuditRecord['event'], tunnel: string, extra: Partial<AuditRecord> = {}) =>
  ({ ...base, time, event, ipsec_tunnel_id: tunnel, ...extra }) as AuditRecord;

describe('#7.4 unfinished attempts', () => {
  it('an attempt without an outcome line is unfinished; one with an outcome is not', () => {
    const records = [
      line('2026-11-27T09:00:00Z', 'rotation_attempt', 't1', { attempt_id: 'a' }),
      line('2026-11-27T09:00:01Z', 'generated', 't1', { attempt_id: 'a' }),
      line('2026-11-27T10:00:00Z', 'rotation_attempt', 't2', { attempt_id: 'b' }),
      line('2026-11-27T10:00:01Z', 'rotation_attempt', 't3', { attempt_id: 'c' }),
      line('2026-11-27T10:00:02Z', 'outcome_unknown', 't3', { attempt_id: 'c', rotated: 'unknown' }),
    ];
    expect(unfinishedAttempts(records).map((r) => r.attempt_id)).toEqual(['b']);
  });

  it('a later key stored for the same tunnel supersedes an unfinished attempt; another tunnel does not', () => {
    const records = [
      line('2026-11-27T09:00:00Z', 'rotation_attempt', 't1', { attempt_id: 'a' }),
      line('2026-11-27T09:00:00Z', 'rotation_attempt', 't2', { attempt_id: 'b' }),
      line('2026-11-27T09:30:00Z', 'generated', 't1', { attempt_id: 'x' }),
    ];
    expect(unfinishedAttempts(records).map((r) => r.attempt_id)).toEqual(['b']);
  });
});

describe('#7.9 tunnel history', () => {
  it('lists recent outcomes that changed or may have changed the key, newest first, within the window', () => {
    const records = [
      line('2026-11-25T09:00:00Z', 'generated', 't1', { psk_file: '/old' }),
      line('2026-11-27T09:00:00Z', 'generated', 't1', { psk_file: '/a' }),
      line('2026-11-27T09:10:00Z', 'outcome_unknown', 't1', { rotated: 'no' }),
      line('2026-11-27T09:20:00Z', 'outcome_unknown', 't1', { rotated: 'yes' }),
      line('2026-11-27T09:30:00Z', 'generated', 't2', { psk_file: '/other' }),
    ];
    const history = tunnelHistory(records, 'acct', 't1', new Date('2026-11-27T10:00:00Z'));
    expect(history.recent.map((r) => `${r.event}:${r.psk_file ?? r.rotated}`)).toEqual([
      'outcome_unknown:yes',
      'generated:/a',
    ]);
    expect(history.records).toHaveLength(4);
  });

  it('attemptedSince finds a rotation sent after a question was asked', () => {
    const records = [line('2026-11-27T09:00:05Z', 'rotation_attempt', 't1', { attempt_id: 'a' })];
    expect(attemptedSince(records, Date.parse('2026-11-27T09:00:00Z'))).toBeDefined();
    expect(attemptedSince(records, Date.parse('2026-11-27T09:01:00Z'))).toBeUndefined();
  });
});
