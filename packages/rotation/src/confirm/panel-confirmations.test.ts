import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyDirectory } from '../store/key-directory.js';
import type { FleetTunnelFacts } from '../types.js';
import { ConsentDirectory } from './consent-dir.js';
import {
  type IssuedPanel,
  PANEL_CONFIRMATION_TTL_MS,
  PanelConfirmations,
  type PanelPending,
} from './panel-confirmations.js';

// The panel's confirmations, one tunnel or a fleet: opened only with the View's secret, the nonce claimed once, a
// wrong secret or nonce spends the confirmation, an answer is single-use, a confirmation expires, it confirms exactly
// the subject it was issued for, for its principal only, and all of it holds across instances on one key directory.

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const ME = 'alice';
const FLEET: FleetTunnelFacts[] = [
  { id: 'a'.repeat(32), name: 'fra-01', lastGeneratedOn: '2026-01-01T00:00:00Z' },
  { id: 'b'.repeat(32), name: 'fra-02', lastGeneratedOn: null },
  { id: 'c'.repeat(32), name: undefined, lastGeneratedOn: undefined },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-panel-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function clock(start = Date.parse('2026-11-27T10:00:00Z')) {
  const state = { now: start };
  return { state, now: () => state.now };
}

/** A store on the test's key directory, as a server process (or a server instance) has one. */
function panels(now?: () => number) {
  const keys = new KeyDirectory(dir);
  const read = async (file: string) => new Secret((await keys.readFile(file)) ?? '');
  return new PanelConfirmations(new ConsentDirectory(keys, now), read, now);
}

async function opened(app: PanelConfirmations, issued: IssuedPanel, principal = ME) {
  const claimed = await app.claim(issued.id, issued.secret, principal);
  if (typeof claimed === 'string') throw new Error(`refused: ${claimed}`);
  return claimed;
}

const pendingOf = (value: PanelPending | string): PanelPending => {
  if (typeof value === 'string') throw new Error(`refused: ${value}`);
  return value;
};

describe('a fleet confirmation', () => {
  it('is opened only with the View’s secret: the id the model saw is not enough, and trying discards it', async () => {
    const app = panels();
    const issued = await app.issueFleet(ACCOUNT, FLEET, ME);
    expect(await app.claim(issued.id, '', ME)).toBe('wrong_secret');
    expect(await app.claim(issued.id, issued.secret, ME)).toBe('unknown');
  });

  it('is claimed once, by any instance on the key directory: the nonce goes to the first opener only', async () => {
    const issued = await panels().issueFleet(ACCOUNT, FLEET, ME);
    await opened(panels(), issued);
    expect(await panels().claim(issued.id, issued.secret, ME)).toBe('claimed');
  });

  it('belongs to its principal: another one cannot open, answer or reveal it', async () => {
    const app = panels();
    const issued = await app.issueFleet(ACCOUNT, FLEET, ME);
    expect(await app.claim(issued.id, issued.secret, 'mallory')).toBe('unknown');
    const { nonce } = await opened(app, issued);
    expect(await app.answer(issued.id, nonce, 'mallory')).toBe('unknown');
    expect(pendingOf(await app.answer(issued.id, nonce, ME)).kind).toBe('fleet');
  });

  it('confirms exactly the account and tunnels it was issued for, with what was known then', async () => {
    const app = panels();
    const tunnels = FLEET.map((tunnel) => ({ ...tunnel }));
    const issued = await app.issueFleet(ACCOUNT, tunnels, ME);
    // Whoever holds the arrays cannot change what the user was asked about.
    tunnels.push({ id: 'd'.repeat(32), name: 'late', lastGeneratedOn: null });
    (tunnels[0] as FleetTunnelFacts).id = 'e'.repeat(32);
    const { nonce } = await opened(app, issued);
    const pending = pendingOf(await app.answer(issued.id, nonce, ME));
    expect(pending).toMatchObject({ kind: 'fleet', accountId: ACCOUNT, id: issued.id });
    if (pending.kind !== 'fleet') throw new Error('not a fleet');
    expect(pending.tunnelIds).toEqual(FLEET.map((tunnel) => tunnel.id));
    expect(pending.tunnels).toEqual(FLEET);
    expect(Object.isFrozen(pending.tunnels)).toBe(true);
    expect(Object.isFrozen(pending.tunnelIds)).toBe(true);
  });

  it("a nonce answers only its own confirmation: another's nonce is a wrong one and spends it", async () => {
    const app = panels();
    const one = await app.issueFleet(ACCOUNT, FLEET, ME);
    const tunnel = await app.issue(ACCOUNT, 'd'.repeat(32), { name: 'x', lastGeneratedOn: null }, ME);
    const mine = await opened(app, one);
    await opened(app, tunnel);
    expect(await app.answer(tunnel.id, mine.nonce, ME)).toBe('wrong_nonce');
    expect(await app.answer(tunnel.id, mine.nonce, ME)).toBe('unknown');
    expect(pendingOf(await app.answer(one.id, mine.nonce, ME)).kind).toBe('fleet');
  });

  it('a wrong nonce spends it: not even the right nonce answers afterwards', async () => {
    const app = panels();
    const issued = await app.issueFleet(ACCOUNT, FLEET, ME);
    const { nonce } = await opened(app, issued);
    expect(await app.answer(issued.id, `${nonce}x`, ME)).toBe('wrong_nonce');
    expect(await app.answer(issued.id, nonce, ME)).toBe('unknown');
    expect(await app.claim(issued.id, issued.secret, ME)).toBe('unknown');
  });

  it('an unclaimed confirmation cannot be answered, whatever the nonce, and is spent by trying', async () => {
    const app = panels();
    const issued = await app.issueFleet(ACCOUNT, FLEET, ME);
    expect(await app.answer(issued.id, issued.id, ME)).toBe('wrong_nonce');
    expect(await app.claim(issued.id, issued.secret, ME)).toBe('unknown');
  });

  it('is single use: a second answer is refused', async () => {
    const app = panels();
    const issued = await app.issueFleet(ACCOUNT, FLEET, ME);
    const { nonce } = await opened(app, issued);
    pendingOf(await app.answer(issued.id, nonce, ME));
    expect(await panels().answer(issued.id, nonce, ME)).toBe('answered');
    expect(await app.claim(issued.id, issued.secret, ME)).toBe('claimed');
  });

  it('expires: neither claimed nor answered after its time', async () => {
    const time = clock();
    const app = panels(time.now);
    const early = await app.issueFleet(ACCOUNT, FLEET, ME);
    const { nonce } = await opened(app, early);
    const late = await app.issueFleet(ACCOUNT, FLEET, ME);
    expect(early.expiresAt.getTime()).toBe(time.state.now + PANEL_CONFIRMATION_TTL_MS);
    time.state.now += PANEL_CONFIRMATION_TTL_MS;
    expect(await app.answer(early.id, nonce, ME)).toBe('expired');
    expect(await app.claim(late.id, late.secret, ME)).toBe('expired');
  });

  it('never offers a key: Reveal is refused for several keys, and keep() has no effect', async () => {
    const app = panels();
    const issued = await app.issueFleet(ACCOUNT, FLEET, ME);
    const { nonce } = await opened(app, issued);
    pendingOf(await app.answer(issued.id, nonce, ME));
    await app.keep(issued.id, { psk: new Secret('k'.repeat(44)), fingerprint: 'sha256:0', file: '/x.psk' });
    expect(await app.reveal(issued.id, nonce, ME)).toBe('several_keys');
    // A wrong nonce still forgets the confirmation.
    expect(await app.reveal(issued.id, 'wrong', ME)).toBe('wrong_nonce');
    expect(await app.answer(issued.id, nonce, ME)).toBe('unknown');
  });

  it('names one or more tunnels, each once', () => {
    const app = panels();
    expect(() => app.issueFleet(ACCOUNT, [], ME)).toThrow(RangeError);
    expect(() => app.issueFleet(ACCOUNT, [FLEET[0], FLEET[0]] as FleetTunnelFacts[], ME)).toThrow(RangeError);
  });
});

describe('a one-tunnel confirmation, alongside', () => {
  it('keeps its subject and its Reveal, which reads the key file, also in another instance', async () => {
    const app = panels();
    const issued = await app.issue(ACCOUNT, 'd'.repeat(32), { name: 'one', lastGeneratedOn: null }, ME);
    const claimed = await opened(app, issued);
    expect(claimed.pending).toMatchObject({ kind: 'tunnel', accountId: ACCOUNT, tunnelId: 'd'.repeat(32) });
    pendingOf(await app.answer(issued.id, claimed.nonce, ME));
    const file = join(dir, 'key.psk');
    await writeFile(file, 'K'.repeat(32), { mode: 0o600 });
    await app.keep(issued.id, { psk: new Secret('K'.repeat(32)), fingerprint: 'sha256:0', file });
    const revealed = await panels().reveal(issued.id, claimed.nonce, ME);
    if (typeof revealed === 'string') throw new Error(revealed);
    expect(revealed).toMatchObject({ fingerprint: 'sha256:0', file });
    expect(revealed.psk.reveal()).toBe('K'.repeat(32));
  });

  it('reveals a key no file holds only in the instance that kept it (its last copy)', async () => {
    const app = panels();
    const issued = await app.issue(ACCOUNT, 'd'.repeat(32), { name: 'one', lastGeneratedOn: null }, ME);
    const { nonce } = await opened(app, issued);
    pendingOf(await app.answer(issued.id, nonce, ME));
    await app.keep(issued.id, { psk: new Secret('L'.repeat(32)), fingerprint: 'sha256:1', file: undefined });
    expect(await panels().reveal(issued.id, nonce, ME)).toBe('no_key');
    const revealed = await app.reveal(issued.id, nonce, ME);
    expect(typeof revealed !== 'string' && revealed.psk.reveal()).toBe('L'.repeat(32));
  });
});
