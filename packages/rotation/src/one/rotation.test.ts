import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PskClient, PskError, Secret } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfirmMode } from '../confirm/channel.js';
import { createEngine } from '../engine.js';
import type { FleetAnswer } from '../fleet/fleet-rotation.js';
import { silentLogger } from '../logger.js';
import type { ConfirmAnswer, Confirmer, RotationAnswer, RotationOutput } from '../types.js';

// The rotation flow on its own: a fake Cloudflare client that counts round trips, a real key store in a temporary
// directory, no HTTP and no MCP. Fast, and exact about how many calls go out in each phase.

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const TUNNEL = 'c4a7362d577a6c3019a474fd6f485823';
const KEY = 'Fq3Zb8Lm1Xc7Vn2Rt6Wy0Ks4Hd9Gj5Pa';

type Outcome = 'ok' | 'unknown' | 'refused';

/** A PskClient whose answers are set per test, recording each call and how many were in flight at once. */
function fakeClient() {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const state = {
    validate: 'ok' as Outcome,
    generate: 'ok' as Outcome,
    lastGeneratedOn: '2025-01-15T09:30:00Z',
  };
  const track = async <T>(name: string, answer: () => T): Promise<T> => {
    calls.push(name);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    return answer();
  };
  const fail = (outcome: Outcome) =>
    outcome === 'unknown'
      ? new PskError('reset', { code: 'network', outcome: 'unknown' })
      : new PskError('refused', { code: 'forbidden', outcome: 'not_executed', status: 403 });
  const client = {
    baseUrl: 'https://api.cloudflare.com/client/v4',
    accountId: ACCOUNT,
    api: undefined as never,
    generateIpsecPsk: (async (input: { validateOnly?: boolean }) => {
      if (input.validateOnly) {
        return track('validate', () => {
          if (state.validate !== 'ok') throw fail(state.validate);
          return {
            validateOnly: true,
            accountId: ACCOUNT,
            ipsecTunnelId: TUNNEL,
            lastGeneratedOn: undefined,
            messages: [],
          };
        });
      }
      return track('generate', () => {
        if (state.generate === 'unknown') state.lastGeneratedOn = new Date().toISOString();
        if (state.generate !== 'ok') throw fail(state.generate);
        state.lastGeneratedOn = new Date().toISOString();
        return {
          validateOnly: false,
          accountId: ACCOUNT,
          ipsecTunnelId: TUNNEL,
          psk: new Secret(KEY),
          lastGeneratedOn: state.lastGeneratedOn,
          messages: [],
        };
      });
    }) as PskClient['generateIpsecPsk'],
    getIpsecTunnel: async () =>
      track('read', () => ({
        id: TUNNEL,
        name: 'frankfurt-1',
        description: undefined,
        lastGeneratedOn: state.lastGeneratedOn,
        tunnel: {} as never,
      })),
    // The rotation flow neither lists tunnels nor sets keys: a call is a bug the test must see.
    listIpsecTunnels: async () => {
      throw new Error('listIpsecTunnels is not part of a rotation');
    },
    setIpsecPsks: async () => {
      throw new Error('setIpsecPsks is not part of a rotation');
    },
    getTunnelHealth: async () => {
      throw new Error('getTunnelHealth is not part of this rotation flow');
    },
  } satisfies PskClient;
  return { client, calls, state, maxInFlight: () => maxInFlight };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-rotation-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function flow(confirmMode: ConfirmMode = 'auto') {
  const fake = fakeClient();
  const engine = createEngine({
    client: fake.client,
    pskDir: dir,
    confirmMode,
    defaultAccountId: ACCOUNT,
    logger: silentLogger,
  });
  return { ...fake, rotation: engine.rotation, panel: engine.panel };
}

/** A confirmer that records what was asked, and the round trips made before it was asked. */
function confirmer(
  answer: ConfirmAnswer,
  calls: string[],
  channels: { form: boolean; app?: boolean } = { form: true },
) {
  const asked: { question: string; callsBefore: string[] }[] = [];
  const value: Confirmer = {
    canAsk: channels.form,
    canShowApp: channels.app ?? false,
    async ask(question) {
      asked.push({ question, callsBefore: [...calls] });
      return answer;
    },
  };
  return { confirmer: value, asked };
}

// The panel's answers are typed for both flows (one tunnel or several); these tests are about one tunnel.
const output = (answer: RotationAnswer | FleetAnswer) =>
  ('output' in answer ? answer.output : undefined) as RotationOutput;

describe('the rotation flow against a fake client', () => {
  it('validate only: one validate-only call, nothing else', async () => {
    const f = flow();
    const answer = await f.rotation.run(
      { ipsec_tunnel_id: TUNNEL, validate_only: true },
      confirmer('accept', f.calls).confirmer,
    );
    expect(output(answer).status).toBe('validated');
    expect(f.calls).toEqual(['validate']);
  });

  it('form: one round trip (validation and the tunnel read at once) before the question, one after', async () => {
    const f = flow();
    const c = confirmer('accept', f.calls);
    const answer = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, c.confirmer);
    expect(output(answer).status).toBe('generated');
    expect(c.asked[0]?.callsBefore.sort()).toEqual(['read', 'validate']);
    expect(f.maxInFlight()).toBe(2);
    expect(f.calls.slice(2)).toEqual(['generate']);
    expect(await readFile(output(answer).psk_file as string, 'utf8')).toBe(KEY);
  });

  it('form declined: no persisting call', async () => {
    const f = flow();
    const answer = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, confirmer('decline', f.calls).confirmer);
    expect(output(answer).status).toBe('declined');
    expect(f.calls).not.toContain('generate');
  });

  it('token: the second call makes exactly one round trip, the persisting call', async () => {
    const f = flow();
    const c = confirmer('accept', f.calls, { form: false });
    const first = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, c.confirmer);
    expect(output(first).status).toBe('confirmation_required');
    expect(f.calls.sort()).toEqual(['read', 'validate']);
    f.calls.length = 0;
    const second = await f.rotation.run(
      { ipsec_tunnel_id: TUNNEL, confirmation_token: output(first).confirmation_token },
      c.confirmer,
    );
    expect(output(second).status).toBe('generated');
    expect(f.calls).toEqual(['generate']);
  });

  it('panel: one round trip before the question, one after the click', async () => {
    const f = flow();
    const c = confirmer('accept', f.calls, { form: false, app: true });
    const first = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, c.confirmer);
    expect(output(first)).toMatchObject({ status: 'confirmation_required', confirm_via: 'app' });
    expect(f.calls.sort()).toEqual(['read', 'validate']);
    f.calls.length = 0;
    if (!('viewOnly' in first)) throw new Error('no View secret');
    const opened = await f.panel.open(
      output(first).confirmation_id as string,
      first.viewOnly?.panel_secret ?? '',
    );
    const nonce = 'output' in opened ? opened.output.nonce : '';
    const answer = await f.panel.answer(output(first).confirmation_id as string, nonce, 'rotate');
    expect(output(answer).status).toBe('generated');
    expect(f.calls).toEqual(['generate']);
  });

  it('a failed validation asks nobody and sends nothing', async () => {
    const f = flow();
    f.state.validate = 'refused';
    const c = confirmer('accept', f.calls);
    const answer = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, c.confirmer);
    expect('error' in answer && answer.error).toMatch(/Validation failed/);
    expect(c.asked).toEqual([]);
    expect(f.calls).not.toContain('generate');
  });

  it('an unknown outcome is checked back once, never retried, and leaves no temp file', async () => {
    const f = flow();
    f.state.generate = 'unknown';
    const answer = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, confirmer('accept', f.calls).confirmer);
    expect(output(answer)).toMatchObject({ status: 'outcome_unknown', rotated: 'yes' });
    expect(f.calls.filter((call) => call === 'generate')).toHaveLength(1);
    expect(f.calls.at(-1)).toBe('read');
    const files = await readdir(join(dir, ACCOUNT, TUNNEL));
    expect(files.filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a refused persisting call gives back its reserved space and says nothing changed', async () => {
    const f = flow();
    f.state.generate = 'refused';
    const answer = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, confirmer('accept', f.calls).confirmer);
    expect('error' in answer && answer.error).toMatch(/The rotation failed. refused/);
    expect(await readdir(join(dir, ACCOUNT, TUNNEL))).toEqual([]);
  });

  it('a second rotation of the same tunnel while one runs is refused before any call', async () => {
    const f = flow();
    let release: (answer: ConfirmAnswer) => void = () => {};
    const slow: Confirmer = {
      canAsk: true,
      canShowApp: false,
      ask: () => new Promise((resolve) => (release = resolve)),
    };
    const first = f.rotation.run({ ipsec_tunnel_id: TUNNEL }, slow);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const callsBefore = f.calls.length;
    const second = await f.rotation.run({ ipsec_tunnel_id: TUNNEL }, confirmer('accept', f.calls).confirmer);
    expect('error' in second && second.error).toMatch(/already in progress/);
    expect(f.calls).toHaveLength(callsBefore);
    release('decline');
    expect(output(await first).status).toBe('declined');
  });
});
