import { Secret } from '@ipsec-psk/core';
import { describe, expect, it } from 'vitest';
import type { FleetTunnelFacts } from '../types.js';
import { PANEL_CONFIRMATION_TTL_MS, PanelConfirmations, type PanelPending } from './panel-confirmations.js';

// The panel's confirmations, one tunnel or a fleet: the nonce is claimed once, a wrong nonce spends the
// confirmation, an answer is single-use, a confirmation expires, and it confirms exactly the subject it was issued for.

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const FLEET: FleetTunnelFacts[] = [
  { id: 'a'.repeat(32), name: 'fra-01', lastGeneratedOn: '2026-01-01T00:00:00Z' },
  { id: 'b'.repeat(32), name: 'fra-02', lastGeneratedOn: null },
  { id: 'c'.repeat(32), name: undefined, lastGeneratedOn: undefined },
];

function clock(start = Date.parse('2026-11-27T10:00:00Z')) {
  const state = { now: start };
  return { state, now: () => state.now };
}

const pendingOf = (value: PanelPending | string): PanelPending => {
  if (typeof value === 'string') throw new Error(`refused: ${value}`);
  return value;
};

describe('a fleet confirmation', () => {
  it('is claimed once: the nonce goes to the first opener only', () => {
    const app = new PanelConfirmations();
    const { id } = app.issueFleet(ACCOUNT, FLEET);
    const first = app.claim(id);
    expect(typeof first).toBe('object');
    expect(app.claim(id)).toBe('claimed');
  });

  it('confirms exactly the account and tunnels it was issued for, with what was known then', () => {
    const app = new PanelConfirmations();
    const tunnels = FLEET.map((tunnel) => ({ ...tunnel }));
    const { id } = app.issueFleet(ACCOUNT, tunnels);
    // Whoever holds the arrays cannot change what the user was asked about.
    tunnels.push({ id: 'd'.repeat(32), name: 'late', lastGeneratedOn: null });
    (tunnels[0] as FleetTunnelFacts).id = 'e'.repeat(32);
    const claimed = app.claim(id);
    if (typeof claimed === 'string') throw new Error(claimed);
    const pending = pendingOf(app.answer(id, claimed.nonce));
    expect(pending).toMatchObject({ kind: 'fleet', accountId: ACCOUNT, id });
    if (pending.kind !== 'fleet') throw new Error('not a fleet');
    expect(pending.tunnelIds).toEqual(FLEET.map((tunnel) => tunnel.id));
    expect(pending.tunnels).toEqual(FLEET);
    expect(Object.isFrozen(pending.tunnels)).toBe(true);
    expect(Object.isFrozen(pending.tunnelIds)).toBe(true);
  });

  it("a nonce answers only its own confirmation: another's nonce is a wrong one and spends it", () => {
    const app = new PanelConfirmations();
    const one = app.issueFleet(ACCOUNT, FLEET);
    const tunnel = app.issue(ACCOUNT, 'd'.repeat(32), { name: 'x', lastGeneratedOn: null });
    const mine = app.claim(one.id);
    app.claim(tunnel.id);
    if (typeof mine === 'string') throw new Error(mine);
    expect(app.answer(tunnel.id, mine.nonce)).toBe('wrong_nonce');
    expect(app.answer(tunnel.id, mine.nonce)).toBe('unknown');
    expect(pendingOf(app.answer(one.id, mine.nonce)).kind).toBe('fleet');
  });

  it('a wrong nonce spends it: not even the right nonce answers afterwards', () => {
    const app = new PanelConfirmations();
    const { id } = app.issueFleet(ACCOUNT, FLEET);
    const claimed = app.claim(id);
    if (typeof claimed === 'string') throw new Error(claimed);
    expect(app.answer(id, `${claimed.nonce}x`)).toBe('wrong_nonce');
    expect(app.answer(id, claimed.nonce)).toBe('unknown');
    expect(app.claim(id)).toBe('unknown');
  });

  it('an unclaimed confirmation cannot be answered, whatever the nonce, and is spent by trying', () => {
    const app = new PanelConfirmations();
    const { id } = app.issueFleet(ACCOUNT, FLEET);
    expect(app.answer(id, id)).toBe('wrong_nonce');
    expect(app.claim(id)).toBe('unknown');
  });

  it('is single use: a second answer is refused', () => {
    const app = new PanelConfirmations();
    const { id } = app.issueFleet(ACCOUNT, FLEET);
    const claimed = app.claim(id);
    if (typeof claimed === 'string') throw new Error(claimed);
    pendingOf(app.answer(id, claimed.nonce));
    expect(app.answer(id, claimed.nonce)).toBe('answered');
    expect(app.claim(id)).toBe('claimed');
  });

  it('expires: neither claimed nor answered after its time', () => {
    const time = clock();
    const app = new PanelConfirmations(time.now);
    const early = app.issueFleet(ACCOUNT, FLEET);
    const claimed = app.claim(early.id);
    if (typeof claimed === 'string') throw new Error(claimed);
    const late = app.issueFleet(ACCOUNT, FLEET);
    expect(early.expiresAt.getTime()).toBe(time.state.now + PANEL_CONFIRMATION_TTL_MS);
    time.state.now += PANEL_CONFIRMATION_TTL_MS;
    expect(app.answer(early.id, claimed.nonce)).toBe('expired');
    expect(app.claim(late.id)).toBe('expired');
    expect(app.answer(early.id, claimed.nonce)).toBe('unknown');
  });

  it('never offers a key: Reveal is refused for several keys, and keep() has no effect', () => {
    const app = new PanelConfirmations();
    const { id } = app.issueFleet(ACCOUNT, FLEET);
    const claimed = app.claim(id);
    if (typeof claimed === 'string') throw new Error(claimed);
    pendingOf(app.answer(id, claimed.nonce));
    app.keep(id, { psk: new Secret('k'.repeat(44)), fingerprint: 'sha256:0', file: '/x.psk' });
    expect(app.reveal(id, claimed.nonce)).toBe('several_keys');
    // A wrong nonce still forgets the confirmation.
    expect(app.reveal(id, 'wrong')).toBe('wrong_nonce');
    expect(app.answer(id, claimed.nonce)).toBe('unknown');
  });

  it('names one or more tunnels, each once', () => {
    const app = new PanelConfirmations();
    expect(() => app.issueFleet(ACCOUNT, [])).toThrow(RangeError);
    expect(() => app.issueFleet(ACCOUNT, [FLEET[0], FLEET[0]] as FleetTunnelFacts[])).toThrow(RangeError);
  });
});

describe('a one-tunnel confirmation, alongside', () => {
  it('keeps its subject and its Reveal', () => {
    const time = clock();
    const app = new PanelConfirmations(time.now);
    const { id } = app.issue(ACCOUNT, 'd'.repeat(32), { name: 'one', lastGeneratedOn: null });
    const claimed = app.claim(id);
    if (typeof claimed === 'string') throw new Error(claimed);
    expect(claimed.pending).toMatchObject({ kind: 'tunnel', accountId: ACCOUNT, tunnelId: 'd'.repeat(32) });
    pendingOf(app.answer(id, claimed.nonce));
    const psk = new Secret('k'.repeat(44));
    app.keep(id, { psk, fingerprint: 'sha256:0', file: '/x.psk' });
    expect(app.reveal(id, claimed.nonce)).toMatchObject({ fingerprint: 'sha256:0' });
  });
});
