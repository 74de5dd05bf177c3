import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_ACCOUNT_ID,
  DEMO_TUNNEL_ID,
  DEMO_TUNNEL_ID_2,
  type Simulator,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type EngineOptions, type RotationEngine } from '../engine.js';
import type { Confirmer } from '../types.js';

// Confirmations that outlive a connection: the two-step token and the 2026-07-28 form's requestState are one signed,
// single-use, principal- and request-bound object under the key directory. Each engine here stands for another MCP
// connection, server instance, process or restart on the same key directory.

const TOKEN = 'SENTINELconsentToken9o8i7u6y';
let sim: Simulator;
let pskDir: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-consent-'));
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

/** A new engine on the same key directory: another connection, process, or the server after a restart. */
function connection(options: Partial<EngineOptions> = {}): RotationEngine {
  return createEngine({
    client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { baseDelayMs: 1 } }),
    pskDir,
    defaultAccountId: DEMO_ACCOUNT_ID,
    ...options,
  });
}

const noForm: Confirmer = {
  canAsk: false,
  canShowApp: false,
  ask: () => Promise.reject(new Error('no form')),
};
const formLater: Confirmer = { ...noForm, canAsk: true, asksLater: true };
const persisting = () =>
  sim.count({ operation: 'psk_generate', validateOnly: false }) +
  sim.count({ operation: 'set_psks', validateOnly: false });

async function tokenFor(engine: RotationEngine, tunnel = DEMO_TUNNEL_ID): Promise<string> {
  const answer = await engine.rotation.run({ ipsec_tunnel_id: tunnel }, noForm);
  if (!('output' in answer) || !answer.output.confirmation_token) throw new Error(JSON.stringify(answer));
  return answer.output.confirmation_token;
}

async function stateFor(engine: RotationEngine): Promise<string> {
  const answer = await engine.rotation.run({ ipsec_tunnel_id: DEMO_TUNNEL_ID }, formLater);
  if (!('ask' in answer)) throw new Error(JSON.stringify(answer));
  return answer.ask.requestState;
}

describe('a two-step token', () => {
  it('issued on connection A confirms on connection B exactly once; a third use is refused', async () => {
    const token = await tokenFor(connection());
    const second = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
      noForm,
    );
    expect(second).toMatchObject({ output: { status: 'generated' } });
    const third = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
      noForm,
    );
    expect('error' in third && third.error).toMatch(/not one this server issued, or was already used/);
    expect(persisting()).toBe(1);
  });

  it('is refused for another tunnel, another principal, or once expired, and spent by each attempt', async () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const clock = { now: () => new Date(now) };
    const refusals: string[] = [];
    for (const attempt of ['tunnel', 'principal', 'expired'] as const) {
      const token = await tokenFor(connection({ ...clock, principal: 'alice' }));
      const other = connection({ ...clock, principal: attempt === 'principal' ? 'mallory' : 'alice' });
      if (attempt === 'expired') now += 5 * 60_000;
      const tunnel = attempt === 'tunnel' ? DEMO_TUNNEL_ID_2 : DEMO_TUNNEL_ID;
      const answer = await other.rotation.run({ ipsec_tunnel_id: tunnel, confirmation_token: token }, noForm);
      refusals.push('error' in answer ? answer.error : 'accepted');
      // Spent by the wrong attempt: the right one is refused too.
      const retry = await connection({ ...clock, principal: 'alice' }).rotation.run(
        { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
        noForm,
      );
      expect('error' in retry && retry.error).toMatch(/already used/);
    }
    expect(refusals[0]).toMatch(/issued for a different account or tunnel/);
    expect(refusals[1]).toMatch(/issued to someone else/);
    expect(refusals[2]).toMatch(/has expired/);
    expect(persisting()).toBe(0);
  });

  it('spent by one tool is spent for the other: one store for generate_ipsec_psk and rotate_ipsec_psks', async () => {
    const token = await tokenFor(connection());
    const fleet = await connection().fleet.run(
      { ipsec_tunnel_ids: [DEMO_TUNNEL_ID], confirmation_token: token },
      noForm,
    );
    expect('error' in fleet && fleet.error).toMatch(/different account or set of tunnels/);
    const again = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
      noForm,
    );
    expect('error' in again && again.error).toMatch(/already used/);
    expect(persisting()).toBe(0);
  });

  it('a forged or altered token is refused and confirms nothing', async () => {
    const token = await tokenFor(connection());
    const [body = '', mac = ''] = token.slice('psk-confirm-'.length).split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { e: number };
    payload.e += 3_600_000;
    const altered = `psk-confirm-${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    for (const forged of [altered, 'psk-confirm-abc.def', `${token}x`]) {
      const answer = await connection().rotation.run(
        { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: forged },
        noForm,
      );
      expect('error' in answer && answer.error).toMatch(/not one this server issued/);
    }
    // Forgeries cannot spend the real one.
    const real = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token },
      noForm,
    );
    expect(real).toMatchObject({ output: { status: 'generated' } });
  });

  it('is signed with a secret created once, 0600, under the key directory', async () => {
    await tokenFor(connection());
    const secret = join(pskDir, 'consent', 'secret');
    expect((await stat(secret)).mode & 0o777).toBe(0o600);
    const first = await readFile(secret, 'utf8');
    await tokenFor(connection());
    expect(await readFile(secret, 'utf8')).toBe(first);
  });
});

describe('the form of MCP 2026-07-28 (input_required, then the answer with requestState)', () => {
  it('asks with one round trip, and the answer on another connection sends the one persisting call', async () => {
    const state = await stateFor(connection());
    expect(persisting()).toBe(0);
    const answer = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, reply: { requestState: state, answer: 'accept' } },
      formLater,
    );
    expect(answer).toMatchObject({ output: { status: 'generated' } });
    expect(persisting()).toBe(1);
    const replay = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, reply: { requestState: state, answer: 'accept' } },
      formLater,
    );
    expect('error' in replay && replay.error).toMatch(/does not belong to this question/);
    expect(persisting()).toBe(1);
    const audit = await readFile(join(pskDir, 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"event":"rotation_attempt".*"confirmed_by":"form"/);
  });

  it('a declined form sends nothing', async () => {
    const state = await stateFor(connection());
    const answer = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, reply: { requestState: state, answer: 'decline' } },
      formLater,
    );
    expect(answer).toMatchObject({ output: { status: 'declined' } });
    expect(persisting()).toBe(0);
  });

  it('the requestState never confirms as a model-held token, nor a token as a form answer', async () => {
    const state = await stateFor(connection());
    const asToken = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: state },
      noForm,
    );
    expect('error' in asToken).toBe(true);
    const token = await tokenFor(connection());
    const asState = await connection().rotation.run(
      { ipsec_tunnel_id: DEMO_TUNNEL_ID, reply: { requestState: token, answer: 'accept' } },
      formLater,
    );
    expect('error' in asState).toBe(true);
    expect(persisting()).toBe(0);
  });

  it('works for a fleet too: one question, one answer, keys stored before sending', async () => {
    const ids = [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2];
    const first = await connection().fleet.run({ ipsec_tunnel_ids: ids }, formLater);
    if (!('ask' in first)) throw new Error(JSON.stringify(first));
    expect(first.ask.question).toMatch(/Rotate the pre-shared keys of 2 IPsec tunnels/);
    const second = await connection().fleet.run(
      {
        ipsec_tunnel_ids: [...ids].reverse(),
        reply: { requestState: first.ask.requestState, answer: 'accept' },
      },
      formLater,
    );
    expect(second).toMatchObject({ output: { status: 'completed', applied: 2 } });
  });
});
