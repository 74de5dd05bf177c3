import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from './demo.js';
import { startSimulator } from './server.js';
import { type GraphqlAnswer, graphql, rowsOf } from './test-support/graphql.js';
import { envelope, generate, setPsks, TOKEN } from './test-support/http.js';
import type { SimAttachment, Simulator } from './types.js';

type Change = Parameters<NonNullable<SimAttachment['pskChanged']>>[0];

const KEY_1 = 'AttachKey1aaaaaaaaaaaaaaaaaaaaaa';
const KEY_2 = 'AttachKey2bbbbbbbbbbbbbbbbbbbbbb';
let sim: Simulator | undefined;
afterEach(async () => {
  expect(sim?.specViolations ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

/** A simulator whose attachment records every change; `pskChanged` can be replaced per test. */
async function attached(pskChanged?: (change: Change) => Promise<void> | void) {
  const changes: Change[] = [];
  sim = await startSimulator({
    apiTokens: [TOKEN],
    attachment: {
      async pskChanged(change) {
        changes.push(change);
        await pskChanged?.(change);
      },
    },
  });
  return { sim, changes };
}

describe('attachment.pskChanged', () => {
  it('is told each generated key once, with the tunnel, before the client is answered', async () => {
    let answered = false;
    const { sim, changes } = await attached(async () => {
      await sleep(50);
      expect(answered).toBe(false);
    });
    const body = await envelope(await generate(sim));
    answered = true;
    expect(changes).toEqual([
      {
        accountId: DEMO_ACCOUNT_ID,
        tunnelId: DEMO_TUNNEL_ID,
        tunnelName: 'demo_tunnel_01',
        psk: body.result.psk,
      },
    ]);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk).toBe(body.result.psk);
  });

  it('is told each key Set PSKs stores, once per tunnel, and nothing for a tunnel it does not have', async () => {
    const { sim, changes } = await attached();
    const response = await setPsks(sim, [
      { id: DEMO_TUNNEL_ID, psk: KEY_1 },
      { id: 'ffffffffffffffffffffffffffffffff', psk: 'AttachKey3ccccccccccccccccccccccc' },
      { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
    ]);
    expect(response.status).toBe(200);
    expect(changes.map(({ tunnelName, psk }) => [tunnelName, psk])).toEqual([
      ['demo_tunnel_01', KEY_1],
      ['demo_tunnel_02', KEY_2],
    ]);
  });

  it('is never told of a validate-only call, or of a change a fault kept from being stored', async () => {
    const { sim, changes } = await attached();
    await generate(sim, { query: 'validate_only=true' });
    await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }], { query: 'validate_only=true' });
    sim.inject({ type: 'status', status: 500 });
    await generate(sim);
    sim.inject({ type: 'reset', persist: false });
    await generate(sim).catch(() => undefined);
    sim.inject({ type: 'unapply', tunnels: [DEMO_TUNNEL_ID] });
    await setPsks(sim, [{ id: DEMO_TUNNEL_ID, psk: KEY_1 }]);
    expect(changes).toEqual([]);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
  });

  it('is told once of a change stored before a fault: reset, 5xx, truncate, delay', async () => {
    const { sim, changes } = await attached();
    sim.inject({ type: 'reset' });
    await expect(generate(sim)).rejects.toThrow(TypeError);
    sim.inject({ type: 'status', status: 502, persist: true });
    expect((await generate(sim)).status).toBe(502);
    sim.inject({ type: 'truncate' });
    await expect((await generate(sim)).json()).rejects.toThrow();
    sim.inject({ type: 'delay', ms: 20, persist: false });
    expect((await generate(sim)).status).toBe(200);
    expect(changes).toHaveLength(4);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)).toMatchObject({ rotations: 4, psk: changes[3]?.psk });
  });

  it('is told of a stored key even when the client has left', async () => {
    const { sim, changes } = await attached();
    sim.inject({ type: 'delay', ms: 300 });
    const leaving = new AbortController();
    const request = generate(sim, { signal: leaving.signal }).catch(() => undefined);
    for (let i = 0; i < 100 && changes.length === 0; i++) await sleep(5);
    leaving.abort();
    await request;
    expect(changes).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ persisted: true, status: undefined });
  });

  it('failing, surfaces as a 500 the test sees, without the key; the key stays stored and others are told', async () => {
    const { sim, changes } = await attached((change) => {
      if (change.tunnelId === DEMO_TUNNEL_ID) throw new Error(`swanctl refused ${change.psk}\n(load-shared)`);
    });
    const response = await setPsks(sim, [
      { id: DEMO_TUNNEL_ID, psk: KEY_1 },
      { id: DEMO_TUNNEL_ID_2, psk: KEY_2 },
    ]);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain(KEY_1);
    expect(JSON.parse(text).errors[0]).toEqual({
      code: 10001,
      message: `Internal server error: the simulator's attachment did not take the new key (pskChanged): ${DEMO_TUNNEL_ID}: swanctl refused [redacted] (load-shared)`,
    });
    expect(changes).toHaveLength(2);
    expect(sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk).toBe(KEY_1);
    expect(sim.requests[0]).toMatchObject({ status: 500, persisted: true });
  });
});

describe('attachment.tunnelState', () => {
  const variables = () => ({
    accountTag: DEMO_ACCOUNT_ID,
    since: new Date(Date.now() - 300_000).toISOString(),
    until: new Date().toISOString(),
    tunnelNames: ['demo_tunnel_01', 'demo_tunnel_02'],
  });

  it('replaces the simulator’s model: asked for each queried tunnel at query time; undefined means no rows', async () => {
    const asked: unknown[] = [];
    sim = await startSimulator({
      apiTokens: [TOKEN],
      health: { colos: 1 },
      attachment: {
        async tunnelState(tunnel) {
          asked.push(tunnel);
          return tunnel.tunnelName === 'demo_tunnel_01' ? 0.5 : undefined;
        },
      },
    });
    sim.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, 0);
    const body = (await (await graphql(sim, { variables: variables() })).json()) as GraphqlAnswer;
    expect(rowsOf(body)).toEqual(['demo_tunnel_01@ams01=0.5']);
    expect(asked).toEqual([
      { accountId: DEMO_ACCOUNT_ID, tunnelId: DEMO_TUNNEL_ID, tunnelName: 'demo_tunnel_01' },
      { accountId: DEMO_ACCOUNT_ID, tunnelId: DEMO_TUNNEL_ID_2, tunnelName: 'demo_tunnel_02' },
    ]);
  });

  it('failing or answering something that is not a state, surfaces as a 500 GraphQL error', async () => {
    let answer: () => number | undefined = () => {
      throw new Error('vici socket gone');
    };
    sim = await startSimulator({ apiTokens: [TOKEN], attachment: { tunnelState: () => answer() } });
    const failed = await graphql(sim, { variables: variables() });
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as GraphqlAnswer).errors?.[0]?.message).toMatch(
      /attachment failed \(tunnelState\): vici socket gone/,
    );
    answer = () => 2;
    expect((await graphql(sim, { variables: variables() })).status).toBe(500);
  });
});
