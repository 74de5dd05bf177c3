import { describe, expect, it } from 'vitest';
import { createPskClient, type PskClientOptions } from './client.js';
import { PskError } from './errors.js';
import {
  ACCOUNT,
  cfError,
  fakeFetch,
  generated,
  json,
  networkError,
  ok,
  rejection,
  TUNNEL,
  testClient,
} from './test-support/fake-fetch.js';
import { CORE_VERSION } from './version.js';

const client = testClient;

describe('generateIpsecPsk: the request', () => {
  it('posts {} to the documented path with the token, JSON content type and our user agent', async () => {
    const fetch = fakeFetch(() => ok(generated));
    await client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL });
    expect(fetch.calls).toHaveLength(1);
    const [call] = fetch.calls;
    expect(call?.method).toBe('POST');
    expect(call?.url.href).toBe(
      `https://api.cloudflare.com/client/v4/accounts/${ACCOUNT}/magic/ipsec_tunnels/${TUNNEL}/psk_generate`,
    );
    expect(call?.headers.get('authorization')).toBe('Bearer test-token-value');
    expect(call?.headers.get('content-type')).toBe('application/json');
    expect(call?.headers.get('user-agent')).toBe(`ipsec-psk-core/${CORE_VERSION}`);
    expect(call?.body).toBe('{}');
  });

  it('sends validate_only=true only when asked', async () => {
    const fetch = fakeFetch(() => ok(generated));
    const c = client(fetch);
    await c.generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, validateOnly: true });
    await c.generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL });
    expect(fetch.calls.map((c) => c.url.search)).toEqual(['?validate_only=true', '']);
  });

  it('uses X-Auth-Email and X-Auth-Key for a Global API key', async () => {
    const fetch = fakeFetch(() => ok(generated));
    await createPskClient({
      apiEmail: 'ops@example.com',
      apiKey: 'global-key-value',
      fetch,
    }).generateIpsecPsk({
      accountId: ACCOUNT,
      ipsecTunnelId: TUNNEL,
    });
    const headers = fetch.calls[0]?.headers;
    expect(headers?.get('x-auth-email')).toBe('ops@example.com');
    expect(headers?.get('x-auth-key')).toBe('global-key-value');
    expect(headers?.has('authorization')).toBe(false);
  });

  it('uses the default account and a custom base URL', async () => {
    const fetch = fakeFetch(() => ok(generated));
    await client(fetch, { accountId: ACCOUNT, baseUrl: 'http://127.0.0.1:9/client/v4/' }).generateIpsecPsk({
      ipsecTunnelId: TUNNEL,
    });
    expect(fetch.calls[0]?.url.href).toBe(
      `http://127.0.0.1:9/client/v4/accounts/${ACCOUNT}/magic/ipsec_tunnels/${TUNNEL}/psk_generate`,
    );
  });
});

describe('generateIpsecPsk: the result', () => {
  it('returns the key wrapped, with the tunnel id and generation time', async () => {
    const result = await client(fakeFetch(() => ok(generated))).generateIpsecPsk({
      accountId: ACCOUNT,
      ipsecTunnelId: TUNNEL,
    });
    expect(result.validateOnly).toBe(false);
    expect(result.ipsecTunnelId).toBe(TUNNEL);
    expect(result.accountId).toBe(ACCOUNT);
    expect(result.lastGeneratedOn).toBe('2026-11-27T00:00:00Z');
    expect(result.psk.reveal()).toBe('NewKey0123456789');
    expect(JSON.stringify(result)).not.toContain('NewKey0123456789');
  });

  it('never exposes a key from a validate-only answer', async () => {
    const result = await client(fakeFetch(() => ok(generated))).generateIpsecPsk({
      accountId: ACCOUNT,
      ipsecTunnelId: TUNNEL,
      validateOnly: true,
    });
    expect(result).toEqual({
      validateOnly: true,
      accountId: ACCOUNT,
      ipsecTunnelId: TUNNEL,
      lastGeneratedOn: '2026-11-27T00:00:00Z',
      messages: [],
    });
  });

  it('returns a key even from an otherwise odd envelope, since dropping it would lose the only copy', async () => {
    const fetch = fakeFetch(() => json(200, { result: { psk: 'OddButRealKey123' } }));
    const result = await client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL });
    expect(result.psk.reveal()).toBe('OddButRealKey123');
    expect(result.lastGeneratedOn).toBeUndefined();
  });
});

describe('generateIpsecPsk: refusals (nothing executed)', () => {
  it.each([
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'api_error'],
  ] as const)('HTTP %i → %s, not executed, with Cloudflare errors', async (status, code) => {
    const fetch = fakeFetch(() => cfError(status, 1001, 'Cloudflare says no'));
    const error = await rejection(
      client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error).toMatchObject({ code, outcome: 'not_executed', status });
    expect(error.cloudflareErrors).toEqual([{ code: 1001, message: 'Cloudflare says no' }]);
    expect(error.message).toContain('Cloudflare said: "Cloudflare says no" (code 1001).');
    expect(fetch.calls).toHaveLength(1);
  });

  it('429 → rate_limited with retryAfterSeconds, sent once', async () => {
    const fetch = fakeFetch(() => cfError(429, 971, 'Please wait', { 'Retry-After': '42' }));
    const error = await rejection(
      client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error).toMatchObject({
      code: 'rate_limited',
      outcome: 'not_executed',
      status: 429,
      retryAfterSeconds: 42,
    });
    expect(error.message).toContain('Try again in 42 s');
    expect(fetch.calls).toHaveLength(1);
  });

  it('reads an HTTP-date Retry-After against the injected clock', async () => {
    const now = Date.parse('2026-11-27T00:00:00Z');
    const fetch = fakeFetch(() =>
      cfError(429, 971, 'wait', { 'Retry-After': 'Fri, 27 Nov 2026 00:01:30 GMT' }),
    );
    const error = await rejection(
      client(fetch, { now: () => now }).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error.retryAfterSeconds).toBe(90);
  });

  it('a 3xx is not followed: following a 307 would resend the POST', async () => {
    const fetch = fakeFetch(
      () => new Response(null, { status: 307, headers: { Location: 'https://elsewhere/' } }),
    );
    const error = await rejection(
      client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error).toMatchObject({ code: 'api_error', outcome: 'not_executed', status: 307 });
    expect(fetch.calls).toHaveLength(1);
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])(
    '%s before sending → network, not executed',
    async (code) => {
      const fetch = fakeFetch(() => {
        throw networkError(code);
      });
      const error = await rejection(
        client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
      );
      expect(error).toMatchObject({ code: 'network', outcome: 'not_executed' });
      expect(fetch.calls).toHaveLength(1);
    },
  );

  it('an already-aborted signal sends nothing', async () => {
    const fetch = fakeFetch(() => ok(generated));
    const error = await rejection(
      client(fetch).generateIpsecPsk({
        accountId: ACCOUNT,
        ipsecTunnelId: TUNNEL,
        signal: AbortSignal.abort(),
      }),
    );
    expect(error).toMatchObject({ code: 'aborted', outcome: 'not_executed' });
    expect(fetch.calls).toHaveLength(0);
  });
});

describe('generateIpsecPsk: ambiguous outcomes are reported as unknown and never retried', () => {
  const cases: [string, () => Response | Promise<Response>, string][] = [
    ['HTTP 500', () => cfError(500, 1000, 'Internal error'), 'api_error'],
    ['HTTP 503 without a body', () => new Response('', { status: 503 }), 'api_error'],
    ['a connection reset', () => Promise.reject(networkError('ECONNRESET')), 'network'],
    ['a socket error', () => Promise.reject(networkError('UND_ERR_SOCKET')), 'network'],
    ['a 200 without psk', () => ok({ ipsec_tunnel_id: TUNNEL }), 'invalid_response'],
    ['a 200 with an empty psk', () => ok({ ipsec_tunnel_id: TUNNEL, psk: '' }), 'invalid_response'],
    ['a 200 that is not JSON', () => new Response('<html>oops', { status: 200 }), 'invalid_response'],
    ['a 200 with an empty body', () => new Response('', { status: 200 }), 'invalid_response'],
  ];
  it.each(cases)('%s → unknown', async (_name, respond, code) => {
    const fetch = fakeFetch(respond);
    const error = await rejection(
      client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error).toMatchObject({ code, outcome: 'unknown' });
    expect(error.outcomeUnknown).toBe(true);
    expect(error.message).toMatch(/Outcome unknown.*may already be replaced/);
    expect(fetch.calls).toHaveLength(1);
  });

  it('a timeout after sending → timeout, unknown, sent once', async () => {
    const slowFetch = fakeFetch(
      ({ signal }) =>
        new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const error = await rejection(
      client(slowFetch, { timeoutMs: 50 }).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error).toMatchObject({ code: 'timeout', outcome: 'unknown' });
    expect(slowFetch.calls).toHaveLength(1);
  });
});

describe('validate-only and GET retry what is transient, with bounded backoff', () => {
  it('retries 5xx, network errors and 429 (honouring Retry-After) then succeeds', async () => {
    const waits: number[] = [];
    const fetch = fakeFetch(
      () => cfError(503, 1000, 'busy'),
      () => Promise.reject(networkError('ECONNRESET')),
      () => cfError(429, 971, 'wait', { 'Retry-After': '2' }),
      () => ok(generated),
    );
    const result = await client(fetch, {
      retry: { maxAttempts: 4 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    }).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, validateOnly: true });
    expect(result.validateOnly).toBe(true);
    expect(fetch.calls).toHaveLength(4);
    expect(fetch.calls.every((c) => c.url.search === '?validate_only=true')).toBe(true);
    expect(waits).toHaveLength(3);
    expect(waits[2]).toBe(2000);
    expect(waits.slice(0, 2).every((ms) => ms >= 0 && ms <= 500)).toBe(true);
  });

  it('stops after maxAttempts and reports the last failure', async () => {
    const fetch = fakeFetch(() => cfError(502, 1000, 'bad gateway'));
    const error = await rejection(
      client(fetch, { retry: { maxAttempts: 3 } }).generateIpsecPsk({
        accountId: ACCOUNT,
        ipsecTunnelId: TUNNEL,
        validateOnly: true,
      }),
    );
    expect(error).toMatchObject({ code: 'api_error', status: 502, outcome: 'not_executed' });
    expect(fetch.calls).toHaveLength(3);
  });

  it('does not wait out a Retry-After longer than maxDelayMs', async () => {
    const fetch = fakeFetch(() => cfError(429, 971, 'wait', { 'Retry-After': '300' }));
    const error = await rejection(
      client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, validateOnly: true }),
    );
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 300 });
    expect(fetch.calls).toHaveLength(1);
  });

  it('does not retry a definite refusal', async () => {
    const fetch = fakeFetch(() => cfError(403, 10000, 'Authentication error'));
    await rejection(
      client(fetch).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, validateOnly: true }),
    );
    expect(fetch.calls).toHaveLength(1);
  });

  it('the persisting call is sent once even when the answer is transient', async () => {
    const fetch = fakeFetch(() => cfError(503, 1000, 'busy'));
    await rejection(
      client(fetch, { retry: { maxAttempts: 5 } }).generateIpsecPsk({
        accountId: ACCOUNT,
        ipsecTunnelId: TUNNEL,
      }),
    );
    expect(fetch.calls).toHaveLength(1);
  });
});

describe('getIpsecTunnel', () => {
  const tunnel = {
    id: TUNNEL,
    name: 'branch-office',
    cloudflare_endpoint: '203.0.113.1',
    interface_address: '192.0.2.0/31',
    psk_metadata: { last_generated_on: '2026-01-01T00:00:00Z' },
  };

  it('reads the tunnel and its last generation time', async () => {
    const fetch = fakeFetch(() => ok({ ipsec_tunnel: tunnel }));
    const details = await client(fetch).getIpsecTunnel({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL });
    expect(details).toMatchObject({
      id: TUNNEL,
      name: 'branch-office',
      lastGeneratedOn: '2026-01-01T00:00:00Z',
    });
    expect(details.tunnel.cloudflare_endpoint).toBe('203.0.113.1');
    expect(fetch.calls[0]?.method).toBe('GET');
    expect(fetch.calls[0]?.url.pathname).toBe(`/client/v4/accounts/${ACCOUNT}/magic/ipsec_tunnels/${TUNNEL}`);
  });

  it('maps 404 to not_found', async () => {
    const fetch = fakeFetch(() => cfError(404, 1001, 'IPsec tunnel not found'));
    const error = await rejection(
      client(fetch).getIpsecTunnel({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL }),
    );
    expect(error).toMatchObject({ code: 'not_found', outcome: 'not_executed', status: 404 });
  });

  it('rejects a body that is not a tunnel envelope', async () => {
    const fetch = fakeFetch(() => ok({ something: 'else' }));
    const error = await rejection(
      client(fetch, { retry: { maxAttempts: 1 } }).getIpsecTunnel({
        accountId: ACCOUNT,
        ipsecTunnelId: TUNNEL,
      }),
    );
    expect(error.code).toBe('invalid_response');
  });
});

describe('createPskClient options', () => {
  it.each([
    [{}, 'apiToken', /No credentials/],
    [{ apiToken: 't0k3n-value', apiKey: 'k3y-value' }, 'apiToken', /not both/],
    [{ apiEmail: 'ops@example.com' }, 'apiKey', /apiKey is missing/],
    [{ apiKey: 'k3y-value' }, 'apiEmail', /apiEmail is missing/],
    [{ apiToken: '' }, 'apiToken', /apiToken is empty/],
    [{ apiToken: 'abc\ndef' }, 'apiToken', /control character/],
    [{ apiToken: 'ok-token', baseUrl: 'http://api.example.com' }, 'baseUrl', /must use https/],
    [{ apiToken: 'ok-token', baseUrl: 'not a url' }, 'baseUrl', /absolute URL/],
    [{ apiToken: 'ok-token', baseUrl: 'https://u:p@api.example.com' }, 'baseUrl', /user name or password/],
    [{ apiToken: 'ok-token', timeoutMs: 0 }, 'timeoutMs', /positive/],
    [{ apiToken: 'ok-token', userAgent: 'tool/1\r\nX-Injected: 1' }, 'userAgent', /control characters/],
    [{ apiToken: 'ok-token', accountId: 'a/b' }, 'accountId', /would change the URL/],
  ] as const)('%o → invalid_input naming %s', (options, field, message) => {
    let thrown: unknown;
    try {
      createPskClient(options as PskClientOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PskError);
    expect(thrown).toMatchObject({ code: 'invalid_input', field, outcome: 'not_executed' });
    expect((thrown as Error).message).toMatch(message);
  });

  it('exposes the typed openapi-fetch client, authenticated', async () => {
    const fetch = fakeFetch(() =>
      ok({ ipsec_tunnel: { id: TUNNEL, name: 'n', cloudflare_endpoint: 'x', interface_address: 'y' } }),
    );
    const c = client(fetch);
    const { data } = await c.api.GET('/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}', {
      params: { path: { account_id: ACCOUNT, ipsec_tunnel_id: TUNNEL } },
    });
    expect(data?.result.ipsec_tunnel.name).toBe('n');
    expect(fetch.calls[0]?.headers.get('authorization')).toBe('Bearer test-token-value');
  });
});
