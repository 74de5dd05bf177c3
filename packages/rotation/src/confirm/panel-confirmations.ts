import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FleetTunnelFacts, RevealableKey, TunnelFacts } from '../types.js';

/** How long the user has to answer the panel. */
export const PANEL_CONFIRMATION_TTL_MS = 10 * 60_000;
/** How long after a rotation the panel may show its key. */
const APP_REVEAL_WINDOW_MS = 10 * 60_000;

/** Why a panel's call was refused. */
export type PanelRefusal =
  | 'unknown'
  | 'expired'
  | 'claimed'
  | 'answered'
  | 'wrong_nonce'
  | 'no_key'
  /** A bulk rotation's keys are never shown in the panel: there are several, each in its own file. */
  | 'several_keys';

/** What one panel confirmation is about: one tunnel (generate_ipsec_psk) or a set of them (rotate_ipsec_psks). */
export type PanelSubject =
  | {
      kind: 'tunnel';
      accountId: string;
      tunnelId: string;
      /** What was known of the tunnel when the question was asked: confirming costs no second validation. */
      facts: TunnelFacts;
    }
  | {
      kind: 'fleet';
      accountId: string;
      /** The tunnels asked about, in the order asked, each once; the same order as `tunnels`. */
      tunnelIds: readonly string[];
      /** What was known of each tunnel when the question was asked (names, key ages). */
      tunnels: readonly FleetTunnelFacts[];
    };

/** A rotation waiting for the user's click in the MCP App. */
export type PanelPending = PanelSubject & { id: string; issuedAt: number };
/** A one-tunnel confirmation, as generate_ipsec_psk issues them. */
export type TunnelPending = Extract<PanelPending, { kind: 'tunnel' }>;
/** A bulk confirmation, as rotate_ipsec_psks issues them. */
export type FleetPending = Extract<PanelPending, { kind: 'fleet' }>;

interface Entry {
  pending: PanelPending;
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
 * the confirmation. Each is bound to its subject (an account and a tunnel, or an account and a set of tunnels, fixed
 * when it is issued: no call can change what it confirms), single-use and short-lived.
 */
export class PanelConfirmations {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A confirmation of one tunnel's rotation. */
  issue(accountId: string, tunnelId: string, facts: TunnelFacts): { id: string; expiresAt: Date } {
    return this.add({ kind: 'tunnel', accountId, tunnelId, facts: { ...facts } });
  }

  /** A confirmation of one bulk rotation: the account and exactly these tunnels, as known when asked. */
  issueFleet(accountId: string, tunnels: readonly FleetTunnelFacts[]): { id: string; expiresAt: Date } {
    // Copies, frozen: what the user is asked about cannot change after the question, whoever holds the arrays.
    const copies = Object.freeze(tunnels.map((tunnel) => Object.freeze({ ...tunnel })));
    const tunnelIds = Object.freeze(copies.map((tunnel) => tunnel.id));
    if (tunnelIds.length === 0 || new Set(tunnelIds).size !== tunnelIds.length) {
      throw new RangeError('a bulk confirmation names one or more tunnels, each once');
    }
    return this.add({ kind: 'fleet', accountId, tunnelIds, tunnels: copies });
  }

  private add(subject: PanelSubject): { id: string; expiresAt: Date } {
    this.sweep();
    const issuedAt = this.now();
    const id = randomUUID();
    const entry: Entry = {
      pending: Object.freeze({ ...subject, id, issuedAt }),
      expiresAt: issuedAt + PANEL_CONFIRMATION_TTL_MS,
      answered: false,
    };
    this.entries.set(id, entry);
    return { id, expiresAt: new Date(entry.expiresAt) };
  }

  private live(id: string): Entry | PanelRefusal {
    const entry = this.entries.get(id);
    if (!entry) return 'unknown';
    if (!entry.answered && entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return 'expired';
    }
    return entry;
  }

  /** Hands out the nonce, once: the panel claims it as soon as it shows the question. */
  claim(id: string): { nonce: string; pending: PanelPending } | PanelRefusal {
    const entry = this.live(id);
    if (typeof entry === 'string') return entry;
    if (entry.nonce || entry.answered) return 'claimed';
    const nonce = randomBytes(24).toString('base64url');
    entry.nonce = digest(nonce);
    return { nonce, pending: entry.pending };
  }

  private check(entry: Entry, nonce: string): boolean {
    return entry.nonce !== undefined && timingSafeEqual(entry.nonce, digest(nonce));
  }

  /** Spends the confirmation for the user's answer; any wrong nonce spends it too. */
  answer(id: string, nonce: string): PanelPending | PanelRefusal {
    const entry = this.live(id);
    if (typeof entry === 'string') return entry;
    if (entry.answered) return 'answered';
    if (!this.check(entry, nonce)) {
      this.entries.delete(id);
      return 'wrong_nonce';
    }
    entry.answered = true;
    return entry.pending;
  }

  /** Keeps a rotation's key for the panel's Reveal, for a while (one tunnel's rotation only). */
  keep(id: string, key: RevealableKey): void {
    const entry = this.entries.get(id);
    if (entry?.pending.kind !== 'tunnel') return;
    entry.key = key;
    entry.revealUntil = this.now() + APP_REVEAL_WINDOW_MS;
  }

  /** The key, for the panel that confirmed its rotation; a wrong nonce forgets it. */
  reveal(id: string, nonce: string): RevealableKey | PanelRefusal {
    const entry = this.entries.get(id);
    if (!entry) return 'unknown';
    if (!this.check(entry, nonce)) {
      this.entries.delete(id);
      return 'wrong_nonce';
    }
    if (entry.pending.kind === 'fleet') return 'several_keys';
    if (!entry.key || entry.revealUntil === undefined) return 'no_key';
    if (entry.revealUntil <= this.now()) {
      this.entries.delete(id);
      return 'expired';
    }
    return entry.key;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      const until = entry.answered ? (entry.revealUntil ?? entry.expiresAt) : entry.expiresAt;
      if (until <= now) this.entries.delete(id);
    }
  }
}
