/**
 * The HTTP transport's first way in: operator-issued bearer tokens (hashes in a list); OAuth is http-oauth.test.ts.
 * Tested hard because a token accepted by mistake can break every tunnel of the account, and because a token echoed
 * into an error ends up in logs.
 */
import * as crypto from 'node:crypto';
import { ConfigError } from '@ipsec-psk/rotation';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import {
  bearerTokenVerifier,
  hashToken,
  newToken,
  parseTokenList,
  SCOPES,
  TOKEN_PREFIX,
} from './http/bearer-tokens.js';
import { everything, refusal, SENTINEL_TOKEN, SETTING } from './test-support/auth-errors.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const SENTINEL_HASH = hashToken(SENTINEL_TOKEN);
const SENTINEL_HEX = SENTINEL_HASH.slice('sha256:'.length);

function listError(text: string): ConfigError {
  try {
    parseTokenList(text, SETTING);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('parseTokenList accepted the list');
}

describe('parseTokenList', () => {
  it('reads names, hashes and scopes; skips blank lines and comments; both scopes by default', () => {
    const upper = hashToken('b').slice('sha256:'.length).toUpperCase();
    const entries = parseTokenList(
      [
        '\uFEFF# tokens for the rotation server',
        '',
        `alice@example.com ${hashToken('a')} psk:validate psk:rotate`,
        `   ci.bot-1   sha256:${upper}   psk:validate   # read-only, for the nightly check`,
        '\t',
        `ops_team ${hashToken('c')}\r`,
        `renovate ${hashToken('d')} psk:rotate psk:rotate`,
      ].join('\n'),
      SETTING,
    );
    expect(entries).toEqual([
      { name: 'alice@example.com', hash: hashToken('a'), scopes: ['psk:validate', 'psk:rotate'], line: 3 },
      { name: 'ci.bot-1', hash: hashToken('b'), scopes: ['psk:validate'], line: 4 },
      { name: 'ops_team', hash: hashToken('c'), scopes: ['psk:validate', 'psk:rotate'], line: 6 },
      { name: 'renovate', hash: hashToken('d'), scopes: ['psk:rotate'], line: 7 },
    ]);
  });

  it.each([
    ['a name with a character outside the set', `al!ce ${SENTINEL_HASH}`, /name is 1-64 characters/],
    ['a name longer than 64 characters', `${'n'.repeat(65)} ${SENTINEL_HASH}`, /name is 1-64 characters/],
    ['no hash', 'alice', /expected a name, then sha256:/],
    ['the token itself in place of its hash', `alice ${SENTINEL_TOKEN}`, /looks like a token itself/],
    ['a hash without its sha256: prefix', `alice ${SENTINEL_HEX}`, /sha256: followed by 64 hex digits/],
    ['a hash of another algorithm', `alice sha512:${SENTINEL_HEX}`, /sha256: followed by 64 hex digits/],
    ['a hash too short', `alice ${SENTINEL_HASH.slice(0, -1)}`, /sha256: followed by 64 hex digits/],
    ['a hash that is not hex', `alice sha256:${'g'.repeat(64)}`, /sha256: followed by 64 hex digits/],
    [
      'an unknown scope',
      `alice ${SENTINEL_HASH} psk:validate psk:admin`,
      /unknown scope; the scopes are psk:validate/,
    ],
  ])('refuses %s, naming the setting and the line, never echoing the line', (_, line, rule) => {
    const error = listError(`# header\n\n${line}\n`);
    expect(error.setting).toBe(SETTING);
    expect(error.message).toMatch(new RegExp(`^${SETTING}, line 3: `));
    expect(error.message).toMatch(rule);
    const text = everything(error);
    expect(text).not.toContain(SENTINEL_TOKEN);
    expect(text).not.toContain(SENTINEL_HEX);
    expect(text).not.toContain('al!ce');
    expect(text).not.toContain('psk:admin');
  });

  it('refuses a name used twice, and the same hash twice (whatever its case)', () => {
    const name = listError(`alice ${hashToken('a')}\n\nalice ${SENTINEL_HASH}`);
    expect(name.message).toBe(
      `${SETTING}, line 3: the name is already used on line 1; each token needs its own name.`,
    );
    const hash = listError(`alice ${SENTINEL_HASH}\nbob sha256:${SENTINEL_HEX.toUpperCase()}`);
    expect(hash.message).toBe(
      `${SETTING}, line 2: the same token hash as line 1; give each client its own token.`,
    );
    for (const error of [name, hash]) {
      expect(error.setting).toBe(SETTING);
      expect(everything(error)).not.toContain(SENTINEL_HEX);
      expect(everything(error).toLowerCase()).not.toContain(SENTINEL_HEX);
    }
  });

  it('refuses a list without any token: it would let nobody in', () => {
    for (const text of ['', '\n\n', '# only a comment\n   \n']) {
      const error = listError(text);
      expect(error.setting).toBe(SETTING);
      expect(error.message).toMatch(/holds no token/);
    }
  });
});

describe('newToken and hashToken', () => {
  it('hashToken is sha256: and the hex SHA-256 of the UTF-8 bytes', () => {
    expect(hashToken('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('makes distinct 32-byte base64url tokens with the prefix, whose hash goes in the list', async () => {
    const tokens = Array.from({ length: 20 }, () => newToken());
    expect(new Set(tokens).size).toBe(20);
    for (const token of tokens) {
      expect(token).toMatch(/^ipsk_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
    }
    const [token = ''] = tokens;
    const entries = parseTokenList(`alice ${hashToken(token)} psk:validate`, SETTING);
    const info = await bearerTokenVerifier(entries).verifyAccessToken(token);
    expect(info.clientId).toBe('alice');
  });
});

describe('bearerTokenVerifier', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const entries = parseTokenList(
    [
      `alice ${hashToken('first-token')}`,
      `ci ${SENTINEL_HASH} psk:validate`,
      `bob ${hashToken('third-token')} psk:rotate`,
    ].join('\n'),
    SETTING,
  );
  const verifier = bearerTokenVerifier(entries, () => now);

  it('gives the right token its name as client and principal, its scopes and an expiry an hour ahead', async () => {
    await expect(verifier.verifyAccessToken(SENTINEL_TOKEN)).resolves.toEqual({
      token: SENTINEL_TOKEN,
      clientId: 'ci',
      scopes: [SCOPES.validate],
      expiresAt: now.getTime() / 1000 + 3600,
      extra: { principal: 'ci' },
    });
    const alice = await verifier.verifyAccessToken('first-token');
    expect(alice.extra).toEqual({ principal: 'alice' });
    expect(alice.scopes).toEqual(['psk:validate', 'psk:rotate']);
  });

  it('compares the presented token with every entry, in constant time, also when the first one matches', async () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    for (const token of ['first-token', 'third-token', 'no-such-token']) {
      compare.mockClear();
      await verifier.verifyAccessToken(token).catch(() => undefined);
      expect(compare).toHaveBeenCalledTimes(entries.length);
    }
  });

  it('refuses a wrong token as an invalid token, never quoting the token', async () => {
    for (const token of [
      `${SENTINEL_TOKEN}x`,
      SENTINEL_TOKEN.slice(0, -1),
      SENTINEL_HASH,
      SENTINEL_HEX,
      SENTINEL_TOKEN.toUpperCase(),
      '',
    ]) {
      const error = await refusal(verifier, token);
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ code: OAuthErrorCode.InvalidToken });
      expect(error.message).toBe('Unknown bearer token');
      const text = everything(error);
      expect(text).not.toContain('SENTINEL');
      expect(text).not.toContain(SENTINEL_HEX);
    }
  });

  it('lets nobody in with an empty list', async () => {
    await expect(bearerTokenVerifier([]).verifyAccessToken(SENTINEL_TOKEN)).rejects.toMatchObject({
      code: OAuthErrorCode.InvalidToken,
    });
  });
});
