import { createHash, randomBytes } from 'node:crypto';

/** Why a confirmation token was refused. */
export type TokenRefusal = 'unknown' | 'expired' | 'mismatch';

/** What the model is told of a refused token of `tool`, bound to `subject` (e.g. "account or tunnel"). */
export function tokenRefusalText(refusal: TokenRefusal, tool: string, subject: string): string {
  const why = {
    unknown: 'is not one this server issued, or was already used',
    expired: 'has expired',
    mismatch: `was issued for a different ${subject}`,
  }[refusal];
  return (
    `The confirmation_token ${why}; nothing was sent. Call ${tool} without a token to get a new confirmation ` +
    'question for the user.'
  );
}

interface Pending<T> {
  subject: string;
  issuedAt: number;
  expiresAt: number;
  data: T;
}

/** A redeemed token: when the question it answers was asked, and what was known then. */
export interface Redeemed<T> {
  issuedAt: number;
  /** Kept from the question, so confirming costs no second validation round trip. */
  data: T;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Single-use confirmation tokens for clients that cannot ask the user themselves. A token is bound to one subject
 * (an account and a tunnel, or an account and a set of tunnels) and expires; any use, right or wrong, spends it,
 * so a guessed or replayed token gains nothing.
 */
export class ConfirmationTokens<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(subject: string, data: T): { token: string; expiresAt: Date } {
    this.sweep();
    const token = `psk-confirm-${randomBytes(24).toString('base64url')}`;
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.ttlMs;
    this.pending.set(digest(token), { subject, issuedAt, expiresAt, data });
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** Spends the token; says when its question was asked if it confirms exactly this subject, else why not. */
  redeem(token: string, subject: string): Redeemed<T> | TokenRefusal {
    const key = digest(token);
    const entry = this.pending.get(key);
    this.pending.delete(key);
    if (!entry) return 'unknown';
    if (entry.expiresAt <= this.now()) return 'expired';
    if (entry.subject !== subject) return 'mismatch';
    return { issuedAt: entry.issuedAt, data: entry.data };
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(key);
  }
}
