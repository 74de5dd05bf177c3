import { AsyncLocalStorage } from 'node:async_hooks';
import { MemoryStore } from 'express-rate-limit';

// One budget per principal and minute for everything a principal can make this server do: its HTTP requests, each
// JSON-RPC call in them, and each Cloudflare request made on its behalf (the operator's Cloudflare quota, 1200
// requests per 5 minutes, is shared by every principal). A tool that reads many tunnels therefore spends as much as
// that many calls, and one principal cannot spend the quota for everyone.
//
// Requests that change nothing (reads, validate-only calls, health queries) are refused once the budget is spent:
// the call fails before that request, and nothing is lost. A persisting request (Generate PSK, Set PSKs) is never
// refused here: it is sent only after a human confirmed, and cutting a fleet between its batches would leave it
// half-rotated. It still counts.

/** The principal of requests without authentication (a loopback-only server). */
export const ANONYMOUS = 'anonymous';

const WINDOW_MS = 60_000;

function isPersisting(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): boolean {
  const request = input instanceof Request ? input : undefined;
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') return false;
  const url = new URL(request?.url ?? String(input));
  return !url.pathname.endsWith('/graphql') && url.searchParams.get('validate_only') !== 'true';
}

/** The answer Cloudflare gives when its own rate limit is hit, so core reports it as such ("nothing was changed"). */
function spent(retryAfterS: number, perMinute: number): Response {
  const body = {
    success: false,
    errors: [
      {
        code: 10_429,
        message: `This server's limit of ${perMinute} requests a minute for this user is spent; nothing was sent.`,
      },
    ],
    messages: [],
    result: null,
  };
  return new Response(JSON.stringify(body), {
    status: 429,
    headers: { 'content-type': 'application/json', 'retry-after': String(retryAfterS) },
  });
}

/** The per-principal budget, and the fetch the Cloudflare client uses to spend it. */
export class PrincipalBudget {
  /** Shared with the HTTP rate limiter, which counts requests against the same keys. */
  readonly store = new MemoryStore();
  private readonly current = new AsyncLocalStorage<string>();

  constructor(
    readonly perMinute: number,
    private readonly baseFetch: typeof fetch = (input, init) => globalThis.fetch(input, init),
  ) {
    this.store.init({ windowMs: WINDOW_MS } as Parameters<MemoryStore['init']>[0]);
  }

  /** Runs `work` on `principal`'s account: Cloudflare requests it makes are counted there. */
  run<T>(principal: string, work: () => T): T {
    return this.current.run(principal, work);
  }

  /**
   * Counts `calls` more calls for `principal` (the first of a request is counted by the rate limiter); the
   * seconds to wait when that spends more than the budget, else undefined.
   */
  async spendCalls(principal: string, calls: number): Promise<number | undefined> {
    let info: Awaited<ReturnType<MemoryStore['increment']>> | undefined;
    for (let i = 0; i < calls; i++) info = await this.store.increment(principal);
    if (!info || info.totalHits <= this.perMinute) return undefined;
    return secondsUntil(info.resetTime);
  }

  /** The Cloudflare client's fetch: outside a principal's request (stdio, start-up) it is plain fetch. */
  readonly fetch: typeof fetch = async (input, init) => {
    const principal = this.current.getStore();
    if (principal === undefined) return this.baseFetch(input, init);
    const info = await this.store.increment(principal);
    if (info.totalHits > this.perMinute && !isPersisting(input, init)) {
      // Refused, not sent: it does not count.
      await this.store.decrement(principal);
      return spent(secondsUntil(info.resetTime), this.perMinute);
    }
    return this.baseFetch(input, init);
  };

  shutdown(): void {
    this.store.shutdown();
  }
}

function secondsUntil(reset: Date | undefined): number {
  return Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
}
