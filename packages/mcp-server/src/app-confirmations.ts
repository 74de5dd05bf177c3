import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Secret } from '@ipsec-psk/core';
import type { TunnelFacts } from './rotation-types.js';

/** How long the user has to answer the panel. */
export const APP_CONFIRMATION_TTL_MS = 10 * 60_000;
/** How long after a rotation the panel may show its key. */
export const APP_REVEAL_WINDOW_MS = 10 * 60_000;

/** Why a panel's call was refused. */
export type AppRefusal = 'unknown' | 'expired' | 'claimed' | 'answered' | 'wrong_nonce' | 'no_key';

/** A rotation waiting for the user's click in the MCP App. */
export interface AppPending {
  id: string;
  accountId: string;
  tunnelId: string;
  issuedAt: number;
  /** What was known of the tunnel when the question was asked: confirming costs no second validation. */
  facts: TunnelFacts;
}

/** A key the panel may show, for a while after its rotation. */
export interface RevealableKey {
  psk: Secret;
  fingerprint: string;
  file: string | undefined;
}

interface Entry extends AppPending {
  expiresAt: number;
  nonce?: Buffer;
  answered: boolean;
  key?: RevealableKey;
  revealUntil?: number;
}

const digest = (nonce: string) => createHash('sha256').update(nonce).digest();

/**
 * Confirmations answered by a click in the MCP App's panel. The model sees only the confirmation's id; what
 * confirms is a nonce the panel claims once, through an app-only tool whose result reaches the panel alone. So
 * replaying what the model saw confirms nothing, a second claim (by anyone) is refused, and a wrong nonce spends
 * the confirmation. Each is bound to its account and tunnel, single-use and short-lived.
 */
export class AppConfirmations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = APP_CONFIRMATION_TTL_MS,
    private readonly revealWindowMs = APP_REVEAL_WINDOW_MS,
  ) {}

  issue(accountId: string, tunnelId: string, facts: TunnelFacts): { id: string; expiresAt: Date } {
    this.sweep();
    const issuedAt = this.now();
    const entry: Entry = {
      id: randomUUID(),
      accountId,
      tunnelId,
      issuedAt,
      facts,
      expiresAt: issuedAt + this.ttlMs,
      answered: false,
    };
    this.entries.set(entry.id, entry);
    return { id: entry.id, expiresAt: new Date(entry.expiresAt) };
  }

  private live(id: string): Entry | AppRefusal {
    const entry = this.entries.get(id);
    if (!entry) return 'unknown';
    if (!entry.answered && entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return 'expired';
    }
    return entry;
  }

  /** Hands out the nonce, once: the panel claims it as soon as it shows the question. */
  claim(id: string): { nonce: string; pending: AppPending } | AppRefusal {
    const entry = this.live(id);
    if (typeof entry === 'string') return entry;
    if (entry.nonce || entry.answered) return 'claimed';
    const nonce = randomBytes(24).toString('base64url');
    entry.nonce = digest(nonce);
    return { nonce, pending: this.pending(entry) };
  }

  private check(entry: Entry, nonce: string): boolean {
    return entry.nonce !== undefined && timingSafeEqual(entry.nonce, digest(nonce));
  }

  /** Spends the confirmation for the user's answer; any wrong nonce spends it too. */
  answer(id: string, nonce: string): AppPending | AppRefusal {
    const entry = this.live(id);
    if (typeof entry === 'string') return entry;
    if (entry.answered) return 'answered';
    if (!this.check(entry, nonce)) {
      this.entries.delete(id);
      return 'wrong_nonce';
    }
    entry.answered = true;
    return this.pending(entry);
  }

  /** Keeps a rotation's key for the panel's Reveal, for a while. */
  keep(id: string, key: RevealableKey): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.key = key;
    entry.revealUntil = this.now() + this.revealWindowMs;
  }

  /** The key, for the panel that confirmed its rotation; a wrong nonce forgets it. */
  reveal(id: string, nonce: string): RevealableKey | AppRefusal {
    const entry = this.entries.get(id);
    if (!entry) return 'unknown';
    if (!this.check(entry, nonce)) {
      this.entries.delete(id);
      return 'wrong_nonce';
    }
    if (!entry.key || entry.revealUntil === undefined) return 'no_key';
    if (entry.revealUntil <= this.now()) {
      this.entries.delete(id);
      return 'expired';
    }
    return entry.key;
  }

  private pending({ id, accountId, tunnelId, issuedAt, facts }: Entry): AppPending {
    return { id, accountId, tunnelId, issuedAt, facts };
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      const until = entry.answered ? (entry.revealUntil ?? entry.expiresAt) : entry.expiresAt;
      if (until <= now) this.entries.delete(id);
    }
  }
}
