/**
 * The HTTP transport's two ways in: operator-issued bearer tokens (hashes in a list) and OAuth access tokens (JWTs
 * from a real, local issuer). Tested hard because a token accepted by mistake can break every tunnel of the account,
 * and because a token echoed into an error ends up in logs. The last part runs both verifiers through the SDK's own
 * bearer middleware and metadata router, which is how the HTTP server uses them.
 */
import * as crypto from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthMetadataRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import express from 'express';
import { type CryptoKey, exportSPKI, generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config.js';
import {
  bearerTokenVerifier,
  hashToken,
  newToken,
  parseTokenList,
  SCOPES,
  TOKEN_PREFIX,
} from './http/bearer-tokens.js';
import {
  type AuthorizationServerMetadata,
  discoverAuthorizationServer,
  jwtVerifier,
  OAUTH_ISSUER_SETTING,
  PUBLIC_URL_SETTING,
} from './http/oauth.js';
import { type Issuer, startIssuer } from './test-support/oauth-issuer.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const SETTING = 'IPSEC_PSK_HTTP_TOKENS_FILE';
const SENTINEL_TOKEN = `${TOKEN_PREFIX}SENTINELbearerTokenQ7w8e9r0t1y2u3i4o5p6a7s8d9f0g1h`;
const SENTINEL_HASH = hashToken(SENTINEL_TOKEN);
const SENTINEL_HEX = SENTINEL_HASH.slice('sha256:'.length);

/** Everything an error could carry to a log or a client. */
function everything(error: unknown): string {
  const e = error as Error & { toResponseObject?: () => unknown };
  return [
    String(e),
    e.message,
    e.stack ?? '',
    JSON.stringify(e),
    JSON.stringify(e.toResponseObject?.() ?? null),
    String((e as { cause?: unknown }).cause ?? ''),
  ].join('\n');
}

function listError(text: string): ConfigError {
  try {
    parseTokenList(text, SETTING);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('parseTokenList accepted the list');
}

async function refusal(verifier: OAuthTokenVerifier, token: string): Promise<Error> {
  try {
    await verifier.verifyAccessToken(token);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the verifier accepted the token');
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

  it('refuses a wrong token with InvalidTokenError, never quoting the token', async () => {
    for (const token of [
      `${SENTINEL_TOKEN}x`,
      SENTINEL_TOKEN.slice(0, -1),
      SENTINEL_HASH,
      SENTINEL_HEX,
      SENTINEL_TOKEN.toUpperCase(),
      '',
    ]) {
      const error = await refusal(verifier, token);
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(error.message).toBe('Unknown bearer token');
      const text = everything(error);
      expect(text).not.toContain('SENTINEL');
      expect(text).not.toContain(SENTINEL_HEX);
    }
  });

  it('lets nobody in with an empty list', async () => {
    await expect(bearerTokenVerifier([]).verifyAccessToken(SENTINEL_TOKEN)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });
});

// --- OAuth: a real issuer on loopback -------------------------------------------------------------------------

const AUDIENCE = 'https://mcp.example.com/mcp';
const SENTINEL_SUB = 'SENTINEL-subject-9f8e7d';

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('OAuth resource server against a local issuer', () => {
  let idp: Issuer;
  let metadata: AuthorizationServerMetadata;
  let verifier: OAuthTokenVerifier;

  beforeAll(async () => {
    idp = await startIssuer();
    metadata = await discoverAuthorizationServer(new URL(idp.issuer));
    verifier = jwtVerifier({
      issuer: metadata.issuer,
      audience: AUDIENCE,
      jwksUri: new URL(metadata.jwks_uri),
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => idp.server.close(resolve));
  });

  interface Mint {
    claims?: JWTPayload;
    issuer?: string | null;
    audience?: string | string[] | null;
    subject?: string | null;
    expires?: string | number | null;
    key?: CryptoKey | Uint8Array;
    header?: Record<string, unknown>;
  }

  async function mint(options: Mint = {}): Promise<string> {
    const jwt = new SignJWT({
      scope: 'psk:validate psk:rotate',
      client_id: 'claude-desktop',
      ...options.claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1', typ: 'at+jwt', ...options.header })
      .setIssuedAt();
    if (options.issuer !== null) jwt.setIssuer(options.issuer ?? idp.issuer);
    if (options.audience !== null) jwt.setAudience(options.audience ?? AUDIENCE);
    if (options.subject !== null) jwt.setSubject(options.subject ?? 'alice@example.com');
    if (options.expires !== null) jwt.setExpirationTime(options.expires ?? '5m');
    return jwt.sign(options.key ?? idp.privateKey);
  }

  async function expectRefused(token: string, reason: string | RegExp): Promise<void> {
    const error = await refusal(verifier, token);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error.message).toMatch(reason);
    const text = everything(error);
    expect(text).not.toContain(token);
    expect(text).not.toContain(SENTINEL_SUB);
    for (const part of token.split('.')) if (part.length > 8) expect(text).not.toContain(part);
  }

  it('discovers the RFC 8414 metadata and its key set', () => {
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.jwks_uri).toBe(`${idp.base}/jwks`);
  });

  it('accepts a valid token: principal = sub, scopes, client, expiry and resource', async () => {
    const token = await mint();
    const info = await verifier.verifyAccessToken(token);
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp;
    expect(info).toEqual({
      token,
      clientId: 'claude-desktop',
      scopes: ['psk:validate', 'psk:rotate'],
      expiresAt: exp,
      resource: new URL(AUDIENCE),
      extra: { principal: 'alice@example.com' },
    });
  });

  it('reads scopes from scp, the client from azp or else sub, and an audience list containing ours', async () => {
    const scp = await mint({
      claims: { scope: undefined, scp: ['psk:validate'], client_id: undefined, azp: 'web-app' },
      audience: ['https://other.example.com', `${AUDIENCE}/`],
    });
    const info = await verifier.verifyAccessToken(scp);
    expect(info.scopes).toEqual(['psk:validate']);
    expect(info.clientId).toBe('web-app');
    const bare = await verifier.verifyAccessToken(
      await mint({ claims: { scope: undefined, client_id: undefined } }),
    );
    expect(bare.scopes).toEqual([]);
    expect(bare.clientId).toBe('alice@example.com');
  });

  it('refuses an expired token and one not yet valid', async () => {
    const past = Math.floor(Date.now() / 1000) - 120;
    await expectRefused(await mint({ expires: past, subject: SENTINEL_SUB }), 'Token expired');
    const future = Math.floor(Date.now() / 1000) + 600;
    await expectRefused(
      await mint({ claims: { nbf: future }, subject: SENTINEL_SUB }),
      'Token not yet valid',
    );
  });

  it('refuses a token for another audience, or without one', async () => {
    await expectRefused(
      await mint({ audience: 'https://mcp.example.com/other', subject: SENTINEL_SUB }),
      'Wrong audience',
    );
    await expectRefused(
      await mint({ audience: ['https://mcp.example.com', 'https://api.example.com'], subject: SENTINEL_SUB }),
      'Wrong audience',
    );
    await expectRefused(await mint({ audience: null, subject: SENTINEL_SUB }), 'Wrong audience');
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await mint({ issuer: `${idp.issuer}/other`, subject: SENTINEL_SUB }), 'Wrong issuer');
    await expectRefused(await mint({ issuer: null, subject: SENTINEL_SUB }), 'Wrong issuer');
  });

  it('refuses a token signed by another key, under the known key id or another', async () => {
    const { privateKey: other } = await generateKeyPair('ES256');
    await expectRefused(await mint({ key: other, subject: SENTINEL_SUB }), 'Bad signature');
    await expectRefused(
      await mint({ key: other, header: { kid: 'key-2' }, subject: SENTINEL_SUB }),
      'Unknown signing key',
    );
  });

  it('refuses alg none and HS256 forged with the public key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: idp.issuer,
      aud: AUDIENCE,
      sub: SENTINEL_SUB,
      exp: now + 300,
      scope: 'psk:rotate',
    };
    await expectRefused(
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`,
      'Signing algorithm not allowed',
    );
    await expectRefused(
      `${b64({ alg: 'none', kid: 'key-1' })}.${b64(payload)}.${b64('sig')}`,
      'Signing algorithm not allowed',
    );
    const pem = await exportSPKI((await importJWK(idp.publicJwk, 'ES256')) as CryptoKey);
    for (const secret of [pem, JSON.stringify(idp.publicJwk), idp.publicJwk.x ?? '']) {
      const forged = await mint({
        header: { alg: 'HS256', kid: 'key-1' },
        key: new TextEncoder().encode(secret),
        subject: SENTINEL_SUB,
      });
      await expectRefused(forged, 'Signing algorithm not allowed');
    }
  });

  it('refuses a token without sub or without exp', async () => {
    await expectRefused(await mint({ subject: null }), 'Token has no subject');
    await expectRefused(await mint({ expires: null, subject: SENTINEL_SUB }), 'Token has no expiry');
    await expectRefused(await mint({ subject: '' }), /no subject|Invalid subject/);
  });

  it('refuses garbage, never quoting it', async () => {
    for (const token of ['SENTINEL-not-a-jwt', 'a.b.c', `${b64({ alg: 'ES256' })}.SENTINELpayload.sig`, '']) {
      const error = await refusal(verifier, token);
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(everything(error)).not.toContain('SENTINEL');
    }
    await expectRefused(`${'x'.repeat(20_000)}.a.b`, 'Malformed token');
  });

  it('fetches the key set once and reuses it', async () => {
    const before = idp.jwksRequests;
    for (let i = 0; i < 3; i += 1) await verifier.verifyAccessToken(await mint());
    expect(idp.jwksRequests).toBe(before);
  });

  it('says the keys are unavailable (a server error) when the key set cannot be had', async () => {
    const lost = jwtVerifier({
      issuer: idp.issuer,
      audience: AUDIENCE,
      jwksUri: new URL(`${idp.base}/gone`),
    });
    const error = await refusal(lost, await mint({ subject: SENTINEL_SUB }));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).toBe('Authorization server keys unavailable');
    expect(everything(error)).not.toContain(SENTINEL_SUB);
  });

  it('refuses a bad public URL or a key set over plain http elsewhere than loopback', () => {
    const jwksUri = new URL(`${idp.base}/jwks`);
    for (const audience of ['mcp.example.com/mcp', 'ftp://mcp.example.com/', '']) {
      expect(() => jwtVerifier({ issuer: idp.issuer, audience, jwksUri })).toThrow(
        expect.objectContaining({ name: 'ConfigError', setting: PUBLIC_URL_SETTING }),
      );
    }
    expect(() =>
      jwtVerifier({
        issuer: idp.issuer,
        audience: AUDIENCE,
        jwksUri: new URL('http://keys.example.com/jwks'),
      }),
    ).toThrow(expect.objectContaining({ setting: OAUTH_ISSUER_SETTING }));
  });

  describe('discovery', () => {
    async function discoveryError(issuer: URL, fetchImpl?: typeof fetch): Promise<ConfigError> {
      try {
        await discoverAuthorizationServer(issuer, fetchImpl);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).setting).toBe(OAUTH_ISSUER_SETTING);
        expect((error as ConfigError).message).toMatch(new RegExp(`^${OAUTH_ISSUER_SETTING}: `));
        return error as ConfigError;
      }
      throw new Error('discovery succeeded');
    }

    it('refuses metadata that names another issuer, without quoting either', async () => {
      const error = await discoveryError(new URL(`${idp.base}/evil`));
      expect(error.message).toMatch(/names another issuer/);
      expect(error.message).not.toContain(idp.base);
      expect(error.message).not.toContain('/other');
    });

    it('falls back to OpenID Connect discovery', async () => {
      const oidc = await discoverAuthorizationServer(new URL(`${idp.base}/oidc`));
      expect(oidc.issuer).toBe(`${idp.base}/oidc`);
      expect(oidc.jwks_uri).toBe(`${idp.base}/jwks`);
    });

    it('refuses metadata that is not OAuth metadata, or has no key set', async () => {
      expect((await discoveryError(new URL(`${idp.base}/broken`))).message).toMatch(
        /not valid OAuth metadata \(fields: .*authorization_endpoint/,
      );
      expect((await discoveryError(new URL(`${idp.base}/nokeys`))).message).toMatch(/no valid jwks_uri/);
    });

    it('says when there is no metadata, or no server', async () => {
      expect((await discoveryError(new URL(`${idp.base}/nobody`))).message).toMatch(
        /no authorization server/,
      );
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      expect((await discoveryError(new URL(`http://127.0.0.1:${port}`))).message).toMatch(
        /could not be reached/,
      );
    });

    it('allows plain http only on loopback, for the issuer and its key set', async () => {
      const never = vi.fn<typeof fetch>(async () => {
        throw new Error('fetched');
      });
      await discoveryError(new URL('http://auth.example.com'), never);
      await discoveryError(new URL('https://auth.example.com/?tenant=1'), never);
      expect(never).not.toHaveBeenCalled();
      const plainKeys = vi.fn<typeof fetch>(async () =>
        Response.json({
          issuer: 'https://auth.example.com',
          authorization_endpoint: 'https://auth.example.com/authorize',
          token_endpoint: 'https://auth.example.com/token',
          response_types_supported: ['code'],
          jwks_uri: 'http://auth.example.com/jwks',
        }),
      );
      expect((await discoveryError(new URL('https://auth.example.com'), plainKeys)).message).toMatch(
        /jwks_uri must be https/,
      );
      expect(plainKeys).toHaveBeenCalledWith(
        new URL('https://auth.example.com/.well-known/oauth-authorization-server'),
        expect.anything(),
      );
    });
  });

  describe("through the SDK's bearer middleware and metadata router", () => {
    let app: Server;
    let base: string;
    const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(new URL(AUDIENCE));
    const bearer = bearerTokenVerifier(
      parseTokenList(`ci ${SENTINEL_HASH} psk:validate\nops ${hashToken('ops-token')}`, SETTING),
    );

    beforeAll(async () => {
      const web = express();
      web.use(
        mcpAuthMetadataRouter({
          oauthMetadata: metadata,
          resourceServerUrl: new URL(AUDIENCE),
          scopesSupported: [SCOPES.validate, SCOPES.rotate],
          resourceName: 'IPsec PSK rotation',
        }),
      );
      const answer = (request: express.Request, response: express.Response) => {
        const auth = (request as express.Request & { auth?: AuthInfo }).auth;
        response.json({ principal: auth?.extra?.principal, scopes: auth?.scopes });
      };
      web.post(
        '/mcp',
        requireBearerAuth({ verifier, resourceMetadataUrl, expectedResource: new URL(AUDIENCE) }),
        answer,
      );
      web.post(
        '/rotate',
        requireBearerAuth({ verifier, resourceMetadataUrl, requiredScopes: [SCOPES.rotate] }),
        answer,
      );
      web.post('/bearer', requireBearerAuth({ verifier: bearer, resourceMetadataUrl }), answer);
      app = await new Promise<Server>((resolve) => {
        const server = web.listen(0, '127.0.0.1', () => resolve(server));
      });
      base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => app.close(resolve));
    });

    const post = (path: string, token?: string) =>
      fetch(`${base}${path}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('lets a valid JWT through with its principal', async () => {
      const response = await post('/mcp', await mint());
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        principal: 'alice@example.com',
        scopes: ['psk:validate', 'psk:rotate'],
      });
    });

    it('answers 401 with WWW-Authenticate naming the resource metadata, never the token', async () => {
      const missing = await post('/mcp');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="${resourceMetadataUrl}"`,
      );
      const expired = await mint({ expires: Math.floor(Date.now() / 1000) - 120, subject: SENTINEL_SUB });
      const response = await post('/mcp', expired);
      expect(response.status).toBe(401);
      const header = response.headers.get('www-authenticate') ?? '';
      expect(header).toMatch(/^Bearer error="invalid_token", error_description="Token expired", /);
      expect(header).toContain(`resource_metadata="${resourceMetadataUrl}"`);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({ error: 'invalid_token', error_description: 'Token expired' });
      for (const text of [header, body]) {
        expect(text).not.toContain(SENTINEL_SUB);
        expect(text).not.toContain(expired.split('.')[1]);
      }
    });

    it('answers 403 insufficient_scope to a token without the scope', async () => {
      const response = await post('/rotate', await mint({ claims: { scope: 'psk:validate' } }));
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer error="insufficient_scope", .*scope="psk:rotate", resource_metadata=/,
      );
      expect((await post('/rotate', await mint())).status).toBe(200);
    });

    it('takes an operator bearer token (its expiry satisfies the middleware), and refuses a wrong one', async () => {
      const ok = await post('/bearer', SENTINEL_TOKEN);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ principal: 'ci', scopes: ['psk:validate'] });
      const wrong = await post('/bearer', `${SENTINEL_TOKEN}x`);
      expect(wrong.status).toBe(401);
      const header = wrong.headers.get('www-authenticate') ?? '';
      expect(header).toBe(
        `Bearer error="invalid_token", error_description="Unknown bearer token", resource_metadata="${resourceMetadataUrl}"`,
      );
      expect(await wrong.text()).not.toContain('SENTINEL');
    });

    it('serves the protected resource metadata: our URL, the issuer and the scopes', async () => {
      expect(resourceMetadataUrl).toBe('https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
      const response = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: AUDIENCE,
        authorization_servers: [idp.issuer],
        scopes_supported: ['psk:validate', 'psk:rotate'],
        resource_name: 'IPsec PSK rotation',
      });
    });
  });
});
