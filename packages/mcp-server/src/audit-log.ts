import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One audit record. It never holds a key, a credential or a confirmation token. */
export interface AuditEntry {
  event:
    | 'validated'
    | 'validation_failed'
    | 'confirmation_requested'
    | 'confirmation_refused'
    | 'declined'
    | 'cancelled'
    | 'rotation_attempt'
    | 'generated'
    | 'rotation_failed'
    | 'outcome_unknown'
    | 'store_failed';
  account_id: string;
  ipsec_tunnel_id: string;
  sandbox: boolean;
  code?: string;
  outcome?: string;
  rotated?: string;
  psk_fingerprint?: string;
  psk_file?: string;
}

/** Appends JSON lines to `<dir>/audit.jsonl` (mode 0600). */
export class AuditLog {
  readonly path: string;
  private prepared: Promise<void> | undefined;
  private permissionsSet = false;

  constructor(
    private readonly directory: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.path = join(directory, 'audit.jsonl');
  }

  async append(entry: AuditEntry): Promise<void> {
    this.prepared ??= mkdir(this.directory, { recursive: true, mode: 0o700 }).then(() => undefined);
    await this.prepared;
    await appendFile(this.path, `${JSON.stringify({ time: this.now().toISOString(), ...entry })}\n`, {
      mode: 0o600,
    });
    // appendFile's mode applies only when it creates the file, and the umask can narrow it; once is enough.
    if (!this.permissionsSet) {
      await chmod(this.path, 0o600);
      this.permissionsSet = true;
    }
  }
}
