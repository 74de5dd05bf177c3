import type { Client } from 'openapi-fetch';
import { approvePersisting, createApiClient } from './api-client.js';
import {
  authHeaders,
  type CredentialInput,
  credentialSecrets,
  isHeaderValue,
  resolveCredentials,
} from './credentials.js';
import {
  describeCloudflareErrors,
  errorCodeForStatus,
  optionalRecord,
  optionalString,
  readEnvelope,
} from './envelope.js';
import { type CloudflareMessage, PskError, type PskOutcome } from './errors.js';
import type { components, operations, paths } from './generated/openapi.js';
import { assertIdentifier } from './identifiers.js';
import { sanitizeCause } from './redact.js';
import {
  defaultSleep,
  parseRetryAfter,
  type RetryOptions,
  resolveRetryPolicy,
  type Sleep,
  withRetries,
} from './retry.js';
import { Secret } from './secret.js';
import { type ApiCall, OUTCOME_UNKNOWN_ADVICE, performExchange, type RawResponse } from './transport.js';
import { validateBaseUrl } from './urls.js';
import { CORE_VERSION } from './version.js';

const PSK_PATH =
  '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate' satisfies keyof paths;
const TUNNEL_PATH = '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}' satisfies keyof paths;

// The fields read from answers, checked against the generated types: a field renamed in the spec fails to compile.
type GeneratedResult =
  operations['magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels']['responses'][200]['content']['application/json']['result'];
type TunnelResult =
  operations['magic-ipsec-tunnels-list-ipsec-tunnel-details']['responses'][200]['content']['application/json']['result'];
const PSK_FIELD = 'psk' satisfies keyof GeneratedResult;
const TUNNEL_ID_FIELD = 'ipsec_tunnel_id' satisfies keyof GeneratedResult;
const METADATA_FIELD = 'psk_metadata' satisfies keyof GeneratedResult & keyof IpsecTunnel;
const GENERATED_ON_FIELD = 'last_generated_on' satisfies keyof components['schemas']['psk_metadata'];
const TUNNEL_FIELD = 'ipsec_tunnel' satisfies keyof TunnelResult;

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

/** Arguments of `generateIpsecPsk`. */
export interface GenerateIpsecPskInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** The IPsec tunnel whose key is replaced. */
  ipsecTunnelId: string;
  /** Only validate (`?validate_only=true`): nothing is persisted and no key is returned. */
  validateOnly?: boolean;
  /** Aborts the call. Aborting a persisting call after it was sent leaves the outcome unknown. */
  signal?: AbortSignal;
}

/** A validate-only call that passed: nothing was changed. */
export interface PskValidated {
  validateOnly: true;
  accountId: string;
  ipsecTunnelId: string;
  /** When the tunnel's current key was generated, if Cloudflare said. */
  lastGeneratedOn: string | undefined;
  /** Cloudflare's informational `messages[]`. */
  messages: CloudflareMessage[];
}

/** A new key, already persisted at Cloudflare: this is the only copy, so store it before anything else. */
export interface PskGenerated {
  validateOnly: false;
  accountId: string;
  ipsecTunnelId: string;
  /** The new key, printed as `[redacted]`; `psk.reveal()` returns it. */
  psk: Secret;
  /** When the new key was generated, if Cloudflare said. */
  lastGeneratedOn: string | undefined;
  /** Cloudflare's informational `messages[]`. */
  messages: CloudflareMessage[];
}

/** Arguments of `getIpsecTunnel`. */
export interface GetIpsecTunnelInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** The IPsec tunnel. */
  ipsecTunnelId: string;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** An IPsec tunnel as the spec describes it. */
export type IpsecTunnel = components['schemas']['ipsec_tunnel'];

/** The tunnel details a rotation needs, plus the whole typed record. */
export interface IpsecTunnelDetails {
  id: string;
  name: string;
  /** When the tunnel's key was last generated; compare before and after to tell whether a rotation happened. */
  lastGeneratedOn: string | undefined;
  tunnel: IpsecTunnel;
}

/** A client for the PSK operations, bound to one set of credentials. */
export interface PskClient {
  /** Generates (or with `validateOnly`, validates generating) a new PSK. Sent at most once when persisting. */
  generateIpsecPsk(input: GenerateIpsecPskInput & { validateOnly: true }): Promise<PskValidated>;
  generateIpsecPsk(input: GenerateIpsecPskInput & { validateOnly?: false }): Promise<PskGenerated>;
  generateIpsecPsk(input: GenerateIpsecPskInput): Promise<PskGenerated | PskValidated>;
  /** Reads a tunnel's details, notably when its key was last generated. Retried like validate-only calls. */
  getIpsecTunnel(input: GetIpsecTunnelInput): Promise<IpsecTunnelDetails>;
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

  function accountFor(accountId: string | undefined): string {
    if (accountId === undefined && defaultAccountId !== undefined) return defaultAccountId;
    return assertIdentifier('accountId', accountId);
  }

  function refusal(raw: RawResponse, operation: string, persisting: boolean, keyBearing: boolean): PskError {
    const envelope = readEnvelope(raw.body, { secrets, keyBearing });
    const cloudflareErrors = envelope?.errors ?? [];
    const serverFailed = raw.status >= 500;
    const outcome: PskOutcome = persisting && serverFailed ? 'unknown' : 'not_executed';
    const retryAfterSeconds =
      raw.status === 429 ? parseRetryAfter(raw.headers.get('retry-after'), now()) : undefined;
    let message = `${operation} failed: Cloudflare answered HTTP ${raw.status}.${describeCloudflareErrors(cloudflareErrors)}`;
    if (raw.status === 429) {
      message +=
        retryAfterSeconds === undefined
          ? ' Rate limited; nothing was changed.'
          : ` Rate limited; nothing was changed. Try again in ${retryAfterSeconds} s.`;
    } else if (outcome === 'unknown') {
      message += ` Outcome unknown. ${OUTCOME_UNKNOWN_ADVICE}`;
    } else {
      message += ' Nothing was changed.';
    }
    return new PskError(message, {
      code: errorCodeForStatus(raw.status),
      outcome,
      status: raw.status,
      cloudflareErrors,
      retryAfterSeconds,
    });
  }

  function invalidResponse(
    raw: RawResponse,
    operation: string,
    persisting: boolean,
    problem: string,
  ): PskError {
    const outcome: PskOutcome = persisting ? 'unknown' : 'not_executed';
    const tail = persisting ? ` Outcome unknown. ${OUTCOME_UNKNOWN_ADVICE}` : '';
    return new PskError(`${operation}: Cloudflare answered HTTP ${raw.status} but ${problem}.${tail}`, {
      code: 'invalid_response',
      outcome,
      status: raw.status,
      cause: raw.bodyError === undefined ? undefined : sanitizeCause(raw.bodyError, secrets),
    });
  }

  async function generateIpsecPsk(input: GenerateIpsecPskInput): Promise<PskGenerated | PskValidated> {
    const accountId = accountFor(input.accountId);
    const ipsecTunnelId = assertIdentifier('ipsecTunnelId', input.ipsecTunnelId);
    const validateOnly = input.validateOnly === true;
    const operation = validateOnly ? 'Validating PSK generation' : 'PSK generation';
    const path = { account_id: accountId, ipsec_tunnel_id: ipsecTunnelId };
    const send: ApiCall = ({ signal, middleware }) =>
      apiClient().POST(PSK_PATH, {
        params: validateOnly ? { path, query: { validate_only: true } } : approvePersisting({ path }),
        body: {},
        signal,
        redirect: 'manual',
        parseAs: 'stream',
        middleware,
      });

    const attempt = async (): Promise<PskGenerated | PskValidated> => {
      const raw = await performExchange(send, {
        timeoutMs,
        signal: input.signal,
        persisting: !validateOnly,
        secrets,
      });
      if (raw.status < 200 || raw.status >= 300) {
        throw refusal(raw, operation, !validateOnly, true);
      }
      if (raw.bodyError !== undefined) {
        throw invalidResponse(raw, operation, !validateOnly, 'the response body could not be read in full');
      }
      const envelope = readEnvelope(raw.body, { secrets, keyBearing: true });
      if (!envelope) throw invalidResponse(raw, operation, !validateOnly, 'the body is not a JSON object');
      const lastGeneratedOn = optionalString(
        optionalRecord(envelope.result, METADATA_FIELD),
        GENERATED_ON_FIELD,
      );
      const tunnelId = optionalString(envelope.result, TUNNEL_ID_FIELD) ?? ipsecTunnelId;
      if (validateOnly) {
        if (envelope.success !== true) {
          throw invalidResponse(raw, operation, false, 'the envelope does not say success');
        }
        // A validate-only answer may carry a key that was never persisted; it must not be mistaken for one.
        return {
          validateOnly: true,
          accountId,
          ipsecTunnelId: tunnelId,
          lastGeneratedOn,
          messages: envelope.messages,
        };
      }
      const psk = optionalString(envelope.result, PSK_FIELD);
      // A key in a 2xx is returned whatever else is odd about the envelope: dropping it would lose the only copy.
      if (psk === undefined || psk.length === 0) {
        throw invalidResponse(raw, operation, true, 'the response carries no PSK');
      }
      return {
        validateOnly: false,
        accountId,
        ipsecTunnelId: tunnelId,
        psk: new Secret(psk),
        lastGeneratedOn,
        messages: envelope.messages,
      };
    };

    return validateOnly ? withRetries(retryPolicy, sleep, input.signal, attempt) : attempt();
  }

  async function getIpsecTunnel(input: GetIpsecTunnelInput): Promise<IpsecTunnelDetails> {
    const accountId = accountFor(input.accountId);
    const ipsecTunnelId = assertIdentifier('ipsecTunnelId', input.ipsecTunnelId);
    const operation = 'Reading the IPsec tunnel';
    const send: ApiCall = ({ signal, middleware }) =>
      apiClient().GET(TUNNEL_PATH, {
        params: { path: { account_id: accountId, ipsec_tunnel_id: ipsecTunnelId } },
        signal,
        parseAs: 'stream',
        middleware,
      });
    return withRetries(retryPolicy, sleep, input.signal, async () => {
      const raw = await performExchange(send, {
        timeoutMs,
        signal: input.signal,
        persisting: false,
        secrets,
      });
      if (raw.status < 200 || raw.status >= 300) throw refusal(raw, operation, false, false);
      if (raw.bodyError !== undefined) {
        throw invalidResponse(raw, operation, false, 'the response body could not be read in full');
      }
      const envelope = readEnvelope(raw.body, { secrets });
      const tunnel = optionalRecord(envelope?.result, TUNNEL_FIELD);
      const id = optionalString(tunnel, 'id');
      const name = optionalString(tunnel, 'name');
      if (envelope?.success !== true || !tunnel || id === undefined || name === undefined) {
        throw invalidResponse(raw, operation, false, 'the body is not a tunnel envelope');
      }
      return {
        id,
        name,
        lastGeneratedOn: optionalString(optionalRecord(tunnel, METADATA_FIELD), GENERATED_ON_FIELD),
        tunnel: tunnel as unknown as IpsecTunnel,
      };
    });
  }

  return {
    generateIpsecPsk: generateIpsecPsk as PskClient['generateIpsecPsk'],
    getIpsecTunnel,
    get api() {
      return apiClient();
    },
    baseUrl,
    accountId: defaultAccountId,
  };
}
