import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';

/** A local OAuth authorization server: RFC 8414 metadata and a JWKS on loopback, and its signing key. */
export interface Issuer {
  server: Server;
  /** The issuer identifier as its metadata writes it (no trailing slash). */
  issuer: string;
  base: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  jwksRequests: number;
}

/** Starts an issuer on 127.0.0.1 (ES256, kid key-1), with a few broken tenants for discovery tests. */
export async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
  const state: Partial<Issuer> & { jwksRequests: number } = { jwksRequests: 0 };
  const server = createServer((request, response) => {
    const base = state.base ?? '';
    const json = (body: unknown, status = 200) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const metadata = (issuer: string) => ({
      issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      jwks_uri: `${base}/jwks`,
    });
    switch (request.url) {
      case '/.well-known/oauth-authorization-server':
        return json(metadata(base));
      case '/jwks':
        state.jwksRequests += 1;
        return json({ keys: [publicJwk] });
      // A tenant whose metadata names another issuer.
      case '/.well-known/oauth-authorization-server/evil':
        return json(metadata(`${base}/other`));
      // A tenant with only OpenID Connect discovery, the OIDC way (appended to the path).
      case '/oidc/.well-known/openid-configuration':
        return json({ ...metadata(`${base}/oidc`), subject_types_supported: ['public'] });
      // A tenant whose metadata is not OAuth metadata.
      case '/.well-known/oauth-authorization-server/broken':
        return json({ issuer: `${base}/broken`, jwks_uri: `${base}/jwks` });
      // A tenant without jwks_uri.
      case '/.well-known/oauth-authorization-server/nokeys':
        return json({ ...metadata(`${base}/nokeys`), jwks_uri: undefined });
      default:
        return json({ error: 'not_found' }, 404);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return Object.assign(state, { server, issuer: base, base, privateKey, publicJwk }) as Issuer;
}
