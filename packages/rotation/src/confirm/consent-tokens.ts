import { createHash } from 'node:crypto';
import { CONSENT_ID, type ConsentDirectory, type ConsentRecord, newConsentId } from './consent-dir.js';

/**
 * Who carries a token back. `token`: the model, in the two-step flow (the user's agreement is relayed by the model).
 * `form`: the client, as MCP 2026-07-28's `requestState` beside the user's answer to the form. `reveal`: the client,
 * as the `requestState` of a finished rotation's last round (the user was offered the key's one-time page). A token
 * of one kind never counts as another: a `requestState` must not become a model-held confirmation.
 */
export type ConsentKind = 'token' | 'form' | 'reveal';

/** What a confirmation confirms: exactly this action on exactly these tunnels of this account. */
export interface ConsentRequest {
  action: 'generate' | 'fleet' | 'restore';
  accountId: string;
  tunnelIds: readonly string[];
}

/** Why a token was refused; any attempt spends it first, so a refused token never works later either. */
export type TokenRefusal = 'unknown' | 'expired' | 'mismatch' | 'principal';

/** A redeemed token: when the question it answers was asked, and what was known then. */
export interface Redeemed<T> {
  issuedAt: number;
  /** What was known when the question was asked (undefined if its record was lost). */
  data: T | undefined;
}

/** What the model is told of a refused token of `tool`, bound to `subject` (e.g. "account or tunnel"). */
export function tokenRefusalText(refusal: TokenRefusal, tool: string, subject: string): string {
  const why = {
    unknown: 'is not one this server issued, or was already used',
    expired: 'has expired',
    mismatch: `was issued for a different ${subject}`,
    principal: 'was issued to someone else',
  }[refusal];
  return (
    `The confirmation_token ${why}; nothing was sent. Call ${tool} without a token to get a new confirmation ` +
    'question for the user.'
  );
}

const PREFIX = 'psk-confirm-';
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/** The request, canonical: the order tunnels were named in does not matter. */
const requestDigest = (request: ConsentRequest) =>
  digest(JSON.stringify([request.action, request.accountId, [...request.tunnelIds].sort()]));

/** What a token says about itself; signed, so nobody but a process holding the secret can write one. */
interface Payload {
  /** The confirmation's id. */
  i: string;
  k: ConsentKind;
  /** Digest of the request. */
  r: string;
  /** Digest of the principal. */
  p: string;
  /** Issued, expires (ms since the epoch). */
  t: number;
  e: number;
}

interface TokenRecord extends ConsentRecord {
  data: unknown;
}

function parse(token: string): { body: string; mac: string; payload: Payload } | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  const [body, mac, ...rest] = token.slice(PREFIX.length).split('.');
  if (!body || !mac || rest.length > 0) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    if (typeof payload.i !== 'string' || !CONSENT_ID.test(payload.i)) return undefined;
    return { body, mac, payload };
  } catch {
    return undefined;
  }
}

/**
 * Single-use confirmation tokens that outlive a connection: integrity-protected (HMAC-SHA256 under the key
 * directory's secret), bound to the principal and to a digest of the exact request, expiring, and spent on the
 * server (a marker under the key directory, shared by every process using it). One store serves every tool, so a
 * token spent by one tool is spent for all.
 */
export class ConsentTokens {
  constructor(
    private readonly consent: ConsentDirectory,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Issues a token for `request`, bound to `principal`; `data` (what the question showed) is kept on disk. */
  async issue(
    kind: ConsentKind,
    request: ConsentRequest,
    principal: string,
    data: unknown,
  ): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = this.now();
    const payload: Payload = {
      i: newConsentId(),
      k: kind,
      r: requestDigest(request),
      p: digest(principal),
      t: issuedAt,
      e: issuedAt + this.ttlMs,
    };
    const record: TokenRecord = { issuedAt, expiresAt: payload.e, principal: payload.p, data };
    await this.consent.create(payload.i, record);
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${PREFIX}${body}.${await this.consent.sign(body)}`, expiresAt: new Date(payload.e) };
  }

  /** Whether `token` is one this key directory signed (nothing is spent): for a check before any work. */
  async isSigned(token: string): Promise<boolean> {
    return (await this.kindOf(token)) !== undefined;
  }

  /** The kind of a token this key directory signed (nothing is spent); undefined for anything else. */
  async kindOf(token: string): Promise<ConsentKind | undefined> {
    const parsed = parse(token);
    if (!parsed || !(await this.consent.verify(parsed.body, parsed.mac))) return undefined;
    return parsed.payload.k;
  }

  /**
   * Spends the token, then says whether it confirms exactly `request` of `kind` for `principal`, still in time. Any
   * attempt with a genuine token spends it, right or wrong; a token nobody signed cannot be spent (nor confirm).
   */
  async redeem<T>(
    token: string,
    kind: ConsentKind,
    request: ConsentRequest,
    principal: string,
  ): Promise<Redeemed<T> | TokenRefusal> {
    const parsed = parse(token);
    if (!parsed || !(await this.consent.verify(parsed.body, parsed.mac))) return 'unknown';
    const { payload } = parsed;
    if ((await this.consent.mark(payload.i, 'spent')) === 'exists') return 'unknown';
    if (payload.k !== kind) return 'unknown';
    if (payload.e <= this.now()) return 'expired';
    if (payload.p !== digest(principal)) return 'principal';
    if (payload.r !== requestDigest(request)) return 'mismatch';
    const record = await this.consent.read<TokenRecord>(payload.i).catch(() => undefined);
    return { issuedAt: payload.t, data: record?.data as T | undefined };
  }
}
