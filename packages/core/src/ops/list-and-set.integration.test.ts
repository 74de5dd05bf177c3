import { inspect } from 'node:util';
import {
  DEMO_ACCOUNT_ID,
  DEMO_TUNNEL_ID,
  DEMO_TUNNEL_ID_2,
  manyTunnels,
  type Simulator,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPskClient, type PskClientOptions } from '../client.js';
import type { PskError } from '../errors.js';
import { Secret } from '../secret.js';
import { rejection } from '../test-support/fake-fetch.js';
import { SET_PSKS_UNKNOWN_ADVICE } from './set-psks.js';

// Real HTTP against the local simulator: List IPsec tunnels and Set PSKs, judged by what the server received.
const TOKEN = 'SENTINELlistSetToken5c4b3a';
// Caller-provided keys are as secret as generated ones: sentinels, so any leak is found by text search.
const KEY_1 = 'SENTINELkeyOne0000000000000000aa';
const KEY_2 = 'SENTINELkeyTwo0000000000000000bb';
const both = [
  { ipsecTunnelId: DEMO_TUNNEL_ID, psk: new Secret(KEY_1) },
  { ipsecTunnelId: DEMO_TUNNEL_ID_2, psk: KEY_2 },
];
let sim: Simulator;

beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
});

function client(options: Partial<PskClientOptions> = {}) {
  return createPskClient({
    apiToken: TOKEN,
    baseUrl: sim.url,
    accountId: DEMO_ACCOUNT_ID,
    retry: { baseDelayMs: 1 },
    ...options,
  });
}

const keys = () => [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2].map((id) => sim.tunnel(DEMO_ACCOUNT_ID, id)?.psk);
const sets = () => sim.count({ operation: 'set_psks', validateOnly: false });

/** Every way an error can reach a log or a model. */
function everyRendering(error: PskError): string {
  return [error.message, error.stack, inspect(error, { depth: 8 }), JSON.stringify(error)].join('\n');
}

describe('listIpsecTunnels', () => {
  it('lists every tunnel with its name, description and key age, as the simulator holds them', async () => {
    const tunnels = await client().listIpsecTunnels();
    expect(tunnels.map((t) => t.id).sort()).toEqual([DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2].sort());
    for (const tunnel of tunnels) {
      const state = sim.tunnel(DEMO_ACCOUNT_ID, tunnel.id);
      expect(tunnel.name).toBe(state?.name);
      expect(tunnel.lastGeneratedOn).toBe(state?.lastGeneratedOn);
    }
    expect(tunnels.find((t) => t.id === DEMO_TUNNEL_ID)?.description).toBe('Simulated tunnel (sandbox)');
    expect(sim.count({ operation: 'list_tunnels' })).toBe(1);
  });

  it('reads 300 tunnels in one request, key ages included', async () => {
    await sim.close();
    const generatedOn = (index: number) =>
      index % 2 ? undefined : new Date(Date.UTC(2026, 0, 1 + (index % 28))).toISOString();
    sim = await startSimulator({
      apiTokens: [TOKEN],
      accounts: [manyTunnels(300, { lastGeneratedOn: generatedOn })],
    });
    const tunnels = await client().listIpsecTunnels();
    expect(tunnels).toHaveLength(300);
    expect(tunnels.filter((t) => t.lastGeneratedOn !== undefined)).toHaveLength(150);
    expect(sim.requests).toHaveLength(1);
  });

  it('is retried after a 503 and a reset, since it changes nothing', async () => {
    sim.inject({ type: 'status', status: 503, match: { operation: 'list_tunnels' } });
    sim.inject({ type: 'reset', match: { operation: 'list_tunnels' } });
    expect(await client().listIpsecTunnels()).toHaveLength(2);
    expect(sim.count({ operation: 'list_tunnels' })).toBe(3);
  });

  it('a 200 whose body is cut off is an invalid response, and nothing changed', async () => {
    sim.inject({ type: 'truncate', match: { operation: 'list_tunnels' }, times: 5 });
    const error = await rejection(client({ retry: { maxAttempts: 1 } }).listIpsecTunnels());
    expect(error).toMatchObject({ code: 'invalid_response', outcome: 'not_executed' });
  });

  it('a wrong token is refused without retries and named as such', async () => {
    const error = await rejection(client({ apiToken: 'SENTINELwrongToken000' }).listIpsecTunnels());
    expect(error).toMatchObject({ status: 403, outcome: 'not_executed' });
    expect(sim.requests).toHaveLength(1);
    expect(everyRendering(error)).not.toContain('SENTINELwrongToken000');
  });

  it('an account id that would change the URL is refused before any request', async () => {
    const error = await rejection(client().listIpsecTunnels({ accountId: '../other' }));
    expect(error).toMatchObject({ code: 'invalid_input', field: 'accountId' });
    expect(sim.requests).toHaveLength(0);
  });
});

describe('setIpsecPsks', () => {
  it('validate-only sends validate_only=true, changes nothing, and is retried after a 503', async () => {
    sim.inject({ type: 'status', status: 503, match: { operation: 'set_psks', validateOnly: true } });
    const result = await client().setIpsecPsks({ psks: both, validateOnly: true });
    expect(result.validateOnly).toBe(true);
    expect(sim.count({ operation: 'set_psks', validateOnly: true })).toBe(2);
    expect(sim.requests.at(-1)?.query).toEqual({ validate_only: 'true' });
    expect(keys()).toEqual([undefined, undefined]);
  });

  it('applies the keys it was given, in one request, and reports each tunnel', async () => {
    const result = await client().setIpsecPsks({ psks: both });
    expect(sets()).toBe(1);
    expect(keys()).toEqual([KEY_1, KEY_2]);
    expect(result.unapplied).toEqual([]);
    expect(result.unreported).toEqual([]);
    expect(result.applied.map((a) => [a.ipsecTunnelId, a.psk.reveal(), a.echoMatches])).toEqual(
      expect.arrayContaining([
        [DEMO_TUNNEL_ID, KEY_1, true],
        [DEMO_TUNNEL_ID_2, KEY_2, true],
      ]),
    );
    for (const applied of result.applied) {
      expect(applied.lastGeneratedOn).toBe(
        sim.tunnel(DEMO_ACCOUNT_ID, applied.ipsecTunnelId)?.lastGeneratedOn,
      );
    }
    const printed = `${inspect(result, { depth: 8 })}${JSON.stringify(result)}`;
    expect(printed).not.toContain(KEY_1);
    expect(printed).not.toContain(KEY_2);
  });

  it('a reset after the keys were stored is resolved by sending the same keys again', async () => {
    sim.inject({ type: 'reset', match: { operation: 'set_psks', validateOnly: false } });
    const result = await client().setIpsecPsks({ psks: both });
    expect(sets()).toBe(2);
    const bodies = sim.requests
      .filter((r) => r.operation === 'set_psks')
      .map((r) => JSON.parse(r.body ?? '{}'));
    expect(bodies[1]).toEqual(bodies[0]);
    expect(keys()).toEqual([KEY_1, KEY_2]);
    expect(result.applied).toHaveLength(2);
  });

  it('a 502 after storing, then a 200: applied, with the same keys', async () => {
    sim.inject({ type: 'status', status: 502, persist: true, match: { operation: 'set_psks' } });
    const result = await client().setIpsecPsks({ psks: both });
    expect(sets()).toBe(2);
    expect(result.applied.map((a) => a.psk.reveal()).sort()).toEqual([KEY_1, KEY_2].sort());
  });

  it("with retry:false an unknown outcome says the keys are the caller's own and how to settle it", async () => {
    sim.inject({ type: 'reset', match: { operation: 'set_psks' } });
    const error = await rejection(client().setIpsecPsks({ psks: both, retry: false }));
    expect(error).toMatchObject({ code: 'network', outcome: 'unknown' });
    expect(error.message).toContain(SET_PSKS_UNKNOWN_ADVICE);
    expect(error.message).not.toMatch(/nobody has seen/);
    expect(sets()).toBe(1);
    expect(everyRendering(error)).not.toMatch(/SENTINELkey/);
  });

  it('when every attempt fails the last error is unknown, and no key text leaks from any of them', async () => {
    sim.inject({ type: 'truncate', match: { operation: 'set_psks' }, times: 10 });
    const error = await rejection(
      client({ retry: { maxAttempts: 3, baseDelayMs: 1 } }).setIpsecPsks({ psks: both }),
    );
    expect(error).toMatchObject({ code: 'invalid_response', outcome: 'unknown' });
    expect(sets()).toBe(3);
    // The truncated bodies echoed the keys: nothing of them survives in the error.
    expect(everyRendering(error)).not.toMatch(/SENTINELkey/);
    expect(keys()).toEqual([KEY_1, KEY_2]);
  });

  it('a 400 that quotes a key is redacted; nothing changed, not retried', async () => {
    sim.inject({
      type: 'status',
      status: 400,
      match: { operation: 'set_psks' },
      message: `psk ${KEY_2} is not acceptable`,
    });
    const error = await rejection(client().setIpsecPsks({ psks: both }));
    expect(error).toMatchObject({ code: 'bad_request', outcome: 'not_executed', status: 400 });
    expect(error.message).toContain('is not acceptable');
    expect(sets()).toBe(1);
    expect(everyRendering(error)).not.toMatch(/SENTINELkey/);
  });

  it('one tunnel unapplied: its reason, neutralised; the other applied; the old key kept', async () => {
    sim.inject({
      type: 'unapply',
      tunnels: [DEMO_TUNNEL_ID_2],
      reason: 'tunnel\u001b[31m is being\nupdated',
    });
    const result = await client().setIpsecPsks({ psks: both });
    expect(result.applied.map((a) => a.ipsecTunnelId)).toEqual([DEMO_TUNNEL_ID]);
    expect(result.unapplied).toHaveLength(1);
    expect(result.unapplied[0]?.ipsecTunnelId).toBe(DEMO_TUNNEL_ID_2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be gone.
    expect(result.unapplied[0]?.reason).not.toMatch(/[\u0000-\u001f]/);
    expect(result.unapplied[0]?.reason).toContain('is being');
    expect(keys()).toEqual([KEY_1, undefined]);
  });

  it("a tunnel the account does not have is reported unapplied, with Cloudflare's reason", async () => {
    const result = await client().setIpsecPsks({
      psks: [{ ipsecTunnelId: 'f'.repeat(32), psk: KEY_1 }],
    });
    expect(result.applied).toEqual([]);
    expect(result.unapplied).toEqual([{ ipsecTunnelId: 'f'.repeat(32), reason: 'IPsec tunnel not found' }]);
  });

  it('an answer without the echoed keys still reports them applied, with the keys that were sent', async () => {
    sim.inject({ type: 'omit-psk', match: { operation: 'set_psks' } });
    const result = await client().setIpsecPsks({ psks: both });
    expect(result.applied.map((a) => [a.psk.reveal(), a.echoMatches]).sort()).toEqual(
      [
        [KEY_1, true],
        [KEY_2, true],
      ].sort(),
    );
  });

  it.each([
    ['no tunnels', [], 'psks'],
    ['a tunnel twice', [both[0], both[0]], 'psks[1].ipsecTunnelId'],
    ['an empty key', [{ ipsecTunnelId: DEMO_TUNNEL_ID, psk: '' }], 'psks[0].psk'],
    ['a key with a newline', [{ ipsecTunnelId: DEMO_TUNNEL_ID, psk: `${KEY_1}\n` }], 'psks[0].psk'],
    ['an id with a slash', [{ ipsecTunnelId: 'a/b', psk: KEY_1 }], 'psks[0].ipsecTunnelId'],
  ] as const)('refuses %s before any request, naming the field', async (_name, psks, field) => {
    const error = await rejection(client().setIpsecPsks({ psks: psks as never }));
    expect(error).toMatchObject({ code: 'invalid_input', outcome: 'not_executed', field });
    expect(error.message).toContain(field);
    expect(everyRendering(error)).not.toMatch(/SENTINELkey/);
    expect(sim.requests).toHaveLength(0);
  });
});
