/**
 * Operator-issued bearer tokens for the HTTP transport, for sites that run no OAuth authorization server.
 *
 * Whoever holds a token can break every tunnel of the account, so the server never keeps a token itself: the
 * operator's list holds only SHA-256 hashes, and a leaked list (or backup, or log of it) lets nobody in. Tokens are
 * 32 random bytes, so a plain hash is enough (no password stretching: nothing to brute-force). A presented token is
 * compared with every entry in constant time, so the time a refusal takes says nothing about which hash it came
 * close to, nor about how many entries there are before the matching one. Errors name the setting, the line and the
 * rule, never what the line holds: an operator who pasted a real token into the list must not see it echoed to a log.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@ipsec-psk/rotation';
import {
  type AuthInfo,
  OAuthError,
  OAuthErrorCode,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';

/** A refusal the SDK's bearer middleware answers 401 with (`WWW-Authenticate: Bearer error="invalid_token"`). */
const invalidToken = (reason: string) => new OAuthError(OAuthErrorCode.InvalidToken, reason);

/** What a token may do. `psk:validate`: list tunnels and validate-only calls; `psk:rotate`: real rotations. */
export const SCOPES = { validate: 'psk:validate', rotate: 'psk:rotate' } as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

const ALL_SCOPES: readonly Scope[] = [SCOPES.validate, SCOPES.rotate];

/** The recognisable start of a token made by {@link newToken}: secret scanners and people can tell what leaked. */
export const TOKEN_PREFIX = 'ipsk_';

/** How long a verified bearer token counts as valid: the SDK's middleware refuses an AuthInfo without an expiry. */
const AUTH_INFO_LIFETIME_SECONDS = 3600;

/** One line of the operator's token list. */
export interface TokenEntry {
  /** Who holds the token: the principal named in the audit log. */
  readonly name: string;
  /** `sha256:` and 64 lowercase hex digits. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  /** Where in the list it was written (1-based), for messages. */
  readonly line: number;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const HASH = /^sha256:[0-9a-fA-F]{64}$/;
export const NAME_RULE = "a name is 1-64 characters of letters, digits, '.', '_', '@' and '-'";
const HASH_RULE =
  'the second field must be sha256: followed by 64 hex digits (the hash of the token, not the token)';

/** Whether `name` may name a token (and so a principal of the audit log). */
export function isTokenName(name: string): boolean {
  return NAME.test(name);
}

/** `sha256:` and the hex SHA-256 of the token's UTF-8 bytes: what the token list holds in place of the token. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** A fresh token: {@link TOKEN_PREFIX} and 32 random bytes, base64url. Give it to the client; keep only its hash. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * Reads a token list: one `<name> sha256:<64 hex> [scope ...]` a line, blank lines and `#` comments ignored, scopes
 * `psk:validate` and `psk:rotate` (both when none is written). Throws a {@link ConfigError} naming `setting`, the
 * line and the broken rule; a list without any token is refused too, since it would let nobody in.
 */
export function parseTokenList(text: string, setting: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const byName = new Map<string, number>();
  const byHash = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const fail = (rule: string): never => {
      throw new ConfigError(setting, `${setting}, line ${line}: ${rule}.`);
    };
    const hashAt = raw.indexOf('#');
    const fields = (hashAt === -1 ? raw : raw.slice(0, hashAt)).trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const [name = '', hash, ...scopeFields] = fields;
    if (!NAME.test(name)) fail(NAME_RULE);
    if (hash === undefined)
      fail('expected a name, then sha256: and the hash of the token, then optional scopes');
    if (hash?.startsWith(TOKEN_PREFIX))
      fail(`this looks like a token itself; write only its hash (${HASH_RULE})`);
    if (!HASH.test(hash ?? '')) fail(HASH_RULE);
    const scopes: Scope[] = [];
    for (const scope of scopeFields) {
      if (!(ALL_SCOPES as readonly string[]).includes(scope)) {
        fail(`unknown scope; the scopes are ${ALL_SCOPES.join(' and ')}`);
      }
      if (!scopes.includes(scope as Scope)) scopes.push(scope as Scope);
    }
    const normalised = (hash ?? '').toLowerCase();
    const nameLine = byName.get(name);
    if (nameLine !== undefined)
      fail(`the name is already used on line ${nameLine}; each token needs its own name`);
    const hashLine = byHash.get(normalised);
    if (hashLine !== undefined)
      fail(`the same token hash as line ${hashLine}; give each client its own token`);
    byName.set(name, line);
    byHash.set(normalised, line);
    entries.push({ name, hash: normalised, scopes: scopes.length > 0 ? scopes : [...ALL_SCOPES], line });
  }
  if (entries.length === 0) {
    throw new ConfigError(
      setting,
      `${setting} holds no token: add a line "<name> sha256:<hash> [scope ...]".`,
    );
  }
  return entries;
}

/**
 * Verifies a presented bearer token against the list: hashes it and compares the hash with every entry, always all
 * of them, in constant time. No match is an invalid-token refusal (`OAuthError`), with a fixed message. A match gives the
 * entry's name as client and principal, its scopes, and an expiry an hour ahead (the tokens themselves do not
 * expire: they last until taken off the list).
 */
export function bearerTokenVerifier(
  entries: readonly TokenEntry[],
  now: () => Date = () => new Date(),
): OAuthTokenVerifier {
  const known = entries.map((entry) => ({
    entry,
    digest: Buffer.from(entry.hash.slice('sha256:'.length), 'hex'),
  }));
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const presented = createHash('sha256').update(token, 'utf8').digest();
      let match: TokenEntry | undefined;
      for (const { entry, digest } of known) {
        // Every entry is compared, whether or not an earlier one matched: no early exit.
        const equal = timingSafeEqual(presented, digest);
        match = equal && match === undefined ? entry : match;
      }
      if (match === undefined) throw invalidToken('Unknown bearer token');
      return {
        token,
        clientId: match.name,
        scopes: [...match.scopes],
        expiresAt: Math.floor(now().getTime() / 1000) + AUTH_INFO_LIFETIME_SECONDS,
        extra: { principal: match.name },
      };
    },
  };
}
