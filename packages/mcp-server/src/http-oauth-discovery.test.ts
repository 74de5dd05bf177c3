// How the OAuth mode finds its issuer's keys: RFC 8414 / OpenID discovery against a real issuer on loopback.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@ipsec-psk/rotation';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken } from './http/bearer-tokens.js';
import { discoverAuthorizationServer, OAUTH_ISSUER_SETTING } from './http/oauth.js';
import { SENTINEL_TOKEN } from './test-support/auth-errors.js';
import { type Issuer, startIssuer } from './test-support/oauth-issuer.js';

const _SENTINEL_HASH = hashToken(SENTINEL_TOKEN);

const _AUDIENCE = 'https://mcp.example.com/mcp';
const _SENTINEL_SUB = 'SENTINEL-subject-9f8e7d';

function _b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('discovery of the authorization server', () => {
  let idp: Issuer;
  beforeAll(async () => {
    idp = await startIssuer();
  });
  afterAll(async () => {
    await new Promise((resolve) => idp.server.close(resolve));
  });

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
    expect((await discoveryError(new URL(`${idp.base}/nobody`))).message).toMatch(/no authorization server/);
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
