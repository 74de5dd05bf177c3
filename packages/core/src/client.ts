import type { Client } from 'openapi-fetch';
import { createApiClient } from './api-client.js';
import { createCallContext } from './call-context.js';
import {
  authHeaders,
  type CredentialInput,
  credentialSecrets,
  isHeaderValue,
  resolveCredentials,
} from './credentials.js';
import { PskError } from './errors.js';
import type { paths } from './generated/openapi.js';
import { assertIdentifier } from './identifiers.js';
import {
  type GenerateIpsecPskInput,
  generateIpsecPsk,
  type PskGenerated,
  type PskValidated,
} from './ops/generate-psk.js';
import { type PsksSet, type SetIpsecPsksInput, setIpsecPsks } from './ops/set-psks.js';
import { type GetTunnelHealthInput, getTunnelHealth, type TunnelHealth } from './ops/tunnel-health.js';
import {
  type GetIpsecTunnelInput,
  getIpsecTunnel,
  type IpsecTunnelDetails,
  type ListIpsecTunnelsInput,
  listIpsecTunnels,
} from './ops/tunnels.js';
import { defaultSleep, type RetryOptions, resolveRetryPolicy, type Sleep } from './retry.js';
import { validateBaseUrl } from './urls.js';
import { CORE_VERSION } from './version.js';

/** Cloudflare's API base URL. */
export const DEFAULT_BASE_URL = 'https://api.cloudflare.com/client/v4';
/** How long one attempt may take before it is abandoned. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Options of `createPskClient`. Give `apiToken`, or `apiEmail` + `apiKey`. */
export interface PskClientOptions extends CredentialInput {
  /** The account used when a call names none. */
  accountId?: string | undefined;
  /** API base URL; default `https://api.cloudflare.com/client/v4`. Plain http is accepted for loopback only. */
  baseUrl?: string | undefined;
  /** The fetch implementation; default the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Milliseconds one attempt may take, headers and body; default 30 000. */
  timeoutMs?: number;
  /** The User-Agent header; default `ipsec-psk-core/<version>`. */
  userAgent?: string;
  /** Retries of calls that change nothing (validate-only and GET). The persisting call is never retried. */
  retry?: RetryOptions;
  /** Waits between retries; injectable for tests. */
  sleep?: Sleep;
  /** The clock used to read an HTTP-date `Retry-After`; injectable for tests. */
  now?: () => number;
}

/** A client for the PSK operations, bound to one set of credentials. */
export interface PskClient {
  /** Generates (or with `validateOnly`, validates generating) a new PSK. Sent at most once when persisting. */
  generateIpsecPsk(input: GenerateIpsecPskInput & { validateOnly: true }): Promise<PskValidated>;
  generateIpsecPsk(input: GenerateIpsecPskInput & { validateOnly?: false }): Promise<PskGenerated>;
  generateIpsecPsk(input: GenerateIpsecPskInput): Promise<PskGenerated | PskValidated>;
  /** Reads a tunnel's details, notably when its key was last generated. Retried like validate-only calls. */
  getIpsecTunnel(input: GetIpsecTunnelInput): Promise<IpsecTunnelDetails>;
  /** Lists the account's tunnels with their key ages. Retried like validate-only calls. */
  listIpsecTunnels(input?: ListIpsecTunnelsInput): Promise<IpsecTunnelDetails[]>;
  /**
   * What Cloudflare's health checks saw of the named tunnels over a window, per data centre (GraphQL Analytics
   * API). The token needs "Account Analytics Read" (`analytics_forbidden` without). Retried like every read.
   */
  getTunnelHealth(input: GetTunnelHealthInput): Promise<TunnelHealth>;
  /**
   * Sets the caller's keys for several tunnels ("Set PSKs"). Store the keys first: then a repeat is safe, and a
   * persisting set is retried on transient failures with the same keys (unless `retry: false`).
   */
  setIpsecPsks(input: SetIpsecPsksInput): Promise<PsksSet>;
  /**
   * The typed openapi-fetch client, already authenticated, for anything else in the spec. Redirects are never
   * followed, every request has the client timeout, and the persisting `psk_generate` is refused (use
   * `generateIpsecPsk`).
   */
  readonly api: Client<paths>;
  /** The base URL in use. */
  readonly baseUrl: string;
  /** The default account, if one was given. */
  readonly accountId: string | undefined;
}

function checkUserAgent(userAgent: string | undefined): string {
  if (userAgent === undefined) return `ipsec-psk-core/${CORE_VERSION}`;
  if (!isHeaderValue(userAgent)) {
    throw new PskError('userAgent must be a non-empty header value without control characters.', {
      code: 'invalid_input',
      outcome: 'not_executed',
      field: 'userAgent',
    });
  }
  return userAgent;
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new PskError('timeoutMs must be a positive number of milliseconds.', {
      code: 'invalid_input',
      outcome: 'not_executed',
      field: 'timeoutMs',
    });
  }
  return timeoutMs;
}

/** Creates a client. Throws `PskError` (`invalid_input`) for missing, conflicting or malformed options. */
export function createPskClient(options: PskClientOptions): PskClient {
  const credentials = resolveCredentials(options);
  const secrets = credentialSecrets(credentials);
  const baseUrl = validateBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, 'baseUrl');
  const defaultAccountId =
    options.accountId === undefined ? undefined : assertIdentifier('accountId', options.accountId);
  const timeoutMs = checkTimeout(options.timeoutMs);
  const fetchImpl = options.fetch;
  const retryPolicy = resolveRetryPolicy(options.retry);
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;

  const headers = { ...authHeaders(credentials), 'User-Agent': checkUserAgent(options.userAgent) };
  // Built on first use: reading the global fetch or Request makes Node load its HTTP stack, which would add tens of
  // milliseconds to the start of every program that creates a client before it needs one (an MCP server does).
  let client: Client<paths> | undefined;
  const apiClient = () =>
    (client ??= createApiClient({ baseUrl, fetch: fetchImpl ?? globalThis.fetch, headers, timeoutMs }));

  const context = createCallContext({
    api: apiClient,
    defaultAccountId,
    secrets,
    timeoutMs,
    retryPolicy,
    sleep,
    now,
    host: new URL(baseUrl).host,
  });

  return {
    generateIpsecPsk: ((input: GenerateIpsecPskInput) =>
      generateIpsecPsk(context, input)) as PskClient['generateIpsecPsk'],
    getIpsecTunnel: (input) => getIpsecTunnel(context, input),
    listIpsecTunnels: (input) => listIpsecTunnels(context, input),
    getTunnelHealth: (input) => getTunnelHealth(context, input),
    setIpsecPsks: (input) => setIpsecPsks(context, input),
    get api() {
      return apiClient();
    },
    baseUrl,
    accountId: defaultAccountId,
  };
}
