import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type RotationEngine } from '../engine.js';
import type { Confirmer } from '../types.js';

// The way back through every confirmation a rotation has, bar the panel: the form asked in place, the form carried
// in a later request (MCP 2026-07-28), and the two-step token. An answer counts only for the key the user was shown.

const TOKEN = 'SENTINELrestoreToken3e4r5t6y';
let sim: Simulator;
let pskDir: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-restore-'));
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

const engine = (principal?: string): RotationEngine =>
  createEngine({
    client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { baseDelayMs: 1 } }),
    pskDir,
    defaultAccountId: DEMO_ACCOUNT_ID,
    principal,
  });

const accept: Confirmer = { canAsk: true, canShowApp: false, ask: async () => 'accept' };
const noForm: Confirmer = {
  canAsk: false,
  canShowApp: false,
  ask: () => Promise.reject(new Error('no form')),
};
const formLater: Confirmer = { ...noForm, canAsk: true, asksLater: true };
const key = () => sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk ?? '';
const sets = () => sim.count({ operation: 'set_psks', validateOnly: false });

/** Two rotations stored here: the tunnel's previous key is the first one's. */
async function twoRotations(e: RotationEngine): Promise<string> {
  await e.fleet.run({ ipsec_tunnel_ids: [DEMO_TUNNEL_ID] }, accept);
  const previous = key();
  await e.fleet.run({ ipsec_tunnel_ids: [DEMO_TUNNEL_ID] }, accept);
  expect(key()).not.toBe(previous);
  return previous;
}

describe('putting the previous key back', () => {
  it('a two-step token: the question first, then the key back on the second call, once', async () => {
    const e = engine();
    const previous = await twoRotations(e);
    const asked = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, noForm);
    if (!('output' in asked)) throw new Error(JSON.stringify(asked));
    expect(asked.output).toMatchObject({ status: 'confirmation_required', confirm_via: 'token' });
    expect(asked.text).toMatch(/Put the previous pre-shared key back .*restore_ipsec_psk again/s);
    expect(sets()).toBe(2);
    const token = asked.output.confirmation_token ?? '';
    const done = await engine().restore.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
      noForm,
    );
    if (!('output' in done)) throw new Error(JSON.stringify(done));
    expect(done.output).toMatchObject({ status: 'completed', applied: 1 });
    expect(key()).toBe(previous);
    const again = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token }, noForm);
    expect(again).toMatchObject({ error: expect.stringMatching(/already used/) });
    expect(sets()).toBe(3);
  });

  it('the form in a later request: asked, then accepted with its requestState', async () => {
    const e = engine('alice');
    const previous = await twoRotations(e);
    const asked = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, formLater);
    if (!('ask' in asked)) throw new Error(JSON.stringify(asked));
    expect(asked.ask.question).toMatch(/Put the previous pre-shared key back/);
    const reply = { requestState: asked.ask.requestState, answer: 'accept' as const };
    // Another user's answer is refused (and spends it): the form was theirs alone.
    const bob = await engine('bob').restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID, reply }, formLater);
    expect(bob).toMatchObject({ error: expect.stringMatching(/does not belong to this question/) });
    const asked2 = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, formLater);
    if (!('ask' in asked2)) throw new Error(JSON.stringify(asked2));
    const done = await engine('alice').restore.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, reply: { requestState: asked2.ask.requestState, answer: 'accept' } },
      formLater,
    );
    expect(done).toMatchObject({ output: { status: 'completed', applied: 1 } });
    expect(key()).toBe(previous);
  });

  it('an answer about a key that is no longer the previous one sends nothing', async () => {
    const e = engine();
    await twoRotations(e);
    const asked = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, noForm);
    if (!('output' in asked)) throw new Error(JSON.stringify(asked));
    // Another rotation since: the previous key is now another one.
    await e.fleet.run({ ipsec_tunnel_ids: [DEMO_TUNNEL_ID] }, accept);
    const current = key();
    const late = await e.restore.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: asked.output.confirmation_token },
      noForm,
    );
    expect(late).toMatchObject({ error: expect.stringMatching(/no longer tunnel .*previous key/) });
    expect(key()).toBe(current);
  });

  it('a restore token given to another tool is refused there, and spent', async () => {
    const e = engine();
    await twoRotations(e);
    const asked = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, noForm);
    if (!('output' in asked)) throw new Error(JSON.stringify(asked));
    const token = asked.output.confirmation_token ?? '';
    const elsewhere = await e.fleet.run(
      { ipsec_tunnel_ids: [DEMO_TUNNEL_ID], confirmation_token: token },
      noForm,
    );
    expect(elsewhere).toMatchObject({ error: expect.stringMatching(/different/) });
    const back = await e.restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token }, noForm);
    expect(back).toMatchObject({ error: expect.stringMatching(/already used/) });
    expect(sets()).toBe(2);
  });

  it('says plainly when no previous key is held here, before asking anyone', async () => {
    let asked = 0;
    const counting: Confirmer = {
      ...accept,
      ask: async () => {
        asked += 1;
        return 'accept';
      },
    };
    const answer = await engine().restore.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, counting);
    expect(answer).toMatchObject({ error: expect.stringMatching(/No previous key of tunnel .* is held/) });
    expect(asked).toBe(0);
  });
});
