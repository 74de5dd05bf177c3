import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
import { startSimulator } from './server.js';
import { envelope, generate, getTunnel, setPsks, TOKEN } from './test-support/http.js';
import type { SimFault, Simulator } from './types.js';

const KEY_1 = 'FaultKey1aaaaaaaaaaaaaaaaaaaaaaa';
const KEY_2 = 'FaultKey2bbbbbbbbbbbbbbbbbbbbbbb';
const both = [
  { id: DEMO_TUNNEL_ID, psk: KEY_1 },
  { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
];

let sim: Simulator;

beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
});

const keys = () =>
  [sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID), sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2)].map(
    (t) => t?.psk,
  );
const stored = () => expect(keys()).toEqual([KEY_1, KEY_2]);
const untouched = () => expect(keys()).toEqual([undefined, undefined]);

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
  expect(condition()).toBe(true);
}

describe('reset on set_psks', () => {
  it('stores the keys, then resets the connection (reset after persisting)', async () => {
    sim.inject({ type: 'reset', match: { operation: 'set_psks', validateOnly: false } });
    const error = await setPsks(sim, both).catch((e: unknown) => e);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
    stored();
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: true });
  });

  it('with persist:false stores nothing', async () => {
    sim.inject({ type: 'reset', persist: false });
    await expect(setPsks(sim, both)).rejects.toThrow(TypeError);
    untouched();
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: false });
  });
});

describe('status on set_psks', () => {
  it('message replaces the error text, as a Cloudflare answer quoting the request would', async () => {
    sim.inject({ type: 'status', status: 400, message: `psk ${KEY_2} is not acceptable` });
    const response = await setPsks(sim, both);
    expect(response.status).toBe(400);
    expect((await envelope(response)).errors).toEqual([
      { code: 1002, message: `psk ${KEY_2} is not acceptable` },
    ]);
    untouched();
  });

  it('answers 500 without storing by default', async () => {
    sim.inject({ type: 'status', status: 500 });
    const response = await setPsks(sim, both);
    expect(response.status).toBe(500);
    expect(await envelope(response)).toMatchObject({
      success: false,
      result: null,
      errors: [{ code: 10001 }],
    });
    untouched();
  });

  it('answers 502 after storing with persist:true', async () => {
    sim.inject({ type: 'status', status: 502, persist: true });
    expect((await setPsks(sim, both)).status).toBe(502);
    stored();
    expect(sim.requests[0]).toMatchObject({ status: 502, persisted: true });
  });

  it('answers 429 with Retry-After', async () => {
    sim.inject({ type: 'status', status: 429, retryAfterSeconds: 3 });
    const response = await setPsks(sim, both);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect((await envelope(response)).errors[0]?.code).toBe(1015);
  });
});

describe('delay on set_psks', () => {
  it('stores before waiting by default, so a client that gives up leaves the keys applied', async () => {
    sim.inject({ type: 'delay', ms: 300 });
    // The client gives up once the simulator has the request (a fixed client timeout races a loaded machine).
    const controller = new AbortController();
    const pending = setPsks(sim, both, { signal: controller.signal });
    await until(() => sim.count() === 1);
    stored();
    controller.abort();
    await expect(pending).rejects.toThrow();
    await sleep(350);
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: true });
  });

  it('with persist:false stores nothing when the client leaves, and stores after the wait when it stays', async () => {
    sim.inject({ type: 'delay', ms: 300, persist: false });
    const controller = new AbortController();
    const leaving = setPsks(sim, both, { signal: controller.signal });
    await until(() => sim.count() === 1);
    controller.abort();
    await expect(leaving).rejects.toThrow();
    await sleep(350);
    untouched();
    sim.inject({ type: 'delay', ms: 100, persist: false });
    const pending = setPsks(sim, both);
    await until(() => sim.count() === 2);
    untouched();
    const body = await envelope(await pending);
    expect(Object.keys(body.result.successfully_applied_psks ?? {})).toHaveLength(2);
    stored();
  });
});

describe('truncate, invalid-json and omit-psk on set_psks', () => {
  it('truncate: 200 headers, a body that fails to read, keys stored by default', async () => {
    sim.inject({ type: 'truncate' });
    const response = await setPsks(sim, both);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
    stored();
  });

  it('truncate with persist:false stores nothing', async () => {
    sim.inject({ type: 'truncate', persist: false });
    await expect((await setPsks(sim, both)).text()).rejects.toThrow();
    untouched();
  });

  it('invalid-json: 200 whose body does not parse, keys stored', async () => {
    sim.inject({ type: 'invalid-json' });
    const response = await setPsks(sim, both);
    await expect(response.json()).rejects.toThrow(SyntaxError);
    stored();
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: true });
  });

  it('omit-psk: 200 whose applied entries lack psk, keys stored, unapplied kept', async () => {
    sim.inject({ type: 'omit-psk' });
    const unknown = 'ffffffffffffffffffffffffffffffff';
    const body = await envelope(await setPsks(sim, [...both, { id: unknown, psk: KEY_1 }]));
    const applied = body.result.successfully_applied_psks ?? {};
    expect(Object.keys(applied)).toEqual([DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2]);
    for (const entry of Object.values(applied)) {
      expect(entry).toMatchObject({
        ipsec_id: expect.any(String),
        psk_metadata: { last_generated_on: expect.any(String) },
      });
      expect(entry).not.toHaveProperty('psk');
    }
    expect(body.result.unapplied_psks).toEqual({ [unknown]: 'IPsec tunnel not found' });
    stored();
  });
});

describe('unapply', () => {
  it('leaves the named tunnels unapplied with the reason and applies the others', async () => {
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID_2], reason: 'Edge did not confirm the key' });
    const response = await setPsks(sim, both);
    expect(response.status).toBe(200);
    const body = await envelope(response);
    expect(Object.keys(body.result.successfully_applied_psks ?? {})).toEqual([DEMO_TUNNEL_ID]);
    expect(body.result.unapplied_psks).toEqual({ [DEMO_TUNNEL_ID_2]: 'Edge did not confirm the key' });
    expect(keys()).toEqual([KEY_1, undefined]);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2)?.rotations).toBe(0);
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: true });
  });

  it('uses the default reason, can unapply every tunnel, and then persists nothing', async () => {
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2] });
    const body = await envelope(await setPsks(sim, both));
    expect(body.result).toEqual({
      successfully_applied_psks: {},
      unapplied_psks: {
        [DEMO_TUNNEL_ID]: 'PSK could not be applied',
        [DEMO_TUNNEL_ID_2]: 'PSK could not be applied',
      },
    });
    untouched();
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: false });
  });

  it('applies to a validate-only dry run too, and reports a missing tunnel as not found', async () => {
    const unknown = 'ffffffffffffffffffffffffffffffff';
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID, unknown], times: 2 });
    const dry = await envelope(
      await setPsks(sim, [...both, { id: unknown, psk: KEY_1 }], { query: 'validate_only=true' }),
    );
    expect(Object.keys(dry.result.successfully_applied_psks ?? {})).toEqual([DEMO_TUNNEL_ID_2]);
    expect(dry.result.unapplied_psks).toEqual({
      [DEMO_TUNNEL_ID]: 'PSK could not be applied',
      [unknown]: 'IPsec tunnel not found',
    });
    untouched();
    await setPsks(sim, both);
    expect(keys()).toEqual([undefined, KEY_2]);
    expect((await setPsks(sim, both)).status).toBe(200);
    stored();
  });

  it('is consumed only by set_psks, even without a match', async () => {
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID] });
    expect((await generate(sim)).status).toBe(200);
    expect((await getTunnel(sim)).status).toBe(200);
    const body = await envelope(await setPsks(sim, both));
    expect(Object.keys(body.result.unapplied_psks ?? {})).toEqual([DEMO_TUNNEL_ID]);
  });

  it('honours match.validateOnly', async () => {
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID], match: { validateOnly: false } });
    const dry = await envelope(await setPsks(sim, both, { query: 'validate_only=true' }));
    expect(dry.result.unapplied_psks).toEqual({});
    const real = await envelope(await setPsks(sim, both));
    expect(Object.keys(real.result.unapplied_psks ?? {})).toEqual([DEMO_TUNNEL_ID]);
  });

  it.each<[string, unknown]>([
    ['no tunnels', { type: 'unapply', tunnels: [] }],
    ['tunnels not a list', { type: 'unapply', tunnels: DEMO_TUNNEL_ID }],
    ['an empty id', { type: 'unapply', tunnels: [''] }],
    ['a 33-character id', { type: 'unapply', tunnels: ['a'.repeat(33)] }],
    ['a blank reason', { type: 'unapply', tunnels: [DEMO_TUNNEL_ID], reason: ' ' }],
    [
      'another operation',
      { type: 'unapply', tunnels: [DEMO_TUNNEL_ID], match: { operation: 'psk_generate' } },
    ],
    ['zero times', { type: 'unapply', tunnels: [DEMO_TUNNEL_ID], times: 0 }],
    ['an unknown type', { type: 'explode' }],
    ['an empty status message', { type: 'status', status: 400, message: '' }],
  ])('refuses %s with a RangeError', (_, fault) => {
    expect(() => sim.inject(fault as SimFault)).toThrow(RangeError);
  });
});
