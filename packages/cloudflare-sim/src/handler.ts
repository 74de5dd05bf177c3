import type { IncomingHttpHeaders } from 'node:http';
import { authenticate } from './auth.js';
import { demoAccounts } from './demo.js';
import {
  type CloudflareMessage,
  ErrorCode,
  errorEnvelope,
  errorForStatus,
  successEnvelope,
} from './envelope.js';
import { FaultQueue, matchesFilter, persistsFirst } from './faults.js';
import { CLOUDFLARE_RATE_LIMIT, RateLimiter } from './rate-limit.js';
import { matchRoute } from './routes.js';
import { specValidator } from './spec-validator.js';
import { generatePsk, isoSeconds, SimState, type TunnelRecord } from './state.js';
import type { RecordedRequest, SimFault, SimOperation, SimRequestFilter, SimulatorOptions } from './types.js';
import { pskMetadata, tunnelView } from './views.js';

/** A request as the transport received it. */
export interface SimHttpRequest {
  /** HTTP method. */
  method: string;
  /** Request target: path and query, as on the request line. */
  url: string;
  /** Request headers (lower-case names). */
  headers: IncomingHttpHeaders;
  /** Request body as UTF-8 text; empty when none. */
  body: string;
}

/** What the transport must do with a request. */
export type SimAction =
  /** Send this answer. */
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string }
  /** Destroy the connection without answering. */
  | { kind: 'reset' }
  /** Send the status and headers with the full Content-Length, part of the body, then destroy the connection. */
  | { kind: 'truncate'; status: number; headers: Record<string, string>; body: string }
  /** Wait, then (if the client is still there) do what `next()` says; `next` may persist. */
  | { kind: 'delay'; ms: number; next: () => SimAction };

/** A handled request: its record (the transport sets `status`) and what to do. */
export interface SimExchange {
  /** The recorded request; the transport sets `status` once it answers. */
  record: RecordedRequest;
  /** What to send. */
  action: SimAction;
}

/** The simulator without a socket: routing, auth, limits, validation, state and faults. */
export class SimHandler {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Spec violations found in requests and responses. */
  readonly specViolations: string[] = [];
  /** Injected faults. */
  readonly faults = new FaultQueue();
  /** Accounts and tunnels. */
  readonly state: SimState;
  readonly #options: SimulatorOptions;
  readonly #now: () => Date;
  readonly #limiter: RateLimiter;
  readonly #spec = specValidator();

  constructor(options: SimulatorOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#limiter = new RateLimiter(options.rateLimit ?? CLOUDFLARE_RATE_LIMIT, this.#now);
    const accounts = options.accounts ?? demoAccounts();
    for (const account of accounts) {
      // An id the spec would refuse could never be reached, so refuse it here instead of failing later.
      for (const tunnelId of account.tunnels.length ? account.tunnels.map((t) => t.id) : ['0']) {
        const problem = this.#spec.validateRequest('get_tunnel', {
          pathParams: { account_id: account.id, ipsec_tunnel_id: tunnelId },
          query: new URLSearchParams(),
          body: '',
        });
        if (problem)
          throw new RangeError(`account and tunnel ids must be spec identifiers: ${problem.message}`);
      }
    }
    this.state = new SimState(accounts, isoSeconds(this.#now()));
  }

  /** How many recorded requests match the filter (all when omitted). */
  count(filter?: SimRequestFilter): number {
    return this.requests.filter((request) => matchesFilter(filter, request)).length;
  }

  /** Queue a fault; see `SimFault`. */
  inject(fault: SimFault): void {
    this.faults.add(fault);
  }

  /** Record a request and decide its answer; state changes (rotations, fault use) happen here, I/O does not. */
  handle(request: SimHttpRequest): SimExchange {
    const url = new URL(request.url, 'http://simulator.invalid');
    const record: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      operation: undefined,
      validateOnly: false,
      query: Object.fromEntries(
        [...new Set(url.searchParams.keys())].map((k) => [k, url.searchParams.get(k) ?? '']),
      ),
      headers: { ...request.headers },
      body: request.body,
      status: undefined,
      persisted: false,
      receivedAt: Date.now(),
    };
    this.requests.push(record);
    return { record, action: this.#route(record, url.searchParams) };
  }

  #route(record: RecordedRequest, query: URLSearchParams): SimAction {
    const routed = matchRoute(this.#spec.operations, record.path);
    if (!routed.length) {
      this.#violation(record, 'matches no operation in the spec');
      return this.#error(record, 404, [{ code: ErrorCode.noRoute, message: 'No route for that URI' }]);
    }
    const found = routed.find((r) => r.op.method === record.method);
    if (!found) {
      this.#violation(record, `method ${record.method} is not in the spec for this path`);
      const allow = routed.map((r) => r.op.method).join(', ');
      return this.#error(
        record,
        405,
        [{ code: ErrorCode.methodNotAllowed, message: 'Method not allowed for this route' }],
        {
          allow,
        },
      );
    }
    const operation = found.op.operation;
    record.operation = operation;
    const invalidId = (): SimAction =>
      this.#error(record, 400, [
        {
          code: ErrorCode.invalidIdentifier,
          message: `Could not route to ${record.path}, perhaps your object identifier is invalid?`,
        },
      ]);
    let params: Record<string, string>;
    try {
      params = Object.fromEntries(Object.entries(found.params).map(([k, v]) => [k, decodeURIComponent(v)]));
    } catch {
      this.#violation(record, 'path parameter is not valid percent-encoding');
      return invalidId();
    }
    record.accountId = params.account_id;
    record.tunnelId = params.ipsec_tunnel_id;
    record.validateOnly =
      operation === 'psk_generate' && this.#spec.typedQuery(operation, query).validate_only === true;

    const auth = authenticate(record.headers, {
      apiTokens: this.#options.apiTokens ?? [],
      apiKeys: this.#options.apiKeys ?? [],
      acceptAnyCredentials: this.#options.acceptAnyCredentials ?? false,
    });
    if (!auth.ok) {
      if (auth.status === 400) this.#violation(record, 'lacks the credentials the spec requires');
      return this.#error(record, auth.status, [auth.error]);
    }
    const limit = this.#limiter.take(auth.principal);
    if (!limit.allowed) {
      return this.#error(
        record,
        429,
        [{ code: ErrorCode.rateLimited, message: 'Please wait and consider throttling your request speed' }],
        { 'retry-after': String(limit.retryAfterSeconds) },
      );
    }

    const refusal = this.#validate(record, operation, params, query, invalidId);
    if (refusal) return refusal;

    const accountId = params.account_id ?? '';
    const tunnel = this.state.find(accountId, params.ipsec_tunnel_id ?? '');
    if (!tunnel) {
      const message = this.state.hasAccount(accountId) ? 'IPsec tunnel not found' : 'Account not found';
      return this.#error(record, 404, [{ code: ErrorCode.tunnelNotFound, message }]);
    }
    const fault = this.faults.take(record);
    return this.#perform(record, operation, tunnel, fault);
  }

  #validate(
    record: RecordedRequest,
    operation: SimOperation,
    pathParams: Record<string, string>,
    query: URLSearchParams,
    invalidId: () => SimAction,
  ): SimAction | undefined {
    const body = operation === 'get_tunnel' ? '' : record.body;
    const contentType = String(record.headers['content-type'] ?? '');
    if (body.trim() !== '' && !/^application\/json\s*(;|$)/i.test(contentType)) {
      this.#violation(record, 'body is not sent as application/json');
      return this.#error(record, 415, [
        { code: ErrorCode.unsupportedMediaType, message: 'Content-Type must be application/json' },
      ]);
    }
    const problem = this.#spec.validateRequest(operation, { pathParams, query, body });
    if (!problem) return undefined;
    this.#violation(record, `${problem.where} ${problem.message}`);
    if (problem.where === 'path') return invalidId();
    const error: CloudflareMessage = {
      code: ErrorCode.badRequest,
      message:
        problem.where === 'query'
          ? `Invalid query parameter: ${problem.message}`
          : `Invalid request body: ${problem.message}`,
    };
    if (problem.pointer !== undefined) error.source = { pointer: problem.pointer };
    return this.#error(record, 400, [error]);
  }

  #perform(
    record: RecordedRequest,
    operation: SimOperation,
    tunnel: TunnelRecord,
    fault: SimFault | undefined,
  ): SimAction {
    const persisting = operation === 'psk_generate' && !record.validateOnly;
    // Faults decide whether the rotation happens before they act, so persisting is a parameter.
    const run = (persist: boolean): Record<string, unknown> => {
      if (operation === 'get_tunnel') return successEnvelope({ ipsec_tunnel: tunnelView(tunnel) });
      if (persisting && persist) {
        this.state.rotate(tunnel, this.#now());
        record.persisted = true;
      }
      // The spec requires `psk` in every 200, but validate-only (or an unpersisted fault) must store nothing:
      // such answers carry a fresh key that is never saved, so the tunnel's real key stays unchanged and secret.
      const psk = record.persisted ? tunnel.psk : generatePsk();
      return successEnvelope({
        ipsec_tunnel_id: tunnel.id,
        psk,
        psk_metadata: pskMetadata(tunnel),
      });
    };
    if (!fault) return this.#json(record, 200, run(true));

    const persist = persistsFirst(fault);
    switch (fault.type) {
      case 'delay': {
        if (persist) {
          const body = run(true);
          return { kind: 'delay', ms: fault.ms, next: () => this.#json(record, 200, body) };
        }
        return { kind: 'delay', ms: fault.ms, next: () => this.#json(record, 200, run(true)) };
      }
      case 'status': {
        run(persist);
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        return this.#error(record, fault.status, [errorForStatus(fault.status)], headers);
      }
      case 'reset':
        run(persist);
        return { kind: 'reset' };
      case 'truncate':
        return { kind: 'truncate', status: 200, headers: jsonHeaders(), body: JSON.stringify(run(persist)) };
      case 'omit-psk': {
        const body = run(true) as { result: Record<string, unknown> };
        // A tunnel carries no psk; dropping its psk_metadata removes what a check-back relies on instead.
        const result =
          operation === 'get_tunnel'
            ? { ipsec_tunnel: without(body.result.ipsec_tunnel as Record<string, unknown>, 'psk_metadata') }
            : without(body.result, 'psk');
        return {
          kind: 'respond',
          status: 200,
          headers: jsonHeaders(),
          body: JSON.stringify({ ...body, result }),
        };
      }
      case 'invalid-json':
        run(true);
        return {
          kind: 'respond',
          status: 200,
          headers: jsonHeaders(),
          body: '{"success":true,"errors":[],"messages":[],"result":',
        };
    }
  }

  #error(
    record: RecordedRequest,
    status: number,
    errors: CloudflareMessage[],
    headers: Record<string, string> = {},
  ): SimAction {
    return this.#json(record, status, errorEnvelope(errors), headers);
  }

  #json(
    record: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): SimAction {
    const allHeaders = { ...jsonHeaders(), ...headers };
    for (const problem of this.#spec.validateResponse(record.operation, status, body, allHeaders)) {
      this.specViolations.push(`response to ${record.method} ${record.path}: ${problem}`);
    }
    return { kind: 'respond', status, headers: allHeaders, body: JSON.stringify(body) };
  }

  #violation(record: RecordedRequest, problem: string): void {
    this.specViolations.push(`request ${record.method} ${record.path}: ${problem}`);
  }
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8' };
}

function without(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...object };
  delete copy[key];
  return copy;
}
