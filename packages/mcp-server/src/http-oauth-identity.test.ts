import { OAuthErrorCode, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHttpConfig } from './http/http-config.js';
import { principalOf } from './http/http-server.js';
import { type AuthorizationServerMetadata, discoverAuthorizationServer, jwtVerifier } from './http/oauth.js';
import { refusal } from './test-support/auth-errors.js';
import { type Issuer, startIssuer } from './test-support/oauth-issuer.js';

// Issue 19, items 4 and 9: a principal is the exact subject of an exact issuer (not its display form), and a token
// typed as anything but an access token is refused.

const AUDIENCE = 'https://mcp.example.com/mcp';
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

function mint(subject: string, header: Record<string, unknown> = { typ: 'at+jwt' }): Promise<string> {
  return new SignJWT({ scope: 'psk:validate psk:rotate' })
    .setProtectedHeader({ alg: 'ES256', kid: 'key-1', ...header })
    .setIssuer(idp.issuer)
    .setAudience(AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(idp.privateKey);
}

async function principal(subject: string, v = verifier): Promise<string | undefined> {
  return principalOf(await v.verifyAccessToken(await mint(subject)));
}

describe('#19.4 a principal is the exact subject', () => {
  it('subjects that differ only in invisible characters, or after 200 characters, are different principals', async () => {
    const base = 'alice@example.com';
    const long = 'x'.repeat(200);
    const variants = [
      base,
      `alice\u200b@example.com`,
      `\u202ealice@example.com`,
      `alice@example.com\u0007`,
      `${long}a`,
      `${long}b`,
    ];
    const principals = await Promise.all(variants.map((subject) => principal(subject)));
    expect(new Set(principals).size).toBe(variants.length);
    // The same subject is the same principal, every time.
    expect(await principal(base)).toBe(principals[0]);
    // Readable: the subject (neutralised) first, then the digest that makes it exact.
    expect(principals[0]).toMatch(/^alice@example\.com \[[0-9a-f]{24}\]$/);
    for (const value of principals) {
      for (const hidden of ['\u200b', '\u202e', '\u0007']) expect(value).not.toContain(hidden);
    }
  });

  it('the same subject from another issuer is another principal', async () => {
    const other = jwtVerifier({
      issuer: `${metadata.issuer}/`,
      audience: AUDIENCE,
      jwksUri: new URL(metadata.jwks_uri),
    });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
      .setIssuer(`${metadata.issuer}/`)
      .setAudience(AUDIENCE)
      .setSubject('alice@example.com')
      .setExpirationTime('5m')
      .sign(idp.privateKey);
    expect(principalOf(await other.verifyAccessToken(token))).not.toBe(await principal('alice@example.com'));
  });
});

describe('#19.9 the token type', () => {
  it('takes at+jwt, and JWT or no type (issuers that do not type access tokens)', async () => {
    for (const header of [{ typ: 'at+jwt' }, { typ: 'application/at+jwt' }, { typ: 'JWT' }, {}]) {
      await expect(verifier.verifyAccessToken(await mint('alice', header))).resolves.toMatchObject({
        scopes: ['psk:validate', 'psk:rotate'],
      });
    }
  });

  it('refuses a token typed as another kind (an event, a logout, a DPoP proof)', async () => {
    for (const typ of ['secevent+jwt', 'logout+jwt', 'dpop+jwt', 'id_token+jwt']) {
      const error = await refusal(verifier, await mint('alice', { typ }));
      expect(error).toMatchObject({ code: OAuthErrorCode.InvalidToken, message: 'Wrong token type' });
    }
  });

  it('with IPSEC_PSK_OAUTH_REQUIRE_AT_JWT=1, only at+jwt', async () => {
    const env = { IPSEC_PSK_OAUTH_ISSUER: idp.issuer, IPSEC_PSK_HTTP_PUBLIC_URL: AUDIENCE };
    const config = loadHttpConfig(
      { ...env, IPSEC_PSK_OAUTH_REQUIRE_AT_JWT: '1' },
      { host: '127.0.0.1', port: 0 },
      () => '',
    );
    expect(config.auth).toMatchObject({ mode: 'oauth', requireAtJwt: true });
    expect(() =>
      loadHttpConfig(
        { ...env, IPSEC_PSK_OAUTH_REQUIRE_AT_JWT: 'yes' },
        { host: '127.0.0.1', port: 0 },
        () => '',
      ),
    ).toThrow(/IPSEC_PSK_OAUTH_REQUIRE_AT_JWT must be 1/);
    const strict = jwtVerifier({
      issuer: metadata.issuer,
      audience: AUDIENCE,
      jwksUri: new URL(metadata.jwks_uri),
      requireAtJwt: true,
    });
    await expect(strict.verifyAccessToken(await mint('alice'))).resolves.toBeDefined();
    for (const header of [{ typ: 'JWT' }, {}]) {
      expect(await refusal(strict, await mint('alice', header))).toMatchObject({
        message: 'Wrong token type',
      });
    }
  });
});
