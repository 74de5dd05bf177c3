import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
import { startSimulator } from './server.js';
import {
  authHeaders,
  envelope,
  getTunnel,
  manualClock,
  setPsks,
  TOKEN,
  tunnelsUrl,
} from './test-support/http.js';
import type { Simulator, SimulatorOptions } from './types.js';

const KEY_1 = 'SetKey1aaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_2 = 'SetKey2bbbbbbbbbbbbbbbbbbbbbbbbb';
const UNKNOWN = 'ffffffffffffffffffffffffffffffff';

let sim: Simulator;
let clock: ReturnType<typeof manualClock>;

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  await sim?.close();
  sim = await startSimulator({ apiTokens: [TOKEN], now: clock.now, ...options });
  return sim;
}

const state = (id = DEMO_TUNNEL_ID) => sim.tunnel(DEMO_ACCOUNT_ID, id);
const applied = (id: string, psk: string, lastGeneratedOn?: string) => ({
  ipsec_tunnel_id: id,
  ipsec_id: `${DEMO_ACCOUNT_ID}_${id}`,
  psk,
  psk_metadata: lastGeneratedOn === undefined ? {} : { last_generated_on: lastGeneratedOn },
});
/** Request violations are expected for refused requests; a response violation never is. */
const responseViolations = () => sim.specViolations.filter((v) => !v.startsWith('request '));

beforeEach(async () => {
  clock = manualClock('2026-11-27T00:20:00.750Z');
  await start();
});
afterEach(async () => {
  await sim.close();
});

describe('set_psks', () => {
  it('stores each given key as the current one, with the clock at second precision', async () => {
    clock.advance(5_000);
    const response = await setPsks(sim, [
      { id: DEMO_TUNNEL_ID, psk: KEY_1 },
      { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
    ]);
    const body = await envelope(response);
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(body.result).toEqual({
      successfully_applied_psks: {
        [DEMO_TUNNEL_ID]: applied(DEMO_TUNNEL_ID, KEY_1, '2026-11-27T00:20:05Z'),
        [DEMO_TUNNEL_ID_2]: applied(DEMO_TUNNEL_ID_2, KEY_2, '2026-11-27T00:20:05Z'),
      },
      unapplied_psks: {},
    });
    expect(state()).toEqual({
      id: DEMO_TUNNEL_ID,
      name: 'demo_tunnel_01',
      psk: KEY_1,
      lastGeneratedOn: '2026-11-27T00:20:05Z',
      rotations: 1,
      tunnelState: 1,
    });
    expect(state(DEMO_TUNNEL_ID_2)).toMatchObject({ psk: KEY_2, rotations: 1 });
    const tunnel = (await envelope(await getTunnel(sim))).result.ipsec_tunnel;
    expect(tunnel).toMatchObject({
      modified_on: '2026-11-27T00:20:05Z',
      psk_metadata: { last_generated_on: '2026-11-27T00:20:05Z' },
    });
    expect(sim.requests[0]).toMatchObject({
      method: 'POST',
      path: `/client/v4/accounts/${DEMO_ACCOUNT_ID}/magic/ipsec_tunnels/psk`,
      operation: 'set_psks',
      accountId: DEMO_ACCOUNT_ID,
      tunnelId: undefined,
      validateOnly: false,
      status: 200,
      persisted: true,
    });
    expect(sim.specViolations).toEqual([]);
  });

  it('lists a tunnel the account lacks in unapplied_psks and applies the rest', async () => {
    const body = await envelope(
      await setPsks(sim, [
        { id: UNKNOWN, psk: KEY_1 },
        { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
      ]),
    );
    expect(body.result).toEqual({
      successfully_applied_psks: {
        [DEMO_TUNNEL_ID_2]: applied(DEMO_TUNNEL_ID_2, KEY_2, '2026-11-27T00:20:00Z'),
      },
      unapplied_psks: { [UNKNOWN]: 'IPsec tunnel not found' },
    });
    expect(state()).toMatchObject({ psk: undefined, rotations: 0 });
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: true });
    expect(sim.specViolations).toEqual([]);
  });

  it('answers 200 and persists nothing when no tunnel is known', async () => {
    const response = await setPsks(sim, [{ id: UNKNOWN, psk: KEY_1 }]);
    expect(response.status).toBe(200);
    expect((await envelope(response)).result).toEqual({
      successfully_applied_psks: {},
      unapplied_psks: { [UNKNOWN]: 'IPsec tunnel not found' },
    });
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: false });
    expect(sim.specViolations).toEqual([]);
  });

  it('keeps an id such as __proto__ an ordinary key of the result maps', async () => {
    await start({ accounts: [{ id: 'a1', tunnels: [{ id: 'constructor', name: 'c' }] }] });
    const body = await envelope(
      await setPsks(
        sim,
        [
          { id: '__proto__', psk: KEY_1 },
          { id: 'constructor', psk: KEY_2 },
        ],
        { accountId: 'a1' },
      ),
    );
    expect(Object.keys(body.result.unapplied_psks ?? {})).toEqual(['__proto__']);
    expect(Object.keys(body.result.successfully_applied_psks ?? {})).toEqual(['constructor']);
    expect(sim.specViolations).toEqual([]);
  });

  it('with validate_only=true reports both maps as a dry run and stores nothing', async () => {
    const before = [state(), state(DEMO_TUNNEL_ID_2)];
    const response = await setPsks(
      sim,
      [
        { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
        { id: UNKNOWN, psk: KEY_1 },
      ],
      { query: 'validate_only=true' },
    );
    expect(response.status).toBe(200);
    expect((await envelope(response)).result).toEqual({
      successfully_applied_psks: {
        [DEMO_TUNNEL_ID_2]: applied(DEMO_TUNNEL_ID_2, KEY_2, '2025-01-15T09:30:00Z'),
      },
      unapplied_psks: { [UNKNOWN]: 'IPsec tunnel not found' },
    });
    expect([state(), state(DEMO_TUNNEL_ID_2)]).toEqual(before);
    expect(sim.requests[0]).toMatchObject({ validateOnly: true, persisted: false, status: 200 });
    expect(
      (await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], { query: 'validate_only=false' })).status,
    ).toBe(200);
    expect(state()).toMatchObject({ psk: KEY_1, rotations: 1 });
    expect(sim.specViolations).toEqual([]);
  });

  it('counts by operation and validate_only', async () => {
    await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], { query: 'validate_only=true' });
    await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }]);
    await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_2 }]);
    await getTunnel(sim);
    expect(sim.count({ operation: 'set_psks' })).toBe(3);
    expect(sim.count({ operation: 'set_psks', validateOnly: false })).toBe(2);
    expect(sim.count({ operation: 'set_psks', validateOnly: true })).toBe(1);
    expect(sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(0);
    // validateOnly never matches a read.
    expect(sim.count({ validateOnly: false })).toBe(2);
    expect(state()).toMatchObject({ psk: KEY_2, rotations: 2 });
  });

  it.each([
    ['no psks', '{}', '/psks'],
    ['an empty list', '{"psks":[]}', '/psks'],
    ['psks not a list', '{"psks":{}}', '/psks'],
    ['an entry without psk', `{"psks":[{"id":"${DEMO_TUNNEL_ID}"}]}`, '/psks/0/psk'],
    ['an entry without id', '{"psks":[{"psk":"k"}]}', '/psks/0/id'],
    ['an empty psk', `{"psks":[{"id":"${DEMO_TUNNEL_ID}","psk":""}]}`, '/psks/0/psk'],
    ['a psk that is not a string', `{"psks":[{"id":"${DEMO_TUNNEL_ID}","psk":7}]}`, '/psks/0/psk'],
    ['a 33-character id', `{"psks":[{"id":"${DEMO_TUNNEL_ID}0","psk":"k"}]}`, '/psks/0/id'],
    [
      'a second entry that breaks the spec',
      `{"psks":[{"id":"a","psk":"k"},{"id":"","psk":"k"}]}`,
      '/psks/1/id',
    ],
    ['JSON that does not parse', '{"psks":', ''],
    ['an array body', '[]', ''],
  ])('answers 400 code 1002 with source.pointer for %s, storing nothing', async (_, body, pointer) => {
    const response = await setPsks(sim, [], { body });
    expect(response.status).toBe(400);
    const { errors } = await envelope(response);
    expect(errors).toEqual([
      { code: 1002, message: expect.stringMatching(/^Invalid request body: /), source: { pointer } },
    ]);
    expect(state()).toMatchObject({ rotations: 0 });
    expect(sim.specViolations).toEqual([expect.stringMatching(/^request POST \S+ body /)]);
  });

  it('answers 400 for no body at all, and for a tunnel listed twice', async () => {
    const none = await setPsks(sim, [], { body: null });
    expect(none.status).toBe(400);
    expect((await envelope(none)).errors[0]).toMatchObject({ code: 1002, source: { pointer: '' } });
    const twice = await setPsks(sim, [
      { id: DEMO_TUNNEL_ID, psk: KEY_1 },
      { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
      { id: DEMO_TUNNEL_ID, psk: KEY_2 },
    ]);
    expect(twice.status).toBe(400);
    expect((await envelope(twice)).errors).toEqual([
      {
        code: 1002,
        message: 'Invalid request body: an IPsec tunnel is listed more than once',
        source: { pointer: '/psks/2/id' },
      },
    ]);
    expect([state(), state(DEMO_TUNNEL_ID_2)].map((s) => s?.rotations)).toEqual([0, 0]);
    expect(responseViolations()).toEqual([]);
  });

  it('answers 415 for a body not sent as JSON and 400 for a malformed validate_only', async () => {
    const text = await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], {
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const query = await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], { query: 'validate_only=yes' });
    expect(query.status).toBe(400);
    expect((await envelope(query)).errors[0]?.code).toBe(1002);
    expect(state()).toMatchObject({ rotations: 0 });
    expect(responseViolations()).toEqual([]);
  });

  it('answers 404 code 1001 for an unknown account, before any fault', async () => {
    sim.inject({ type: 'status', status: 500 });
    const response = await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], { accountId: UNKNOWN });
    expect(response.status).toBe(404);
    expect((await envelope(response)).errors).toEqual([{ code: 1001, message: 'Account not found' }]);
    expect((await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }])).status).toBe(500);
    expect(sim.specViolations).toEqual([]);
  });

  it('requires credentials and counts against the rate limit', async () => {
    await start({ rateLimit: { limit: 1, windowMs: 60_000 } });
    expect((await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], { headers: {} })).status).toBe(400);
    const refused = await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], {
      headers: { ...authHeaders, authorization: 'Bearer someone-else' },
    });
    expect(refused.status).toBe(403);
    expect((await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }])).status).toBe(200);
    const limited = await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_2 }]);
    expect(limited.status).toBe(429);
    expect((await envelope(limited)).errors[0]?.code).toBe(1015);
    expect(state()).toMatchObject({ psk: KEY_1, rotations: 1 });
    expect(responseViolations()).toEqual([]);
  });

  it('routes POST …/ipsec_tunnels/psk to set_psks and a GET there to get_tunnel', async () => {
    const get = await fetch(`${tunnelsUrl(sim)}/psk`, { headers: authHeaders });
    expect(get.status).toBe(404);
    expect(sim.requests[0]).toMatchObject({ operation: 'get_tunnel', tunnelId: 'psk' });
    const put = await fetch(`${tunnelsUrl(sim)}/psk`, { method: 'PUT', headers: authHeaders, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET');
    expect(sim.specViolations).toEqual([expect.stringContaining('method PUT is not in the spec')]);
  });
});

describe('secrets in set_psks', () => {
  const SENTINEL = 'Sentinel7Psk0Must1Never2Leak3xyz';

  it('never echoes a credential, nor the sent key, in an error or a spec violation', async () => {
    await start({ rateLimit: { limit: 8, windowMs: 60_000 } });
    const entry = { id: DEMO_TUNNEL_ID, psk: SENTINEL };
    sim.inject({ type: 'status', status: 503, match: { operation: 'set_psks' } });
    const body = (extra: string) => `{"psks":[{"id":"${DEMO_TUNNEL_ID}","psk":"${SENTINEL}"}${extra}]}`;
    const errors = [
      await setPsks(sim, [entry]),
      await setPsks(sim, [entry], { body: body(',{"id":""}') }),
      await setPsks(sim, [entry], { body: body(',{"id":"x","psk":"y"},{"id":"x","psk":"z"}') }),
      await setPsks(sim, [entry], { body: `{"psks":[{"id":"${DEMO_TUNNEL_ID}","${SENTINEL}":1}]}` }),
      await setPsks(sim, [entry], { body: body('').slice(0, -3) }),
      await setPsks(sim, [entry], {
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      }),
      await setPsks(sim, [entry], { headers: { ...authHeaders, authorization: `Bearer ${SENTINEL}` } }),
      await setPsks(sim, [entry], { accountId: UNKNOWN }),
      await setPsks(sim, [entry], { query: 'validate_only=perhaps' }),
      await setPsks(sim, [entry], { headers: {} }),
      await setPsks(sim, [entry]),
    ];
    expect(errors.map((r) => r.status)).toEqual([503, 400, 400, 400, 400, 415, 403, 404, 400, 400, 429]);
    const violations = [...sim.specViolations];
    expect(violations.length).toBeGreaterThanOrEqual(5);
    // The success answer echoes the key by design; an unapplied tunnel's reason must not.
    await start();
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID] });
    const unapplied = await envelope(await setPsks(sim, [entry, { id: UNKNOWN, psk: SENTINEL }]));
    expect(unapplied.result.successfully_applied_psks).toEqual({});
    const texts = await Promise.all(errors.map((r) => r.text()));
    for (const text of [...texts, JSON.stringify(unapplied), ...violations, ...sim.specViolations]) {
      for (const secret of [TOKEN, SENTINEL]) expect(text).not.toContain(secret);
    }
  });
});
