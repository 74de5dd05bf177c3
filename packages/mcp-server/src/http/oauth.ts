/**
 * OAuth 2.1 resource-server mode for the HTTP transport: the site's own authorization server (its single sign-on)
 * decides who may rotate keys, and this server only checks the access tokens it issues.
 *
 * Why it is this strict: a token accepted here can break every tunnel of the account. So the keys come only from the
 * issuer's published JWKS (found through its metadata, whose `issuer` must be the configured one, over https), only
 * asymmetric signatures count (never `none`, never HMAC, which would let anyone holding the public key forge one), a
 * token must be meant for this server (its `aud` holds our public URL, so a token for another API of the same issuer
 * is useless here) and must expire. The checking itself is left to `jose`, a maintained library, rather than code of
 * our own. A refusal says why in a few fixed words and never quotes the token or its claims, which may be logged or
 * sent back in a WWW-Authenticate header.
 */

import { createHash } from 'node:crypto';
import { neutralizeText } from '@ipsec-psk/core';
import { ConfigError } from '@ipsec-psk/rotation';
import { OAuthMetadataSchema } from '@modelcontextprotocol/core';
import {
  type AuthInfo,
  OAuthError,
  OAuthErrorCode,
  type OAuthMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { isLoopbackHost } from './http-config.js';

/** A refusal the SDK's bearer middleware answers 401 with (`WWW-Authenticate: Bearer error="invalid_token"`). */
const invalidToken = (reason: string) => new OAuthError(OAuthErrorCode.InvalidToken, reason);
/** A failure on our side (the issuer's keys unavailable): 500, not the client's fault. */
const serverError = (reason: string) => new OAuthError(OAuthErrorCode.ServerError, reason);

/** The setting that names the authorization server. */
export const OAUTH_ISSUER_SETTING = 'IPSEC_PSK_OAUTH_ISSUER';
/** The setting that names this server's public URL: the audience its access tokens must carry. */
export const PUBLIC_URL_SETTING = 'IPSEC_PSK_HTTP_PUBLIC_URL';

/** The signature algorithms accepted: asymmetric only. */
export const JWT_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** Authorization server metadata with the one field the resource server needs that the SDK's schema leaves out. */
export type AuthorizationServerMetadata = OAuthMetadata & { jwks_uri: string };

export type FetchLike = (input: URL, init?: RequestInit) => Promise<Response>;

const DISCOVERY_TIMEOUT_MS = 10_000;
const MAX_METADATA_BYTES = 1024 * 1024;
const JWKS_TIMEOUT_MS = 5_000;
/** Longer than any access token a real issuer makes; refused before any parsing or key lookup. */
const MAX_TOKEN_LENGTH = 16 * 1024;

// Plain http only on loopback (tests, an issuer on the same machine).
function isAllowedUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

function issuerError(rule: string): ConfigError {
  return new ConfigError(OAUTH_ISSUER_SETTING, `${OAUTH_ISSUER_SETTING}: ${rule}.`);
}

/** Where RFC 8414 and OpenID Connect Discovery put an issuer's metadata, in the order they are tried. */
function discoveryUrls(issuer: URL): URL[] {
  const path = issuer.pathname.replace(/\/$/, '');
  if (path === '') {
    return [
      new URL('/.well-known/oauth-authorization-server', issuer.origin),
      new URL('/.well-known/openid-configuration', issuer.origin),
    ];
  }
  return [
    new URL(`/.well-known/oauth-authorization-server${path}`, issuer.origin),
    new URL(`/.well-known/openid-configuration${path}`, issuer.origin),
    new URL(`${path}/.well-known/openid-configuration`, issuer.origin),
  ];
}

/**
 * The metadata's issuer must be the configured issuer, as a string (RFC 8414 section 3.3). A URL object has lost
 * whether a bare origin was written with its trailing slash, so for a bare origin both spellings are the same.
 */
function sameIssuer(documented: string, configured: URL): boolean {
  if (documented === configured.href) return true;
  return configured.pathname === '/' && documented === configured.origin;
}

/**
 * Finds the authorization server's metadata: RFC 8414 first, then OpenID Connect Discovery. The document must be
 * valid OAuth metadata, name exactly the configured issuer and give a `jwks_uri`; the issuer and the key set must be
 * https (http only on loopback). Every failure is a {@link ConfigError} for `IPSEC_PSK_OAUTH_ISSUER`.
 */
export async function discoverAuthorizationServer(
  issuer: URL,
  fetchImpl: FetchLike = fetch,
): Promise<AuthorizationServerMetadata> {
  if (!isAllowedUrl(issuer)) throw issuerError('must be an https URL (http only on a loopback address)');
  if (issuer.search !== '' || issuer.hash !== '') throw issuerError('must have no query and no fragment');
  if (issuer.username !== '' || issuer.password !== '') throw issuerError('must not carry credentials');

  let unreachable = false;
  for (const url of discoveryUrls(issuer)) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      });
    } catch {
      unreachable = true;
      continue;
    }
    if (response.url !== '' && !isAllowedUrl(new URL(response.url))) {
      await response.body?.cancel();
      throw issuerError('its metadata was redirected to an address that is not https');
    }
    if (response.status >= 400 && response.status < 500) {
      await response.body?.cancel();
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw issuerError(
        `the authorization server answered its metadata request with HTTP ${response.status}`,
      );
    }
    const text = await response.text();
    if (text.length > MAX_METADATA_BYTES) throw issuerError('its metadata document is too large');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw issuerError('its metadata document is not JSON');
    }
    const parsed = OAuthMetadataSchema.safeParse(json);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(document)'))];
      throw issuerError(`its metadata document is not valid OAuth metadata (fields: ${fields.join(', ')})`);
    }
    const metadata = parsed.data;
    if (!sameIssuer(metadata.issuer, issuer)) {
      throw issuerError('the metadata document names another issuer; the two must be the same string');
    }
    const jwksUri = metadata.jwks_uri;
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
      throw issuerError('its metadata document has no valid jwks_uri, so access tokens cannot be checked');
    }
    if (!isAllowedUrl(new URL(jwksUri))) {
      throw issuerError("its metadata's jwks_uri must be https (http only on a loopback address)");
    }
    return { ...metadata, jwks_uri: jwksUri };
  }
  throw issuerError(
    unreachable
      ? 'the authorization server could not be reached for its metadata'
      : 'no authorization server metadata found (RFC 8414 oauth-authorization-server, nor openid-configuration)',
  );
}

export interface JwtVerifierOptions {
  /** The issuer exactly as its metadata writes it: the `iss` every token must carry. */
  issuer: string;
  /** This server's public URL (`IPSEC_PSK_HTTP_PUBLIC_URL`): the `aud` every token must contain. */
  audience: string;
  /** The issuer's JWKS, from its metadata. */
  jwksUri: URL;
  /** Clock skew allowed for `exp` and `nbf`; default 30 seconds. */
  clockToleranceSeconds?: number;
  /** Accept only tokens typed `at+jwt` (RFC 9068), for issuers that type every access token so. Default false. */
  requireAtJwt?: boolean;
}

/**
 * Token types (the JOSE `typ` header) an access token may carry. RFC 9068 types access tokens `at+jwt`; many
 * issuers (Microsoft Entra ID, Keycloak, Okta's org server) still type them `JWT` or not at all, so those pass
 * unless `requireAtJwt`. Any other type names another kind of token (an ID token, a logout or event token, a DPoP
 * proof) that must never be taken for an access token, whatever its audience.
 */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const UNTYPED = new Set(['jwt', 'application/jwt']);

function typeProblem(typ: unknown, requireAtJwt: boolean): string | undefined {
  const value = typeof typ === 'string' ? typ.toLowerCase() : undefined;
  if (value !== undefined && ACCESS_TOKEN_TYPES.has(value)) return undefined;
  if (!requireAtJwt && (value === undefined || UNTYPED.has(value))) return undefined;
  return 'Wrong token type';
}

/**
 * The principal of a subject: exact (a digest of the issuer and \`sub\` as received, so subjects that differ only
 * in invisible characters, or after any length, are different principals) and readable (the subject neutralised
 * and shortened, for the audit log and messages).
 */
export function subjectPrincipal(issuer: string, sub: string): string {
  const digest = createHash('sha256').update(issuer).update('\0').update(sub).digest('hex').slice(0, 24);
  return `${neutralizeText(sub, SUBJECT_DISPLAY_LENGTH)} [${digest}]`;
}

/** The readable part of a principal: long enough to recognise a person or a client id. */
const SUBJECT_DISPLAY_LENGTH = 80;

/** The claims whose failure has a name of its own; anything else is "Invalid claims". */
const CLAIM_REASONS: Record<string, string> = {
  iss: 'Wrong issuer',
  aud: 'Wrong audience',
  nbf: 'Token not yet valid',
  iat: 'Invalid issue time',
  exp: 'Invalid expiry',
  sub: 'Invalid subject',
};

/** A fixed reason for a refusal: never the jose message, which may quote a claim. */
function refusal(error: unknown): OAuthError {
  if (error instanceof errors.JWTExpired) return invalidToken('Token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing' && (error.claim === 'exp' || error.claim === 'sub')) {
      return invalidToken(error.claim === 'exp' ? 'Token has no expiry' : 'Token has no subject');
    }
    return invalidToken(CLAIM_REASONS[error.claim] ?? 'Invalid claims');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken('Signing algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalidToken('Bad signature');
  if (error instanceof errors.JWKSNoMatchingKey) return invalidToken('Unknown signing key');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return invalidToken('Ambiguous signing key');
  // The issuer's key set could not be had (unreachable, slow, not a key set): the token may well be good, so this
  // is the server's failure (500), not the client's; a 401 would send the client to sign in again for nothing.
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') ||
    (error instanceof TypeError && !(error instanceof errors.JOSEError))
  ) {
    return serverError('Authorization server keys unavailable');
  }
  return invalidToken('Malformed token');
}

function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((value): value is string => typeof value === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  return [];
}

/** The audience as configured and with or without one trailing slash: `https://mcp.example` and `https://mcp.example/` are one URL. */
function audiences(audience: string): string[] {
  const bare = audience.replace(/\/$/, '');
  return [...new Set([audience, bare, `${bare}/`])];
}

/**
 * Checks access tokens that are JWTs from one issuer: the signature against the issuer's JWKS (asymmetric algorithms
 * only), `iss`, `aud` (must contain this server's public URL), `exp` (required), `nbf`, and `sub` (required). Scopes
 * come from `scope` (space-separated) or `scp` (array); the principal is `sub`; the client is `client_id`, `azp` or
 * else `sub`. Every refusal is an invalid-token `OAuthError` with a short fixed reason; only the issuer's key set being
 * unavailable is a server error.
 */
export function jwtVerifier(options: JwtVerifierOptions): OAuthTokenVerifier {
  if (!URL.canParse(options.audience) || !/^https?:$/.test(new URL(options.audience).protocol)) {
    throw new ConfigError(PUBLIC_URL_SETTING, `${PUBLIC_URL_SETTING} must be an absolute http(s) URL.`);
  }
  if (!isAllowedUrl(options.jwksUri)) {
    throw issuerError("its metadata's jwks_uri must be https (http only on a loopback address)");
  }
  const resource = new URL(options.audience);
  const keys = createRemoteJWKSet(options.jwksUri, { timeoutDuration: JWKS_TIMEOUT_MS });
  const verifyOptions = {
    issuer: options.issuer,
    audience: audiences(options.audience),
    algorithms: [...JWT_ALGORITHMS],
    clockTolerance: options.clockToleranceSeconds ?? 30,
    requiredClaims: ['exp', 'sub'],
  };
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('Malformed token');
      let payload: JWTPayload;
      let typ: unknown;
      try {
        ({
          payload,
          protectedHeader: { typ },
        } = await jwtVerify(token, keys, verifyOptions));
      } catch (error) {
        throw refusal(error);
      }
      const wrongType = typeProblem(typ, options.requireAtJwt ?? false);
      if (wrongType) throw invalidToken(wrongType);
      const { sub, exp } = payload;
      if (typeof sub !== 'string' || sub === '') throw invalidToken('Token has no subject');
      if (typeof exp !== 'number') throw invalidToken('Token has no expiry');
      const client = [payload.client_id, payload.azp].find(
        (value): value is string => typeof value === 'string' && value !== '',
      );
      return {
        token,
        clientId: client ?? sub,
        scopes: scopesOf(payload),
        expiresAt: exp,
        resource,
        extra: { principal: subjectPrincipal(options.issuer, sub) },
      };
    },
  };
}
