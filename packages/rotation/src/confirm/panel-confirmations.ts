import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '@ipsec-psk/core';
import type { FleetTunnelFacts, RevealableKey, Revealed, TunnelFacts } from '../types.js';
import { CONSENT_ID, type ConsentDirectory, type ConsentRecord, newConsentId } from './consent-dir.js';

/** How long the user has to answer the panel. */
export const PANEL_CONFIRMATION_TTL_MS = 10 * 60_000;
/** How long after a rotation the panel may show its key. */
const REVEAL_WINDOW_MS = 10 * 60_000;

/** Why a panel's call was refused. */
export type PanelRefusal =
  | 'unknown'
  | 'expired'
  | 'claimed'
  | 'answered'
  | 'wrong_secret'
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

/** An issued confirmation: its id (the model sees it), the View's secret (the model never does), its expiry. */
export interface IssuedPanel {
  id: string;
  secret: string;
  expiresAt: Date;
}

/** Reads a stored key back, for Reveal; undefined when the file is gone. */
export type KeyReader = (file: string) => Promise<Secret | undefined>;

interface PanelRecord extends ConsentRecord {
  subject: PanelSubject;
}

interface Kept {
  file: string | undefined;
  fingerprint: string;
  until: number;
  configFile?: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');
const principalDigest = (principal: string) =>
  createHash('sha256').update(principal).digest('base64url').slice(0, 22);

function sameDigest(stored: string | undefined, given: string): boolean {
  if (stored === undefined) return false;
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(digest(given), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Confirmations answered by a click in the MCP App's panel. The model sees only the confirmation's id. Opening it
 * takes a second secret the server puts only in the result's `_meta`, which MCP Apps hosts hand to the View and not
 * to the model; opening hands out a nonce, once; only the nonce answers. So a model that reaches an app-only tool
 * still cannot confirm from anything it saw, a second opening (by anyone) is refused, and a wrong secret or nonce
 * spends the confirmation. Each is bound to its principal and its subject (fixed when issued), single-use and
 * short-lived, and lives under the key directory, so it survives the server instance and process that issued it.
 */
export class PanelConfirmations {
  /** Keys kept for Reveal that no file holds (it could not be stored anywhere): the last copy, in this process. */
  private readonly unfiled = new Map<string, Secret>();

  constructor(
    private readonly consent: ConsentDirectory,
    private readonly readKey: KeyReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** A confirmation of one tunnel's rotation. */
  issue(accountId: string, tunnelId: string, facts: TunnelFacts, principal: string): Promise<IssuedPanel> {
    return this.add({ kind: 'tunnel', accountId, tunnelId, facts: { ...facts } }, principal);
  }

  /** A confirmation of one bulk rotation: the account and exactly these tunnels, as known when asked. */
  issueFleet(
    accountId: string,
    tunnels: readonly FleetTunnelFacts[],
    principal: string,
  ): Promise<IssuedPanel> {
    const copies = tunnels.map((tunnel) => ({ ...tunnel }));
    const tunnelIds = copies.map((tunnel) => tunnel.id);
    if (tunnelIds.length === 0 || new Set(tunnelIds).size !== tunnelIds.length) {
      throw new RangeError('a bulk confirmation names one or more tunnels, each once');
    }
    return this.add({ kind: 'fleet', accountId, tunnelIds, tunnels: copies }, principal);
  }

  private async add(subject: PanelSubject, principal: string): Promise<IssuedPanel> {
    const issuedAt = this.now();
    const id = newConsentId();
    const record: PanelRecord = {
      issuedAt,
      expiresAt: issuedAt + PANEL_CONFIRMATION_TTL_MS,
      principal: principalDigest(principal),
      subject,
    };
    await this.consent.create(id, record);
    return { id, secret: await this.consent.sign(`panel:${id}`), expiresAt: new Date(record.expiresAt) };
  }

  /** The record, if it exists, belongs to `principal` and was not discarded. */
  private async live(id: string, principal: string): Promise<PanelRecord | 'unknown'> {
    if (!CONSENT_ID.test(id)) return 'unknown';
    const record = await this.consent.read<PanelRecord>(id);
    if (!record || record.principal !== principalDigest(principal)) return 'unknown';
    if ((await this.consent.marker(id, 'discarded')) !== undefined) return 'unknown';
    return record;
  }

  private async discard(id: string): Promise<void> {
    await this.consent.mark(id, 'discarded');
    await this.consent.unmark(id, 'kept');
  }

  private pending(id: string, record: PanelRecord): PanelPending {
    return deepFreeze({ ...record.subject, id, issuedAt: record.issuedAt });
  }

  /** Hands out the nonce, once, to whoever shows the View's secret: the panel, as soon as it shows the question. */
  async claim(
    id: string,
    secret: string,
    principal: string,
  ): Promise<{ nonce: string; pending: PanelPending } | PanelRefusal> {
    const record = await this.live(id, principal);
    if (record === 'unknown') return record;
    if (!(await this.consent.verify(`panel:${id}`, secret))) {
      await this.discard(id);
      return 'wrong_secret';
    }
    if (record.expiresAt <= this.now()) return 'expired';
    const nonce = randomBytes(24).toString('base64url');
    if ((await this.consent.mark(id, 'claimed', digest(nonce))) === 'exists') return 'claimed';
    return { nonce, pending: this.pending(id, record) };
  }

  /** Spends the confirmation for the user's answer; a wrong nonce spends it too. */
  async answer(id: string, nonce: string, principal: string): Promise<PanelPending | PanelRefusal> {
    const record = await this.live(id, principal);
    if (record === 'unknown') return record;
    if (!sameDigest(await this.consent.marker(id, 'claimed'), nonce)) {
      await this.discard(id);
      return 'wrong_nonce';
    }
    if ((await this.consent.marker(id, 'answered')) !== undefined) return 'answered';
    if (record.expiresAt <= this.now()) return 'expired';
    if ((await this.consent.mark(id, 'answered')) === 'exists') return 'answered';
    return this.pending(id, record);
  }

  /** Keeps a rotation's key for the panel's Reveal, for a while (one tunnel's rotation only). */
  async keep(id: string, key: RevealableKey): Promise<void> {
    const record = await this.consent.read<PanelRecord>(id);
    if (record?.subject.kind !== 'tunnel') return;
    const kept: Kept = {
      file: key.file,
      fingerprint: key.fingerprint,
      until: this.now() + REVEAL_WINDOW_MS,
      ...(key.configFile ? { configFile: key.configFile } : {}),
    };
    if (key.file === undefined) this.unfiled.set(id, key.psk);
    await this.consent.unmark(id, 'kept');
    await this.consent.mark(id, 'kept', JSON.stringify(kept));
  }

  /** The key, for the panel that confirmed its rotation; a wrong nonce forgets it. */
  async reveal(id: string, nonce: string, principal: string): Promise<Revealed | PanelRefusal> {
    const record = await this.live(id, principal);
    if (record === 'unknown') return record;
    if (!sameDigest(await this.consent.marker(id, 'claimed'), nonce)) {
      await this.discard(id);
      this.unfiled.delete(id);
      return 'wrong_nonce';
    }
    if (record.subject.kind === 'fleet') return 'several_keys';
    const text = await this.consent.marker(id, 'kept');
    if (text === undefined) return 'no_key';
    const kept = JSON.parse(text) as Kept;
    if (kept.until <= this.now()) {
      await this.consent.unmark(id, 'kept');
      this.unfiled.delete(id);
      return 'expired';
    }
    const psk = this.unfiled.get(id) ?? (kept.file === undefined ? undefined : await this.readKey(kept.file));
    if (!psk) return 'no_key';
    // The configuration text holds the key too: read from its file now, like the key, and shown with it.
    const config = kept.configFile === undefined ? undefined : await this.readKey(kept.configFile);
    return { psk, fingerprint: kept.fingerprint, file: kept.file, configFile: kept.configFile, config };
  }
}

/** What the user was asked about cannot change after the question, whoever holds the objects. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
