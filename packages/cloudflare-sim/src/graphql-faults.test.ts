import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID } from './demo.js';
import { startSimulator } from './server.js';
import { type GraphqlAnswer, graphql, rowsOf } from './test-support/graphql.js';
import { generate, TOKEN } from './test-support/http.js';
import type { Simulator } from './types.js';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
});
afterEach(async () => {
  await sim.close();
});

const variables = () => ({
  accountTag: DEMO_ACCOUNT_ID,
  since: new Date(Date.now() - 300_000).toISOString(),
  until: new Date().toISOString(),
  tunnelNames: ['demo_tunnel_01'],
});
const query = () => graphql(sim, { variables: variables() });
const answer = async (response: Response) => (await response.json()) as GraphqlAnswer;

describe('faults on the health query', () => {
  it('graphql-error: HTTP 200 whose query failed, in GraphQL’s shape, valid per the spec', async () => {
    sim.inject({ type: 'graphql-error' });
    sim.inject({ type: 'graphql-error', message: 'not authorized for that account' });
    const first = await query();
    expect(first.status).toBe(200);
    expect(await answer(first)).toMatchObject({
      data: null,
      errors: [{ message: 'unable to execute query, please try again later', path: null }],
    });
    expect((await answer(await query())).errors?.[0]?.message).toBe('not authorized for that account');
    expect(rowsOf(await answer(await query()))).toHaveLength(3);
    expect(sim.specViolations).toEqual([]);
  });

  it('graphql-error is drawn by health queries only', async () => {
    sim.inject({ type: 'graphql-error' });
    expect((await generate(sim)).status).toBe(200);
    expect((await answer(await query())).errors).not.toBeNull();
    expect(() => sim.inject({ type: 'graphql-error', match: { operation: 'psk_generate' } })).toThrow(
      RangeError,
    );
    expect(() => sim.inject({ type: 'graphql-error', message: '' })).toThrow(RangeError);
  });

  it('status: a 503 or a 429 with a GraphQL error body in Cloudflare’s words', async () => {
    sim.inject({ type: 'status', status: 503, match: { operation: 'graphql' } });
    sim.inject({ type: 'status', status: 429, retryAfterSeconds: 300, match: { operation: 'graphql' } });
    const unavailable = await query();
    expect(unavailable.status).toBe(503);
    expect(await answer(unavailable)).toMatchObject({
      data: null,
      errors: [{ message: 'unable to execute query, please try again later' }],
    });
    const limited = await query();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('300');
    expect((await answer(limited)).errors?.[0]?.message).toMatch(/rate limiter budget depleted/);
    expect(sim.specViolations).toEqual([]);
  });

  it('delay, reset, truncate and invalid-json act on it as on any operation', async () => {
    sim.inject({ type: 'delay', ms: 150, match: { operation: 'graphql' } });
    const started = Date.now();
    expect(rowsOf(await answer(await query()))).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    sim.inject({ type: 'reset', match: { operation: 'graphql' } });
    const reset = await query().catch((error: unknown) => error);
    expect((reset as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');

    sim.inject({ type: 'truncate', match: { operation: 'graphql' } });
    await expect((await query()).json()).rejects.toThrow();

    sim.inject({ type: 'invalid-json', match: { operation: 'graphql' } });
    await expect((await query()).json()).rejects.toThrow();
    expect(sim.count({ operation: 'graphql' })).toBe(4);
    expect(sim.specViolations).toEqual([]);
  });

  it('omit-psk drops what a client relies on here: each row’s state', async () => {
    sim.inject({ type: 'omit-psk', match: { operation: 'graphql' } });
    const body = await answer(await query());
    const rows = body.data?.viewer.accounts[0]?.magicTransitTunnelHealthChecksAdaptiveGroups ?? [];
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).not.toHaveProperty('avg');
  });
});
