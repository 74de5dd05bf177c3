import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
import { startSimulator } from './server.js';
import { type GraphqlAnswer, graphql, HEALTH_QUERY, rowsOf } from './test-support/graphql.js';
import { envelope, manualClock, TOKEN } from './test-support/http.js';
import type { Simulator, SimulatorOptions } from './types.js';

const START = '2026-11-27T00:20:00Z';
let clock = manualClock(START);
let sim: Simulator | undefined;

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  clock = manualClock(START);
  sim = await startSimulator({ apiTokens: [TOKEN], now: clock.now, ...options });
  return sim;
}
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const minutesAgo = (minutes: number) => new Date(clock.now().getTime() - minutes * 60_000).toISOString();
const lastFiveMinutes = (names = ['demo_tunnel_01', 'demo_tunnel_02']) => ({
  accountTag: DEMO_ACCOUNT_ID,
  since: minutesAgo(5),
  until: clock.now().toISOString(),
  tunnelNames: names,
});
const answer = async (response: Response) => (await response.json()) as GraphqlAnswer;

describe('the health query', () => {
  it('reports every queried tunnel from 3 data centres by default, checked against the spec', async () => {
    const s = await start();
    const response = await graphql(s, { variables: lastFiveMinutes() });
    expect(response.status).toBe(200);
    const body = await answer(response);
    expect(body.errors).toBeNull();
    expect(rowsOf(body)).toEqual([
      'demo_tunnel_01@ams01=1',
      'demo_tunnel_01@fra02=1',
      'demo_tunnel_01@lhr01=1',
      'demo_tunnel_02@ams01=1',
      'demo_tunnel_02@fra02=1',
      'demo_tunnel_02@lhr01=1',
    ]);
    // Five minutes of results, one every 10 s per data centre.
    expect(body.data?.viewer.accounts[0]?.magicTransitTunnelHealthChecksAdaptiveGroups[0]?.count).toBe(30);
    expect(s.requests[0]).toMatchObject({ operation: 'graphql', accountId: DEMO_ACCOUNT_ID, status: 200 });
    expect(s.count({ operation: 'graphql' })).toBe(1);
    expect(s.specViolations).toEqual([]);
  });

  it('matches tunnel names exactly, and answers no rows (not an error) for names it does not have', async () => {
    const s = await start();
    const one = await answer(await graphql(s, { variables: lastFiveMinutes(['demo_tunnel_02']) }));
    expect(rowsOf(one)).toHaveLength(3);
    expect(rowsOf(one).every((row) => row.startsWith('demo_tunnel_02@'))).toBe(true);
    for (const names of [['DEMO_TUNNEL_01'], ['demo_tunnel_01 '], ['nobody'], []]) {
      const none = await answer(await graphql(s, { variables: lastFiveMinutes(names) }));
      expect(none).toEqual({
        data: { viewer: { accounts: [{ magicTransitTunnelHealthChecksAdaptiveGroups: [] }] } },
        errors: null,
      });
    }
    expect(s.specViolations).toEqual([]);
  });

  it('follows the tunnel state set at run time; no data means no rows, never a 0', async () => {
    const s = await start({ health: { colos: 5 } });
    s.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, 0);
    s.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2, 0.5);
    let rows = rowsOf(await answer(await graphql(s, { variables: lastFiveMinutes() })));
    expect(rows).toHaveLength(10);
    expect(rows.filter((row) => row.endsWith('=0'))).toHaveLength(5);
    expect(rows.filter((row) => row.endsWith('=0.5'))).toHaveLength(5);
    s.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, undefined);
    expect(s.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.tunnelState).toBeUndefined();
    rows = rowsOf(await answer(await graphql(s, { variables: lastFiveMinutes() })));
    expect(rows.every((row) => row.startsWith('demo_tunnel_02@'))).toBe(true);
    expect(() => s.setTunnelState(DEMO_ACCOUNT_ID, 'nope', 1)).toThrow(RangeError);
    expect(() => s.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, 0.7 as never)).toThrow(RangeError);
    expect(s.specViolations).toEqual([]);
  });

  it('takes each tunnel’s state from its configuration; disabled health checks give no rows', async () => {
    const s = await start({
      accounts: [
        {
          id: 'acct',
          tunnels: [
            { id: 't1', name: 'down', tunnelState: 0 },
            { id: 't2', name: 'nodata', tunnelState: null },
            { id: 't3', name: 'unchecked', healthCheck: { enabled: false } },
            { id: 't4', name: 'up' },
          ],
        },
      ],
      health: { colos: 1 },
    });
    const variables = { ...lastFiveMinutes(['down', 'nodata', 'unchecked', 'up']), accountTag: 'acct' };
    expect(rowsOf(await answer(await graphql(s, { variables })))).toEqual(['down@ams01=0', 'up@ams01=1']);
    await expect(startSimulator({ health: { colos: 13 } })).rejects.toThrow(RangeError);
    await expect(
      startSimulator({ accounts: [{ id: 'a', tunnels: [{ id: 't', name: 'n', tunnelState: 2 as never }] }] }),
    ).rejects.toThrow(RangeError);
  });
});

describe('the window', () => {
  it('reports only what is in: a window in the future, or within the lag, has no rows yet', async () => {
    const s = await start({ health: { lagMs: 60_000 } });
    const now = clock.now().getTime();
    const window = (fromMs: number, toMs: number) => ({
      ...lastFiveMinutes(),
      since: new Date(now + fromMs).toISOString(),
      until: new Date(now + toMs).toISOString(),
    });
    const rows = async (fromMs: number, toMs: number) =>
      rowsOf(await answer(await graphql(s, { variables: window(fromMs, toMs) })));
    expect(await rows(-30_000, 0)).toEqual([]); // all of it within the last minute
    expect(await rows(60_000, 120_000)).toEqual([]); // the future
    expect(await rows(-120_000, -120_000)).toEqual([]); // empty
    expect(await rows(-120_000, 0)).toHaveLength(6);
    clock.advance(60_000);
    expect(await rows(-90_000, -60_000)).toHaveLength(6); // the same minute, now that its results are in
    expect(s.specViolations).toEqual([]);
  });

  it('refuses a window Cloudflare refuses, in its words, as a GraphQL error', async () => {
    const s = await start();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ since: minutesAgo(8 * 24 * 60) }, /query time range is too large/],
      [
        { since: minutesAgo(100 * 24 * 60), until: minutesAgo(99 * 24 * 60) },
        /cannot request data older than/,
      ],
      [{ since: 'yesterday' }, /datetime_geq must be an RFC 3339 time/],
      [{ until: null }, /needs a time range/],
    ];
    for (const [change, message] of cases) {
      const response = await graphql(s, { variables: { ...lastFiveMinutes(), ...change } });
      expect(response.status).toBe(400);
      const body = await answer(response);
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.message).toMatch(message);
      expect(body.errors?.[0]?.extensions?.timestamp).toBe(clock.now().toISOString());
    }
    expect(s.specViolations).toEqual([]);
  });
});

describe('other queries', () => {
  it.each([
    ['a mutation', 'mutation { viewer { accounts } }', /only queries/],
    ['a syntax error', '{ viewer { accounts(filter: { accountTag: "x" }) { ', /syntax error/],
    ['a fragment', '{ ...F } fragment F on Query { viewer }', /fragments are not supported/],
    ['another root field', '{ cost }', /unknown field "cost"/],
    [
      'another dataset',
      HEALTH_QUERY.replace('magicTransitTunnelHealthChecksAdaptiveGroups', 'httpRequestsAdaptiveGroups'),
      /unknown field "httpRequestsAdaptiveGroups"/,
    ],
    ['another field', HEALTH_QUERY.replace(/\bcount\b/, 'sum { bytes }'), /unknown field "sum"/],
    [
      'another dimension',
      HEALTH_QUERY.replace('edgeColoName }', 'edgeColoName siteName }'),
      /unknown field "siteName"/,
    ],
    ['no state', HEALTH_QUERY.replace('avg { tunnelState }', ''), /answers the tunnel health query only/],
    ['no limit', HEALTH_QUERY.replace('limit: 1000', ''), /limit must be positive/],
    ['a limit too large', HEALTH_QUERY.replace('limit: 1000', 'limit: 20000'), /limit must be positive/],
    ['another filter', HEALTH_QUERY.replace('tunnelName_in:', 'siteName_in:'), /unknown field "siteName_in"/],
    [
      'no account',
      HEALTH_QUERY.replace('(filter: { accountTag: $accountTag })', ''),
      /exactly one accountTag/,
    ],
    ['an alias', HEALTH_QUERY.replace(/\bcount\b/, 'n: count'), /aliases are not supported/],
  ])('refuses %s with a GraphQL error (400) and never a crash', async (_name, query, message) => {
    const s = await start();
    const response = await graphql(s, { query, variables: lastFiveMinutes() });
    expect(response.status).toBe(400);
    const body = await answer(response);
    expect(body).toMatchObject({ data: null, errors: [{ message: expect.stringMatching(message) }] });
    expect(s.specViolations).toEqual([]);
  });

  it('refuses a body the spec refuses (no query) as it refuses any request, and records the violation', async () => {
    const s = await start();
    const response = await graphql(s, { body: JSON.stringify({ variables: {} }) });
    expect(response.status).toBe(400);
    expect((await envelope(response)).errors[0]).toMatchObject({ code: 1002, source: { pointer: '/query' } });
    expect(s.specViolations).toEqual([expect.stringMatching(/^request POST \/client\/v4\/graphql: body /)]);
    expect(
      (await graphql(s, { body: '{"query":"{', headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(415);
  });
});

describe('who may ask', () => {
  it('answers 403 "not authorized for that account" to a token without Account Analytics Read', async () => {
    const s = await start({
      apiTokens: [TOKEN, 'rotation-only-token'],
      apiTokensWithoutAnalytics: ['rotation-only-token'],
    });
    const response = await graphql(s, {
      variables: lastFiveMinutes(),
      headers: { authorization: 'Bearer rotation-only-token', 'content-type': 'application/json' },
    });
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(text).not.toContain('rotation-only-token');
    expect(JSON.parse(text)).toMatchObject({
      data: null,
      errors: [{ message: 'not authorized for that account', path: ['viewer', 'accounts', '0'] }],
    });
    // The same token still reads tunnels: only the analytics permission is missing.
    const tunnels = await fetch(`${s.url}/accounts/${DEMO_ACCOUNT_ID}/magic/ipsec_tunnels`, {
      headers: { authorization: 'Bearer rotation-only-token' },
    });
    expect(tunnels.status).toBe(200);
    expect(s.specViolations).toEqual([]);
  });

  it('answers 403 for an account it does not have, and refuses missing or unknown credentials as always', async () => {
    const s = await start({ apiKeys: [{ email: 'ops@example.com', key: 'global-key-value' }] });
    const other = await graphql(s, {
      variables: { ...lastFiveMinutes(), accountTag: 'ffffffffffffffffffffffffffffffff' },
    });
    expect(other.status).toBe(403);
    expect((await answer(other)).errors?.[0]?.message).toBe('not authorized for that account');
    const missing = await graphql(s, {
      variables: lastFiveMinutes(),
      headers: { 'content-type': 'application/json' },
    });
    expect(missing.status).toBe(400);
    expect((await envelope(missing)).errors[0]?.code).toBe(9106);
    const unknown = await graphql(s, {
      variables: lastFiveMinutes(),
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
    });
    expect(unknown.status).toBe(403);
    expect((await envelope(unknown)).errors[0]?.code).toBe(10000);
    const key = await graphql(s, {
      variables: lastFiveMinutes(),
      headers: {
        'x-auth-email': 'ops@example.com',
        'x-auth-key': 'global-key-value',
        'content-type': 'application/json',
      },
    });
    expect(key.status).toBe(200);
    expect(s.specViolations).toEqual([expect.stringMatching(/lacks the credentials/)]);
  });
});
