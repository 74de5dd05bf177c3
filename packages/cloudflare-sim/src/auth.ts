import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type CloudflareMessage, ErrorCode } from './envelope.js';

/** Which credentials the simulator accepts. */
export interface AuthConfig {
  /** Accepted bearer tokens. */
  apiTokens: readonly string[];
  /** Accepted email + Global API key pairs. */
  apiKeys: readonly { email: string; key: string }[];
  /** Accept any non-empty credential. */
  acceptAnyCredentials: boolean;
}

/** The outcome of checking a request's credentials. */
export type AuthResult =
  | {
      ok: true /** Stable, non-reversible id of the credential, for per-credential rate limiting. */;
      principal: string;
    }
  | { ok: false; status: 400 | 403; error: CloudflareMessage };

const missing: AuthResult = {
  ok: false,
  status: 400,
  error: {
    code: ErrorCode.missingCredentials,
    message: 'Missing X-Auth-Email, X-Auth-Key or Authorization headers',
  },
};
const malformed: AuthResult = {
  ok: false,
  status: 400,
  error: {
    code: ErrorCode.invalidHeaders,
    message: 'Invalid request headers: Authorization must be "Bearer <token>"',
  },
};
const refused: AuthResult = {
  ok: false,
  status: 403,
  error: { code: ErrorCode.authentication, message: 'Authentication error' },
};

/** Check credentials the way Cloudflare does: a bearer token first, else email + key. No message echoes a value. */
export function authenticate(headers: IncomingHttpHeaders, config: AuthConfig): AuthResult {
  if (single(headers.authorization) !== undefined) {
    const token = bearerToken(headers);
    if (!token) return malformed;
    const known = config.acceptAnyCredentials || config.apiTokens.includes(token);
    return known ? { ok: true, principal: fingerprint('token', token) } : refused;
  }
  const email = single(headers['x-auth-email'])?.trim();
  const key = single(headers['x-auth-key'])?.trim();
  if (!email || !key) return missing;
  const known =
    config.acceptAnyCredentials || config.apiKeys.some((pair) => pair.email === email && pair.key === key);
  return known ? { ok: true, principal: fingerprint('key', `${email}\n${key}`) } : refused;
}

/** The bearer token a request carries, if any (for per-token permissions; never logged). */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = single(headers.authorization);
  return authorization === undefined ? undefined : /^Bearer +(\S+)\s*$/i.exec(authorization)?.[1];
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// Keys of the rate limiter outlive the request; hashing keeps raw credentials out of them.
function fingerprint(scheme: string, secret: string): string {
  return `${scheme}:${createHash('sha256').update(secret).digest('hex')}`;
}
