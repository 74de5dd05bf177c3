import { expect } from 'vitest';
import { createPskClient, type PskClientOptions } from '../client.js';
import { PskError } from '../errors.js';

/** A recorded call to the fake fetch. */
export interface FakeCall {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  /** The request's redirect mode. */
  redirect: Request['redirect'];
  /** The request's signal. */
  signal: AbortSignal;
}

type Responder = (call: FakeCall, index: number) => Response | Promise<Response>;

// A real fetch is rooted by its socket while it waits. A fake that has not answered yet is reachable only through
// the request's signal, which Node links to its source (the client's timeout) through a weak reference: without a
// root, a GC collects the whole pending call and the timeout never reaches it. This set is that root.
const unanswered = new Set<Promise<Response>>();

/** A fetch that answers from `responders` in order (the last one repeats) and records every call. */
export function fakeFetch(...responders: Responder[]): typeof fetch & { calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const fn = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const call: FakeCall = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: await request.text(),
      redirect: request.redirect,
      signal: request.signal,
    };
    calls.push(call);
    const responder = responders[Math.min(calls.length - 1, responders.length - 1)];
    if (!responder) throw new Error('fakeFetch has no responder');
    const answer = Promise.resolve(responder(call, calls.length - 1));
    unanswered.add(answer);
    return answer.finally(() => unanswered.delete(answer));
  };
  return Object.assign(fn, { calls }) as typeof fetch & { calls: FakeCall[] };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** Cloudflare's success envelope around `result`. */
export function ok(result: unknown): Response {
  return json(200, { success: true, errors: [], messages: [], result });
}

/** Cloudflare's error envelope. */
export function cfError(status: number, code: number, message: string, headers: Record<string, string> = {}) {
  return json(status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);
}

/** A fetch failure shaped like undici's: a TypeError whose cause carries an errno code. */
export function networkError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

export const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
export const TUNNEL = 'c4a7362d577a6c3019a474fd6f485821';

/** The PskError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<PskError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PskError);
  return error as PskError;
}

/** Backoff that does not wait, for tests of retries. */
export const noSleep = async () => {};

/** A client on a fake fetch, retrying without waiting. */
export function testClient(fetch: typeof globalThis.fetch, options: Partial<PskClientOptions> = {}) {
  return createPskClient({ apiToken: 'test-token-value', fetch, sleep: noSleep, ...options });
}

/** A Generate PSK result as Cloudflare sends it. */
export const generated = {
  ipsec_tunnel_id: TUNNEL,
  psk: 'NewKey0123456789',
  psk_metadata: { last_generated_on: '2026-11-27T00:00:00Z' },
};
