// OAuth access tokens (JWTs) from a real issuer on loopback, and both verifiers through the SDK's own bearer
// middleware and metadata router, as the HTTP server uses them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthMetadataRouter,
  requireBearerAuth,
} from '@modelcontextprotocol/express';
import {
  type AuthInfo,
  OAuthError,
  OAuthErrorCode,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import express from 'express';
import { type CryptoKey, exportSPKI, generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokenVerifier, hashToken, parseTokenList, SCOPES } from './http/bearer-tokens.js';
import {
  type AuthorizationServerMetadata,
  discoverAuthorizationServer,
  jwtVerifier,
  OAUTH_ISSUER_SETTING,
  PUBLIC_URL_SETTING,
} from './http/oauth.js';
import { everything, refusal, SENTINEL_TOKEN, SETTING } from './test-support/auth-errors.js';
import { type Issuer, startIssuer } from './test-support/oauth-issuer.js';

const SENTINEL_HASH = hashToken(SENTINEL_TOKEN);

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
    expect(error).toMatchObject({ code: OAuthErrorCode.InvalidToken });
    expect(error).toBeInstanceOf(OAuthError);
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

  it('accepts a valid token: principal = sub (and its exact digest), scopes, client, expiry and resource', async () => {
    const token = await mint();
    const info = await verifier.verifyAccessToken(token);
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp;
    expect(info).toEqual({
      token,
      clientId: 'claude-desktop',
      scopes: ['psk:validate', 'psk:rotate'],
      expiresAt: exp,
      resource: new URL(AUDIENCE),
      extra: { principal: expect.stringMatching(/^alice@example\.com \[[0-9a-f]{24}\]$/) },
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
      expect(error).toMatchObject({ code: OAuthErrorCode.InvalidToken });
      expect(error).toBeInstanceOf(OAuthError);
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
    expect(error).toMatchObject({ code: OAuthErrorCode.ServerError });
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
        principal: expect.stringMatching(/^alice@example\.com \[[0-9a-f]{24}\]$/),
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
