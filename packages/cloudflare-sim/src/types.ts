/** The Cloudflare operations the simulator serves, named after what they do (`graphql`: the tunnel health query). */
export type SimOperation = 'psk_generate' | 'get_tunnel' | 'list_tunnels' | 'set_psks' | 'graphql';

/** A tunnel's health as Cloudflare's health checks report it: 1 healthy, 0.5 degraded, 0 down. */
export type SimTunnelHealth = 0 | 0.5 | 1;

/** A tunnel's `health_check` configuration; what is not given is Cloudflare's default. */
export interface SimHealthCheckInit {
  /** Whether health checks run; default true. Without them the health query has no rows for the tunnel. */
  enabled?: boolean;
  /** `reply` (default) or `request`. */
  type?: 'reply' | 'request';
  /** `unidirectional` (default) or `bidirectional`. */
  direction?: 'unidirectional' | 'bidirectional';
  /** `low`, `mid` (default) or `high`. */
  rate?: 'low' | 'mid' | 'high';
  /** The saved target address; default none, and then the effective target is the customer endpoint. */
  target?: string;
}

/** A tunnel the simulator starts with. */
export interface SimTunnelInit {
  /** Tunnel identifier (1..32 characters, as the spec's `identifier`). */
  id: string;
  /** Tunnel name, unique in the account. */
  name: string;
  /** Optional description returned by `get_tunnel` and `list_tunnels`. */
  description?: string;
  /** ISO 8601 time of a PSK generated before the simulator started; absent means never generated. */
  lastGeneratedOn?: string;
  /** Cloudflare-side IP address; defaults to a documentation address. */
  cloudflareEndpoint?: string;
  /** The tunnel's /31 interface address; defaults to a private /31. */
  interfaceAddress?: string;
  /** The customer side's IP address; defaults to a documentation address (198.51.100.x). */
  customerEndpoint?: string;
  /** The tunnel's /127 IPv6 interface address; default none. */
  interfaceAddress6?: string;
  /** The custom IKE ID (`custom_remote_identities.fqdn_id`), `<label>.<account>.custom.ipsec.cloudflare.com`. */
  customRemoteIdentity?: string;
  /** The health check configuration; default Cloudflare's (enabled, reply, unidirectional, mid). */
  healthCheck?: SimHealthCheckInit;
  /** `replay_protection`; default false. */
  replayProtection?: boolean;
  /** `allow_null_cipher`; default false. */
  allowNullCipher?: boolean;
  /** BGP over the tunnel: the customer's ASN and the session state `bgp_status` reports (default `BGP_UP`). */
  bgp?: { customerAsn: number; state?: 'BGP_UP' | 'BGP_DOWN' | 'BGP_ESTABLISHING' };
  /** The tunnel's health for the simulator's own health model; default 1, null for no health data. */
  tunnelState?: SimTunnelHealth | null;
}

/** An account and its tunnels. */
export interface SimAccountInit {
  /** Account identifier (1..32 characters). */
  id: string;
  /** The account's IPsec tunnels. */
  tunnels: SimTunnelInit[];
}

/** How to start a simulator. */
export interface SimulatorOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; default 0 (ephemeral). */
  port?: number;
  /** Accounts and tunnels; default one demo account with two tunnels (see `DEMO_ACCOUNT_ID`). */
  accounts?: SimAccountInit[];
  /** Accepted `Authorization: Bearer` tokens; default none. */
  apiTokens?: string[];
  /** Accepted `X-Auth-Email` + `X-Auth-Key` pairs; default none. */
  apiKeys?: { email: string; key: string }[];
  /** Sandbox mode: any non-empty credential of either scheme is accepted (a credential is still required). */
  acceptAnyCredentials?: boolean;
  /** Fixed-window limit per credential; default Cloudflare's 1200 requests per 300 000 ms. */
  rateLimit?: { limit: number; windowMs: number };
  /** Clock used for timestamps and the rate-limit window; default `() => new Date()`. */
  now?: () => Date;
  /** Milliseconds every answer waits before it is sent, as a far API would take; default 0. */
  latencyMs?: number;
  /**
   * Tokens (of `apiTokens`, or any with `acceptAnyCredentials`) without "Account Analytics Read": the health query
   * answers them 403 "not authorized for that account", as Cloudflare does; the tunnel operations still work.
   */
  apiTokensWithoutAnalytics?: string[];
  /** The simulator's own health model (used for tunnels `attachment.tunnelState` does not answer for). */
  health?: SimHealthOptions;
  /** Hooks that tie the simulator to something real, e.g. an IKE daemon playing Cloudflare's side. */
  attachment?: SimAttachment;
}

/** How the simulator's own health model answers the health query. */
export interface SimHealthOptions {
  /** How many data centres report each tunnel (one row each); default 3, at most 12. */
  colos?: number;
  /**
   * How far behind the dataset runs, in ms: the last `lagMs` of a queried window have no results yet; default 0.
   * Cloudflare documents no figure; a window that lies entirely within the lag has no rows.
   */
  lagMs?: number;
}

/** Hooks the simulator calls, so tests can tie it to something real (the real-IKE tests use a strongSwan daemon). */
export interface SimAttachment {
  /** Called after the simulator changed a tunnel's PSK (Generate PSK or Set PSKs, not validate-only), before it answers. */
  pskChanged?(change: {
    accountId: string;
    tunnelId: string;
    tunnelName: string;
    psk: string;
  }): Promise<void> | void;
  /** The tunnel's health as Cloudflare's health checks would see it now: 1 up, 0.5 degraded, 0 down, undefined no data. */
  tunnelState?(tunnel: {
    accountId: string;
    tunnelId: string;
    tunnelName: string;
  }): Promise<number | undefined> | number | undefined;
}

/** Narrows a request by operation and, for the persisting operations only, by `validate_only`. */
export interface SimRequestFilter {
  /** Only requests routed to this operation. */
  operation?: SimOperation;
  /** Only `psk_generate` and `set_psks` requests with this `validate_only` value (never matches another). */
  validateOnly?: boolean;
}

/** One request as the simulator received it and what became of it. */
export interface RecordedRequest {
  /** HTTP method as received. */
  method: string;
  /** URL path without the query string, as received (not decoded). */
  path: string;
  /** The operation the path routed to; undefined for unknown routes or wrong methods. */
  operation: SimOperation | undefined;
  /** Percent-decoded account id from the path, when routed (for `graphql`: the query's `accountTag`, once read). */
  accountId?: string;
  /** Percent-decoded tunnel id from the path, when routed (absent for `list_tunnels` and `set_psks`). */
  tunnelId?: string;
  /** Whether `validate_only=true` was sent (always false for `get_tunnel` and `list_tunnels`). */
  validateOnly: boolean;
  /** Query parameters (first value of each name). */
  query: Record<string, string>;
  /** Request headers as Node received them (lower-case names; includes credentials). */
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body (UTF-8). */
  body: string;
  /** Status sent; undefined when no answer was sent (socket reset, or the client left first). */
  status: number | undefined;
  /** Whether this request replaced a tunnel's PSK (for `set_psks`: at least one). */
  persisted: boolean;
  /** When it arrived (`Date.now()`), to tell requests sent together from requests sent one after another. */
  receivedAt: number;
  /** The rate limit as answered in the `Ratelimit` header, once the credential was counted. */
  rateLimit?: { limit: number; remaining: number; resetSeconds: number; windowSeconds: number };
}

/** Which requests a fault applies to, and how many it consumes. */
export interface SimFaultBase {
  /** Requests this fault applies to; default every request that reaches an operation (`unapply`: every `set_psks`). */
  match?: SimRequestFilter;
  /** How many matching requests consume this fault; default 1. */
  times?: number;
}

/**
 * A misbehaviour to inject. `persist` decides whether the change (a generated key, or the keys of `set_psks`) is
 * stored before the fault acts; it only matters for `psk_generate` and `set_psks` with `validate_only=false`:
 * - `delay`: wait `ms`, then answer normally. persist (default true) stores before waiting; false stores after
 *   the wait, and only if the client is still connected.
 * - `status`: answer with this 4xx/5xx status and a Cloudflare error envelope (optional `Retry-After`; `message`
 *   replaces the error message, e.g. to quote what the client sent);
 *   persist defaults to false.
 * - `reset`: destroy the socket (TCP RST) without an answer; persist defaults to true ("reset after persisting").
 * - `truncate`: send 200 headers with the full Content-Length and part of the body, then destroy; persist
 *   defaults to true.
 * - `omit-psk`: answer 200 without the keys: `result.psk` on `psk_generate`, each applied entry's `psk` on
 *   `set_psks`, `psk_metadata` on `get_tunnel` and on every tunnel of `list_tunnels`; persisted.
 * - `invalid-json`: answer 200 with a body that is not JSON; persisted.
 * - `unapply` (`set_psks` only): the listed tunnels go to `unapplied_psks` with `reason` (default "PSK could not
 *   be applied") and keep their keys; the request's other tunnels are applied as usual. A partial failure.
 * - `graphql-error` (`graphql` only): HTTP 200 with `data: null` and one GraphQL error carrying `message` (default
 *   "unable to execute query, please try again later"), as Cloudflare's GraphQL API answers many failures.
 * On `graphql`, `status` answers with a GraphQL error body and `omit-psk` drops each row's `avg`.
 */
export type SimFault = SimFaultBase &
  (
    | { type: 'delay'; ms: number; persist?: boolean }
    | { type: 'status'; status: number; persist?: boolean; retryAfterSeconds?: number; message?: string }
    | { type: 'reset'; persist?: boolean }
    | { type: 'truncate'; persist?: boolean }
    | { type: 'omit-psk' }
    | { type: 'invalid-json' }
    | { type: 'unapply'; tunnels: string[]; reason?: string }
    | { type: 'graphql-error'; message?: string }
  );

/** A snapshot of one tunnel's state. */
export interface SimTunnelState {
  /** Tunnel identifier. */
  id: string;
  /** Tunnel name. */
  name: string;
  /** The current PSK; undefined until one is generated or set through the simulator. */
  psk: string | undefined;
  /** ISO 8601 time of the last generation or set, at second precision. */
  lastGeneratedOn: string | undefined;
  /** How many PSKs the simulator generated or set, and persisted, for this tunnel. */
  rotations: number;
  /** The tunnel's health in the simulator's own model; undefined for no data. */
  tunnelState: SimTunnelHealth | undefined;
}

/** A running simulator. */
export interface Simulator {
  /** API base URL, e.g. `http://127.0.0.1:PORT/client/v4`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** How many recorded requests match the filter (all when omitted). */
  count(filter?: SimRequestFilter): number;
  /** A snapshot of a tunnel's state, or undefined when unknown. */
  tunnel(accountId: string, tunnelId: string): SimTunnelState | undefined;
  /** Queue a fault; faults apply in order and each matching request consumes one use. */
  inject(fault: SimFault): void;
  /** Drop every queued fault. */
  clearFaults(): void;
  /** Set a tunnel's health in the simulator's own model (undefined: no data); RangeError for an unknown tunnel. */
  setTunnelState(accountId: string, tunnelId: string, state: SimTunnelHealth | undefined): void;
  /** Requests and responses that failed validation against the spec (no secrets). */
  readonly specViolations: readonly string[];
  /** Stop listening, destroy open sockets and cancel pending delays. */
  close(): Promise<void>;
}
