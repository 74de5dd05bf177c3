import { createHash, randomBytes } from 'node:crypto';
import type { TunnelFacts } from './rotation-types.js';

/** Why a confirmation token was refused. */
export type TokenRefusal = 'unknown' | 'expired' | 'mismatch';

interface Pending {
  accountId: string;
  tunnelId: string;
  issuedAt: number;
  expiresAt: number;
  facts: TunnelFacts;
}

/** A redeemed token: when the question it answers was asked, and what was known of the tunnel then. */
export interface Redeemed {
  issuedAt: number;
  /** Kept from the question, so confirming costs no second validation round trip. */
  facts: TunnelFacts;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Single-use confirmation tokens for clients that cannot ask the user themselves. A token is bound to one
 * (account, tunnel) and expires; any use, right or wrong, spends it, so a guessed or replayed token gains nothing.
 */
export class ConfirmationTokens {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(accountId: string, tunnelId: string, facts: TunnelFacts): { token: string; expiresAt: Date } {
    this.sweep();
    const token = `psk-confirm-${randomBytes(24).toString('base64url')}`;
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.ttlMs;
    this.pending.set(digest(token), { accountId, tunnelId, issuedAt, expiresAt, facts });
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** Spends the token; says when its question was asked if it confirms exactly this (account, tunnel), else why not. */
  redeem(token: string, accountId: string, tunnelId: string): Redeemed | TokenRefusal {
    const key = digest(token);
    const entry = this.pending.get(key);
    this.pending.delete(key);
    if (!entry) return 'unknown';
    if (entry.expiresAt <= this.now()) return 'expired';
    if (entry.accountId !== accountId || entry.tunnelId !== tunnelId) return 'mismatch';
    return { issuedAt: entry.issuedAt, facts: entry.facts };
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(key);
  }
}
