import type { SimAction, SimExchange, SimHttpRequest } from './actions.js';
import { notifyPskChanged, type PskChange } from './attachment.js';
import { authenticate } from './auth.js';
import { demoAccounts } from './demo.js';
import { type CloudflareMessage, ErrorCode, errorEnvelope } from './envelope.js';
import { DEFAULT_UNAPPLY_REASON, FaultQueue, matchesFilter } from './faults.js';
import { checkHealthOptions } from './graphql/answer.js';
import { routeHealthQuery } from './graphql/route.js';
import { addressesTunnel, isPersisting } from './operations.js';
import { type Answers, perform } from './perform.js';
import { CLOUDFLARE_RATE_LIMIT, RateLimiter } from './rate-limit.js';
import { matchRoute } from './routes.js';
import { type PskEntry, pskEntries, repeatedTunnel, type Unapply } from './set-psks.js';
import { specValidator } from './spec-validator.js';
import { isoSeconds, SimState, type TunnelRecord } from './state.js';
import type {
  RecordedRequest,
  SimFault,
  SimOperation,
  SimRequestFilter,
  SimTunnelHealth,
  SimulatorOptions,
} from './types.js';
import { type TunnelOperation, workFor } from './work.js';

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
  readonly #health: ReturnType<typeof checkHealthOptions>;
  readonly #withoutAnalytics: ReadonlySet<string>;

  constructor(options: SimulatorOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#limiter = new RateLimiter(options.rateLimit ?? CLOUDFLARE_RATE_LIMIT, this.#now);
    this.#health = checkHealthOptions(options.health);
    this.#withoutAnalytics = new Set(options.apiTokensWithoutAnalytics ?? []);
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

  /** Set a tunnel's health in the simulator's own model; see `Simulator.setTunnelState`. */
  setTunnelState(accountId: string, tunnelId: string, state: SimTunnelHealth | undefined): void {
    this.state.setTunnelState(accountId, tunnelId, state);
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
      isPersisting(operation) && this.#spec.typedQuery(operation, query).validate_only === true;

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
    if (limit.allowed) {
      const { limit: max, windowMs } = this.#limiter.config;
      record.rateLimit = {
        limit: max,
        remaining: limit.remaining,
        resetSeconds: limit.resetSeconds,
        windowSeconds: Math.round(windowMs / 1000),
      };
    } else {
      return this.#error(
        record,
        429,
        [{ code: ErrorCode.rateLimited, message: 'Please wait and consider throttling your request speed' }],
        { 'retry-after': String(limit.retryAfterSeconds) },
      );
    }
    const refusal = this.#validate(record, operation, params, query, invalidId);
    if (refusal) return refusal;
    const changed: PskChange[] = [];
    const answers = this.#answers(changed);
    if (operation === 'graphql') {
      return routeHealthQuery(record, {
        state: this.state,
        now: this.#now,
        health: this.#health,
        attachment: this.#options.attachment,
        withoutAnalytics: this.#withoutAnalytics,
        faults: this.faults,
        answers,
      });
    }
    const target = this.#target(record, operation, params);
    if ('kind' in target) return target;
    const fault = this.faults.take(record);
    const work = workFor(operation, {
      record,
      state: this.state,
      now: this.#now,
      ...target,
      unapply: unapplyOf(fault),
      changed,
    });
    return perform(record, work, fault, answers);
  }

  /** How this request's answers are made; `changed` collects the keys its work stores. */
  #answers(changed: PskChange[]): Answers {
    return {
      json: (record, status, body, headers) => this.#json(record, status, body, headers),
      error: (record, status, errors, headers) => this.#error(record, status, errors, headers),
      now: this.#now,
      settle: (record, action) => {
        const changes = changed.splice(0);
        const attachment = this.#options.attachment;
        if (changes.length === 0 || !attachment?.pskChanged) return action;
        return {
          kind: 'await',
          next: async () => {
            const failures = await notifyPskChanged(attachment, record.accountId ?? '', changes);
            if (failures.length === 0) return action;
            // The keys are stored whatever the attachment did; a test must see that it failed, so the client
            // gets a 500 (the outcome rules then call the change unknown, which is the truth at the device).
            const message = `Internal server error: the simulator's attachment did not take the new key (pskChanged): ${failures.join('; ')}`;
            return this.#error(record, 500, [{ code: ErrorCode.internal, message }]);
          },
        };
      },
    };
  }

  /** What a valid request acts on, or the refusal when it names something that is not there. */
  #target(
    record: RecordedRequest,
    operation: TunnelOperation,
    params: Record<string, string>,
  ): SimAction | { accountId: string; tunnel: TunnelRecord | undefined; entries: PskEntry[] } {
    const entries = operation === 'set_psks' ? pskEntries(record.body) : [];
    const repeated = repeatedTunnel(entries);
    if (repeated !== undefined) {
      return this.#error(record, 400, [
        {
          code: ErrorCode.badRequest,
          message: 'Invalid request body: an IPsec tunnel is listed more than once',
          source: { pointer: repeated },
        },
      ]);
    }
    const accountId = params.account_id ?? '';
    if (!this.state.hasAccount(accountId)) {
      return this.#error(record, 404, [{ code: ErrorCode.tunnelNotFound, message: 'Account not found' }]);
    }
    if (!addressesTunnel(operation)) return { accountId, tunnel: undefined, entries };
    const tunnel = this.state.find(accountId, params.ipsec_tunnel_id ?? '');
    if (!tunnel) {
      return this.#error(record, 404, [
        { code: ErrorCode.tunnelNotFound, message: 'IPsec tunnel not found' },
      ]);
    }
    return { accountId, tunnel, entries };
  }

  #validate(
    record: RecordedRequest,
    operation: SimOperation,
    pathParams: Record<string, string>,
    query: URLSearchParams,
    invalidId: () => SimAction,
  ): SimAction | undefined {
    // Reads take no body; whatever a GET carries is ignored, as HTTP servers commonly do.
    const body = record.method === 'GET' ? '' : record.body;
    const contentType = String(record.headers['content-type'] ?? '');
    if (body.trim() !== '' && !/^application\/json\s*(;|$)/i.test(contentType)) {
      this.#violation(record, 'body is not sent as application/json');
      return this.#error(record, 415, [
        { code: ErrorCode.unsupportedMediaType, message: 'Content-Type must be application/json' },
      ]);
    }
    const problem = this.#spec.validateRequest(operation, {
      pathParams,
      query,
      headers: record.headers,
      body,
    });
    if (!problem) return undefined;
    this.#violation(record, `${problem.where} ${problem.message}`);
    if (problem.where === 'path') return invalidId();
    const error: CloudflareMessage =
      problem.where === 'header'
        ? { code: ErrorCode.invalidHeaders, message: `Invalid request headers: ${problem.message}` }
        : {
            code: ErrorCode.badRequest,
            message:
              problem.where === 'query'
                ? `Invalid query parameter: ${problem.message}`
                : `Invalid request body: ${problem.message}`,
          };
    if (problem.pointer !== undefined) error.source = { pointer: problem.pointer };
    return this.#error(record, 400, [error]);
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

function unapplyOf(fault: SimFault | undefined): Unapply | undefined {
  if (fault?.type !== 'unapply') return undefined;
  return { tunnels: new Set(fault.tunnels), reason: fault.reason ?? DEFAULT_UNAPPLY_REASON };
}
