import { join } from 'node:path';
import type { ConfirmedBy } from '../confirm/channel.js';
import type { RotationOutput } from '../output.js';
import type { KeyDirectory } from './key-directory.js';

/** What an audit line records. */
export type AuditEvent =
  | 'validated'
  | 'validation_failed'
  | 'confirmation_requested'
  | 'confirmation_refused'
  | 'declined'
  | 'cancelled'
  | 'store_failed'
  /** Written (and synced) right before the persisting call; a line without an outcome means a crash mid-call. */
  | 'rotation_attempt'
  /** Outcomes of an attempt, carrying its `attempt_id`. */
  | 'generated'
  | 'rotation_failed'
  | 'outcome_unknown'
  | 'key_unstored'
  /** Outcomes of a Set PSKs attempt (keys made and stored here): applied, or not applied with Cloudflare's reason. */
  | 'psk_set'
  | 'psk_not_applied'
  /** Delivery of a stored key to its tunnel's device (after the outcome line): done, or failed with a `code`. */
  | 'delivered'
  | 'delivery_failed';

/** The events that end an attempt. */
export const ATTEMPT_OUTCOMES: readonly AuditEvent[] = [
  'generated',
  'rotation_failed',
  'outcome_unknown',
  'key_unstored',
  'psk_set',
  'psk_not_applied',
];

/** The events after which a tunnel has a known key in a file. */
export const KEY_STORED_EVENTS: readonly AuditEvent[] = ['generated', 'psk_set'];

/** One audit record: the result's own fields where they overlap. It never holds a key, a credential or a token. */
export interface AuditEntry
  extends Pick<
    RotationOutput,
    'account_id' | 'ipsec_tunnel_id' | 'sandbox' | 'rotated' | 'psk_fingerprint' | 'psk_file'
  > {
  event: AuditEvent;
  /** Ties an attempt to its outcome. */
  attempt_id?: string;
  /** The server process that made the attempt. */
  pid?: number;
  /** Who asked, over HTTP: the bearer token's name or the OAuth subject. */
  principal?: string;
  confirmed_by?: ConfirmedBy;
  /** Which call an attempt sends: Cloudflare generates the key, or we set one made and stored here. */
  operation?: 'psk_generate' | 'set_psks';
  code?: string;
  /** Cloudflare's reason for not applying a key, neutralised. */
  reason?: string;
  /** True when the key went to the fallback directory. */
  fallback?: boolean;
  /** For a restore (Set PSKs with a key stored earlier): the file of the key put back. */
  restore_of?: string;
  /** For delivery lines: the target, as the delivery file names it. */
  target?: string;
  /** For delivery to strongSwan: whether the IKE SA came up. */
  ike_up?: boolean;
  /** For delivery: the configuration text written for the device (it holds the key; the line does not). */
  config_file?: string;
}

/** Where and for whom every line is written: sandbox or not, and the acting principal (none on stdio). */
export interface AuditScope {
  sandbox: boolean;
  principal?: string | undefined;
}

/** One line about one tunnel, with what every line carries. */
export function auditEntry(
  event: AuditEvent,
  tunnel: { accountId: string; tunnelId: string },
  scope: AuditScope,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    event,
    account_id: tunnel.accountId,
    ipsec_tunnel_id: tunnel.tunnelId,
    sandbox: scope.sandbox,
    ...(scope.principal === undefined ? {} : { principal: scope.principal }),
    ...extra,
  };
}

/** An audit record as read back, with its time. */
export type AuditRecord = AuditEntry & { time: string };

function isRecord(value: unknown): value is AuditRecord {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<AuditRecord>;
  return (
    typeof entry.time === 'string' &&
    typeof entry.event === 'string' &&
    typeof entry.account_id === 'string' &&
    typeof entry.ipsec_tunnel_id === 'string'
  );
}

/**
 * `<dir>/audit.jsonl` (0600): one JSON line per event, appended by every server process that shares the key
 * directory. Appends are single writes to a file opened with O_APPEND, so lines of several processes never mix.
 */
export class AuditLog {
  constructor(
    private readonly directory: KeyDirectory,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async path(): Promise<string> {
    return join(await this.directory.ensureRoot(), 'audit.jsonl');
  }

  /**
   * Appends one line. With `durable`, it is on disk before this resolves (the attempt line must survive a power
   * loss to tell of a crash). Throws when the line could not be written: the caller decides what that means.
   */
  append(entry: AuditEntry, options: { durable?: boolean } = {}): Promise<void> {
    return this.appendAll([entry], options);
  }

  /**
   * Appends several lines in one write (the attempt lines of a Set PSKs request: all on disk, or the request is
   * not sent). Same guarantees as `append`.
   */
  async appendAll(entries: readonly AuditEntry[], options: { durable?: boolean } = {}): Promise<void> {
    if (entries.length === 0) return;
    const time = this.now().toISOString();
    const handle = await this.directory.appendFile(await this.path());
    try {
      await handle.write(entries.map((entry) => `${JSON.stringify({ time, ...entry })}\n`).join(''));
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Every well-formed record, oldest first; an unreadable line (a torn write) is skipped. */
  async read(): Promise<AuditRecord[]> {
    const text = await this.directory.readFile(await this.path());
    const records: AuditRecord[] = [];
    for (const line of text?.split('\n') ?? []) {
      if (line === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (isRecord(value)) records.push(value);
      } catch {
        // A line cut short by a crash; the lines around it still count.
      }
    }
    return records;
  }
}
