import { describe, expect, it } from 'vitest';
import { createPskClient, type PskClientOptions } from '../client.js';
import { ACCOUNT, cfError, fakeFetch, json, networkError, rejection } from '../test-support/fake-fetch.js';
import { TUNNEL_HEALTH_MAX_NAMES } from './tunnel-health.js';

const NOW = Date.parse('2026-11-27T00:20:00Z');

function client(fetch: typeof globalThis.fetch, options: Partial<PskClientOptions> = {}) {
  return createPskClient({
    apiToken: 'test-token-value',
    fetch,
    accountId: ACCOUNT,
    sleep: async () => {},
    now: () => NOW,
    ...options,
  });
}

const row = (tunnelName: string, edgeColoName: string, tunnelState: number, count?: number) => ({
  ...(count === undefined ? {} : { count }),
  avg: { tunnelState },
  dimensions: { tunnelName, edgeColoName },
});
const answer = (rows: unknown[]) =>
  json(200, {
    data: { viewer: { accounts: [{ magicTransitTunnelHealthChecksAdaptiveGroups: rows }] } },
    errors: null,
  });
const graphqlErrors = (status: number, ...messages: string[]) =>
  json(status, {
    data: null,
    errors: messages.map((message) => ({ message, path: ['viewer', 'accounts', '0'], extensions: {} })),
  });
const since = '2026-11-27T00:15:00Z';

describe('getTunnelHealth', () => {
  it('sends the one health query, with every outside value a variable, and reads the samples per name', async () => {
    const fetch = fakeFetch(() =>
      answer([
        row('fra-1', 'ams01', 1, 30),
        row('fra-1', 'fra02', 0.5, 30),
        row('ams-1', 'ams01', 0),
        row('someone-else', 'ams01', 1, 30),
      ]),
    );
    const health = await client(fetch).getTunnelHealth({ tunnelNames: ['fra-1', 'ams-1', 'fra-1'], since });
    expect(fetch.calls).toHaveLength(1);
    const call = fetch.calls[0];
    expect(call?.method).toBe('POST');
    expect(call?.url.pathname).toBe('/client/v4/graphql');
    expect(call?.redirect).toBe('manual');
    expect(call?.headers.get('authorization')).toBe('Bearer test-token-value');
    expect(call?.headers.get('content-type')).toMatch(/application\/json/);
    const sent = JSON.parse(call?.body ?? '{}');
    expect(sent.variables).toEqual({
      accountTag: ACCOUNT,
      since: '2026-11-27T00:15:00.000Z',
      until: '2026-11-27T00:20:00.000Z',
      tunnelNames: ['fra-1', 'ams-1'],
    });
    expect(sent.query).toMatch(/magicTransitTunnelHealthChecksAdaptiveGroups\(\s*limit: 1000\s/);
    expect(sent.query).toMatch(
      /filter: \{ datetime_geq: \$since, datetime_lt: \$until, tunnelName_in: \$tunnelNames \}/,
    );
    expect(sent.query).not.toContain('fra-1');
    expect(health).toEqual({
      accountId: ACCOUNT,
      since: '2026-11-27T00:15:00.000Z',
      until: '2026-11-27T00:20:00.000Z',
      truncated: false,
      tunnels: [
        {
          tunnelName: 'fra-1',
          displayName: 'fra-1',
          samples: [
            { tunnelName: 'fra-1', colo: 'ams01', state: 1, count: 30 },
            { tunnelName: 'fra-1', colo: 'fra02', state: 0.5, count: 30 },
          ],
        },
        {
          tunnelName: 'ams-1',
          displayName: 'ams-1',
          samples: [{ tunnelName: 'ams-1', colo: 'ams01', state: 0, count: undefined }],
        },
      ],
    });
  });

  it('matches names exactly but shows them neutralised; colo names are neutralised too', async () => {
    const name = 'evil\u001b[31m\u202e name';
    const fetch = fakeFetch(() =>
      answer([row(name, 'ams01\u0007\u001b]0;title\u0007', 1), row('EVIL\u001b[31m\u202e name', 'x', 1)]),
    );
    const health = await client(fetch).getTunnelHealth({
      tunnelNames: [name],
      since: new Date(NOW - 60_000),
    });
    expect(health.tunnels[0]?.tunnelName).toBe(name);
    expect(health.tunnels[0]?.displayName).toBe('evil name');
    expect(health.tunnels[0]?.samples).toEqual([
      { tunnelName: name, colo: 'ams01', state: 1, count: undefined },
    ]);
  });

  it('no rows is an empty list of samples, not an error; a full page says it may be truncated', async () => {
    const empty = await client(fakeFetch(() => answer([]))).getTunnelHealth({
      tunnelNames: ['fra-1'],
      since,
    });
    expect(empty.tunnels).toEqual([{ tunnelName: 'fra-1', displayName: 'fra-1', samples: [] }]);
    const full = Array.from({ length: 500 }, (_, i) => row('fra-1', `c${i}`, 1));
    const page = await client(fakeFetch(() => answer(full))).getTunnelHealth({
      tunnelNames: ['fra-1'],
      since,
    });
    expect(page.truncated).toBe(true);
  });

  it.each([
    [{ tunnelNames: [] }, 'tunnelNames', /at least one name/],
    [
      { tunnelNames: Array.from({ length: TUNNEL_HEALTH_MAX_NAMES + 1 }, (_, i) => `t${i}`) },
      'tunnelNames',
      /at most 20/,
    ],
    [{ tunnelNames: ['ok', ''] }, 'tunnelNames[1]', /1 to 256 characters/],
    [{ tunnelNames: [42] }, 'tunnelNames[0]', /1 to 256 characters/],
    [{ since: 'yesterday' }, 'since', /RFC 3339/],
    [{ since: new Date(Number.NaN) }, 'since', /valid Date/],
    [{ since: '2026-11-27T00:20:00Z' }, 'until', /after since/],
    [{ since: '2026-11-19T00:00:00Z' }, 'since', /one week/],
    [{ accountId: 'a/b' }, 'accountId', /would change the URL/],
  ])('%o → invalid_input naming %s, nothing sent', async (change, field, message) => {
    const fetch = fakeFetch(() => answer([]));
    const error = await rejection(
      client(fetch).getTunnelHealth({ tunnelNames: ['fra-1'], since, ...(change as object) }),
    );
    expect(error).toMatchObject({ code: 'invalid_input', outcome: 'not_executed', field });
    expect(error.message).toMatch(message);
    expect(fetch.calls).toHaveLength(0);
  });
});

describe('getTunnelHealth failures', () => {
  const health = (fetch: typeof globalThis.fetch, options: Partial<PskClientOptions> = {}) =>
    rejection(client(fetch, options).getTunnelHealth({ tunnelNames: ['fra-1'], since }));

  it('"not authorized for that account" in a 200: analytics_forbidden, naming the permission, not retried', async () => {
    const fetch = fakeFetch(() => graphqlErrors(200, 'not authorized for that account'));
    const error = await health(fetch);
    expect(error).toMatchObject({ code: 'analytics_forbidden', outcome: 'not_executed', status: 200 });
    expect(error.message).toMatch(/Cloudflare said: "not authorized for that account"/);
    expect(error.message).toMatch(/"Account Analytics Read" permission/);
    expect(fetch.calls).toHaveLength(1);
  });

  it('a 403, GraphQL or Cloudflare envelope alike: analytics_forbidden', async () => {
    const graphql = await health(fakeFetch(() => graphqlErrors(403, 'not authorized for that account')));
    expect(graphql).toMatchObject({ code: 'analytics_forbidden', status: 403 });
    const envelope = await health(fakeFetch(() => cfError(403, 10000, 'Authentication error')));
    expect(envelope).toMatchObject({
      code: 'analytics_forbidden',
      status: 403,
      cloudflareErrors: [{ code: 10000, message: 'Authentication error' }],
    });
    expect(envelope.message).toMatch(/Account Analytics Read/);
  });

  it('a 401 is unauthorized', async () => {
    expect(await health(fakeFetch(() => graphqlErrors(401, 'Unauthorized')))).toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
  });

  it('the query budget spent: rate_limited with the wait Cloudflare names, not retried sooner', async () => {
    const fetch = fakeFetch(() =>
      graphqlErrors(200, 'rate limiter budget depleted, try again after 5 minutes'),
    );
    const error = await health(fetch);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 300 });
    expect(error.message).toMatch(/try again in 300 s/);
    expect(fetch.calls).toHaveLength(1);
  });

  it('a 429 with a short Retry-After, a 503, a reset and an unreadable answer are retried: it is a read', async () => {
    const fetch = fakeFetch(
      () => graphqlErrors(429, 'rate limiter budget depleted', 'x'),
      () => graphqlErrors(503, 'unable to execute query, please try again later'),
      () => Promise.reject(networkError('ECONNRESET')),
      () => new Response('{"data":', { status: 200 }),
      () => answer([row('fra-1', 'ams01', 1)]),
    );
    const result = await client(fetch, { retry: { maxAttempts: 5 } }).getTunnelHealth({
      tunnelNames: ['fra-1'],
      since,
    });
    expect(result.tunnels[0]?.samples).toHaveLength(1);
    expect(fetch.calls).toHaveLength(5);
  });

  it('a 503 after the retries: api_error with Cloudflare’s words', async () => {
    const error = await health(
      fakeFetch(() => graphqlErrors(503, 'too many queries in progress, please try again later')),
    );
    expect(error).toMatchObject({ code: 'api_error', outcome: 'not_executed', status: 503 });
    expect(error.message).toMatch(/too many queries in progress/);
  });

  it('other GraphQL errors, in a 200 or a 400: graphql_error, not retried; a 400 envelope stays bad_request', async () => {
    const fetch = fakeFetch(() => graphqlErrors(200, 'cannot request data older than 7776000s'));
    expect(await health(fetch)).toMatchObject({ code: 'graphql_error', status: 200 });
    expect(fetch.calls).toHaveLength(1);
    const refused = await health(fakeFetch(() => graphqlErrors(400, 'query time range is too large')));
    expect(refused).toMatchObject({ code: 'graphql_error', status: 400 });
    expect(refused.message).toMatch(
      /Cloudflare answered HTTP 400\. Cloudflare said: "query time range is too large"/,
    );
    expect(await health(fakeFetch(() => cfError(400, 1002, 'Invalid request body')))).toMatchObject({
      code: 'bad_request',
    });
  });

  it.each([
    ['a body that is not JSON', () => new Response('not json', { status: 200 }), /not a JSON object/],
    ['an answer without data', () => json(200, { data: null, errors: null }), /holds no account/],
    [
      'an account without rows',
      () => json(200, { data: { viewer: { accounts: [{}] } }, errors: null }),
      /no health-check rows/,
    ],
    [
      'a row without a state',
      () => answer([{ dimensions: { tunnelName: 'fra-1', edgeColoName: 'a' } }]),
      /lack a state/,
    ],
    ['a state out of range', () => answer([row('fra-1', 'a', 2)]), /lack a state/],
    ['a row without names', () => answer([{ avg: { tunnelState: 1 } }]), /lack a state/],
  ])('%s: invalid_response (retried, then thrown)', async (_name, respond, message) => {
    const fetch = fakeFetch(respond);
    const error = await health(fetch, { retry: { maxAttempts: 2 } });
    expect(error).toMatchObject({ code: 'invalid_response', outcome: 'not_executed' });
    expect(error.message).toMatch(message);
    expect(fetch.calls).toHaveLength(2);
  });

  it('an abort before sending sends nothing', async () => {
    const fetch = fakeFetch(() => answer([]));
    const error = await rejection(
      client(fetch).getTunnelHealth({ tunnelNames: ['fra-1'], since, signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ code: 'aborted', outcome: 'not_executed' });
    expect(fetch.calls).toHaveLength(0);
  });
});
