import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
import { type ConfirmCallback, createRotator } from './rotator.js';

// createRotator as a program uses it: the confirmation is a callback, Cloudflare the simulator over loopback HTTP.

const TOKEN = 'SENTINELrotatorToken5t6y7u8i';
let sim: Simulator;
let pskDir: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-rotator-'));
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

function rotator(confirm: ConfirmCallback) {
  return createRotator({
    client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { baseDelayMs: 1 } }),
    pskDir,
    defaultAccountId: DEMO_ACCOUNT_ID,
    confirm,
  });
}

const persisting = () =>
  sim.count({ operation: 'psk_generate', validateOnly: false }) +
  sim.count({ operation: 'set_psks', validateOnly: false });

async function keyFiles(): Promise<string[]> {
  return (await readdir(pskDir, { recursive: true })).filter((name) => name.endsWith('.psk'));
}

async function confirmedBy(): Promise<unknown[]> {
  const text = await readFile(join(pskDir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).confirmed_by)
    .filter(Boolean);
}

describe('createRotator', () => {
  it.each([false, 'decline', 'cancel'] as const)(
    'an answer of %j sends nothing and makes no key',
    async (answer) => {
      const asked: string[] = [];
      const r = rotator((question) => {
        asked.push(question);
        return answer;
      });
      const one = await r.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID });
      const many = await r.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2] });
      expect(asked).toHaveLength(2);
      const status = answer === 'cancel' ? 'cancelled' : 'declined';
      expect(one).toMatchObject({ output: { status } });
      expect(many).toMatchObject({ output: { status } });
      expect(persisting()).toBe(0);
      expect(await keyFiles()).toEqual([]);
      expect(await confirmedBy()).toEqual(['callback', 'callback', 'callback']);
    },
  );

  it('validateOnly asks nobody and changes nothing', async () => {
    const r = rotator(() => {
      throw new Error('nobody should be asked');
    });
    expect(await r.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID, validateOnly: true })).toMatchObject({
      output: { status: 'validated' },
    });
    expect(
      await r.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2], validateOnly: true }),
    ).toMatchObject({ output: { status: 'validated' } });
    expect(persisting()).toBe(0);
  });

  it('a callback that throws is no consent: nothing is sent', async () => {
    const r = rotator(() => {
      throw new Error('the approval service is down');
    });
    const answer = await r.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID });
    expect(answer).toMatchObject({
      error: expect.stringMatching(/could not be completed.*nothing was sent/),
    });
    expect(persisting()).toBe(0);
  });

  it('a failed validation asks nobody', async () => {
    const asked: string[] = [];
    const r = rotator((question) => {
      asked.push(question);
      return true;
    });
    const answer = await r.rotateTunnel({ tunnelId: 'ffffffffffffffffffffffffffffffff' });
    expect(answer).toMatchObject({ error: expect.stringMatching(/^Validation failed; nothing was changed/) });
    expect(asked).toEqual([]);
    expect(persisting()).toBe(0);
  });

  it('a bad id is refused before any request, naming the field', async () => {
    const r = rotator(() => true);
    const answer = await r.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID, 'a/b'] });
    expect(answer).toMatchObject({ error: expect.stringContaining('ipsec_tunnel_ids[1]') });
    expect(sim.requests).toHaveLength(0);
  });

  it('idle() waits for a rotation in flight, so its key is stored before a program exits', async () => {
    sim.inject({ type: 'delay', ms: 300, match: { operation: 'psk_generate', validateOnly: false } });
    const r = rotator(() => true);
    const running = r.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID });
    while (persisting() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await r.idle();
    expect(await keyFiles()).toHaveLength(1);
    expect(await running).toMatchObject({ output: { status: 'generated' } });
  });
});
