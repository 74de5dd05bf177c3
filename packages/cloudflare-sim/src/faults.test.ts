import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID } from './demo.js';
import { startSimulator } from './server.js';
import { envelope, generate, getTunnel, TOKEN } from './test-support/http.js';
import type { Simulator } from './types.js';

let sim: Simulator;

beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
});
afterEach(async () => {
  await sim.close();
});

const rotations = () => sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations;

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
  expect(condition()).toBe(true);
}

describe('reset', () => {
  it('makes fetch reject with a connection reset, after persisting by default', async () => {
    sim.inject({ type: 'reset' });
    const error = await generate(sim).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
    expect(rotations()).toBe(1);
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: true });
  });

  it('with persist:false leaves the key unchanged', async () => {
    sim.inject({ type: 'reset', persist: false });
    await expect(generate(sim)).rejects.toThrow(TypeError);
    expect(rotations()).toBe(0);
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: false });
  });
});

describe('truncate', () => {
  it('sends 200 headers but the body read fails; persisted by default', async () => {
    sim.inject({ type: 'truncate' });
    const response = await generate(sim);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(rotations()).toBe(1);
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: true });
  });

  it('also breaks response.json(), and persist:false keeps the key', async () => {
    sim.inject({ type: 'truncate', persist: false });
    const response = await generate(sim);
    await expect(response.json()).rejects.toThrow();
    expect(rotations()).toBe(0);
  });
});

describe('delay', () => {
  it('answers normally after the delay', async () => {
    sim.inject({ type: 'delay', ms: 150 });
    const started = Date.now();
    const response = await generate(sim);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await envelope(response)).result.psk).toBe(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    expect(rotations()).toBe(1);
  });

  it('persists before waiting by default, so a client that times out leaves a replaced key', async () => {
    sim.inject({ type: 'delay', ms: 300 });
    // The client gives up once the simulator has the request (a fixed client timeout races a loaded machine).
    const controller = new AbortController();
    const pending = generate(sim, { signal: controller.signal });
    await until(() => sim.count() === 1);
    expect(rotations()).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await sleep(350);
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: true });
  });

  it('with persist:false never persists when the client leaves during the delay', async () => {
    sim.inject({ type: 'delay', ms: 300, persist: false });
    const controller = new AbortController();
    const pending = generate(sim, { signal: controller.signal });
    await until(() => sim.count() === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(rotations()).toBe(0);
    await sleep(350);
    expect(rotations()).toBe(0);
    expect(sim.requests[0]).toMatchObject({ status: undefined, persisted: false });
  });

  it('with persist:false persists after the delay when the client waits', async () => {
    sim.inject({ type: 'delay', ms: 100, persist: false });
    const pending = generate(sim);
    await until(() => sim.count() === 1);
    expect(rotations()).toBe(0);
    expect((await pending).status).toBe(200);
    expect(rotations()).toBe(1);
  });
});

describe('status', () => {
  it('answers 500 with an error envelope and does not persist by default', async () => {
    sim.inject({ type: 'status', status: 500 });
    const response = await generate(sim);
    expect(response.status).toBe(500);
    expect(await envelope(response)).toMatchObject({
      success: false,
      result: null,
      errors: [{ code: 10001 }],
    });
    expect(rotations()).toBe(0);
    expect(sim.requests[0]).toMatchObject({ status: 500, persisted: false });
    expect(sim.specViolations).toEqual([]);
  });

  it('answers 502 after persisting when persist:true', async () => {
    sim.inject({ type: 'status', status: 502, persist: true });
    expect((await generate(sim)).status).toBe(502);
    expect(rotations()).toBe(1);
    expect(sim.requests[0]).toMatchObject({ status: 502, persisted: true });
  });

  it('sends Retry-After when given', async () => {
    sim.inject({ type: 'status', status: 503, retryAfterSeconds: 7 });
    const response = await generate(sim);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
  });

  it('refuses statuses that are not 4xx/5xx, and bad counts', () => {
    expect(() => sim.inject({ type: 'status', status: 200 })).toThrow(RangeError);
    expect(() => sim.inject({ type: 'reset', times: 0 })).toThrow(RangeError);
    expect(() => sim.inject({ type: 'delay', ms: -1 })).toThrow(RangeError);
  });
});

describe('omit-psk and invalid-json', () => {
  it('omit-psk: 200 whose result lacks psk, persisted, and exempt from spec checks', async () => {
    sim.inject({ type: 'omit-psk' });
    const response = await generate(sim);
    const body = await envelope(response);
    expect(response.status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.result).toMatchObject({
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      psk_metadata: { last_generated_on: expect.any(String) },
    });
    expect(body.result).not.toHaveProperty('psk');
    expect(rotations()).toBe(1);
    expect(sim.specViolations).toEqual([]);
  });

  it('omit-psk on get_tunnel drops psk_metadata', async () => {
    sim.inject({ type: 'omit-psk', match: { operation: 'get_tunnel' } });
    const body = await envelope(await getTunnel(sim));
    expect(body.result.ipsec_tunnel).toMatchObject({ id: DEMO_TUNNEL_ID });
    expect(body.result.ipsec_tunnel).not.toHaveProperty('psk_metadata');
  });

  it('invalid-json: 200 whose body does not parse, persisted', async () => {
    sim.inject({ type: 'invalid-json' });
    const response = await generate(sim);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
    expect(rotations()).toBe(1);
    expect(sim.requests[0]).toMatchObject({ status: 200, persisted: true });
  });
});

describe('matching and consumption', () => {
  it('applies only to matching requests, in order, `times` times', async () => {
    sim.inject({
      type: 'status',
      status: 500,
      match: { operation: 'psk_generate', validateOnly: false },
      times: 2,
    });
    sim.inject({ type: 'status', status: 503 });
    expect((await generate(sim, { query: 'validate_only=true' })).status).toBe(503);
    expect((await getTunnel(sim)).status).toBe(200);
    expect((await generate(sim)).status).toBe(500);
    expect((await generate(sim)).status).toBe(500);
    expect((await generate(sim)).status).toBe(200);
  });

  it('is not consumed by requests refused for auth, routing, validation or an unknown tunnel', async () => {
    sim.inject({ type: 'status', status: 500 });
    expect((await generate(sim, { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    expect((await generate(sim, { headers: {} })).status).toBe(400);
    expect((await fetch(`${sim.url}/nowhere`)).status).toBe(404);
    expect((await generate(sim, { tunnelId: 'ffffffffffffffffffffffffffffffff' })).status).toBe(404);
    expect((await generate(sim, { body: '{"x":1}' })).status).toBe(400);
    expect((await generate(sim)).status).toBe(500);
    expect((await generate(sim)).status).toBe(200);
  });

  it('clearFaults drops every queued fault', async () => {
    sim.inject({ type: 'reset', times: 3 });
    sim.clearFaults();
    expect((await generate(sim)).status).toBe(200);
  });
});

describe('close', () => {
  it('ends a pending delay without hanging', async () => {
    sim.inject({ type: 'delay', ms: 60_000 });
    const pending = generate(sim).catch((e: unknown) => e);
    await until(() => sim.count() === 1);
    const started = Date.now();
    await sim.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(TypeError);
  });
});
