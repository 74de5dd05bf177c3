import type { PskClientOptions } from './client.js';
import { resolveCredentials } from './credentials.js';
import { assertIdentifier } from './identifiers.js';
import { validateBaseUrl } from './urls.js';

/** The environment variables `fromEnv` reads: the official Cloudflare SDK's names. */
export const ENV = {
  apiToken: 'CLOUDFLARE_API_TOKEN',
  apiEmail: 'CLOUDFLARE_EMAIL',
  apiKey: 'CLOUDFLARE_API_KEY',
  accountId: 'CLOUDFLARE_ACCOUNT_ID',
  baseUrl: 'CLOUDFLARE_BASE_URL',
} as const;

function read(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  // An exported-but-empty variable is a common shell accident; treat it as unset rather than as a blank secret.
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Client options from the environment (`CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`;
 * `CLOUDFLARE_ACCOUNT_ID`; `CLOUDFLARE_BASE_URL`). Checks them at once: a missing, conflicting or malformed
 * setting throws a `PskError` whose message and `field` name the variable, never its value.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): PskClientOptions {
  const credentialInput = {
    apiToken: read(env, ENV.apiToken),
    apiEmail: read(env, ENV.apiEmail),
    apiKey: read(env, ENV.apiKey),
  };
  resolveCredentials(credentialInput, ENV);
  const accountId = read(env, ENV.accountId);
  const baseUrl = read(env, ENV.baseUrl);
  return {
    ...credentialInput,
    accountId: accountId === undefined ? undefined : assertIdentifier(ENV.accountId, accountId),
    baseUrl: baseUrl === undefined ? undefined : validateBaseUrl(baseUrl, ENV.baseUrl),
  };
}
