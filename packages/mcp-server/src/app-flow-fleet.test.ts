import { readFile } from 'node:fs/promises';
import { DEMO_ACCOUNT_ID, manyTunnels } from '@ipsec-psk/cloudflare-sim';
import type { FleetOutput } from '@ipsec-psk/rotation';
import { KeyDirectory, silentLogger, TunnelLocks } from '@ipsec-psk/rotation';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_TOOLS } from './app-tool-names.js';
import {
  accept,
  type Harness,
  type HarnessOptions,
  modelView,
  panelSecretOf,
  startHarness,
  TOKEN,
  textOf,
} from './test-support/harness.js';

// rotate_ipsec_psks confirmed in the MCP App's panel: the model gets an id that confirms nothing, the panel claims
// the nonce once and answers once, and a click on Rotate sends exactly one persisting Set PSKs request for exactly
// the tunnels the user was shown. The panel's calls are made here as the host would forward them.

const OLD = '2026-01-01T00:00:00Z';
const FLEET = manyTunnels(12, { namePrefix: 'ams-', lastGeneratedOn: OLD });
const IDS = FLEET.tunnels.map((tunnel) => tunnel.id);

let h: Harness;
/** What each confirmation's result gave the View alone, as a host hands it to the panel. */
const secrets = new Map<string, string>();
afterEach(async () => {
  expect(h.sim.specViolations).toEqual([]);
  await h.close();
});

async function start(options: HarnessOptions = {}) {
  h = await startHarness({ ui: true, sim: { accounts: [FLEET] }, ...options });
}

const output = (result: CallToolResult) => result.structuredContent as FleetOutput;
const sets = () => h.sim.count({ operation: 'set_psks', validateOnly: false });
const simKey = (id: string) => h.sim.tunnel(DEMO_ACCOUNT_ID, id)?.psk;
const rotate = (args: Record<string, unknown>) => h.callTool('rotate_ipsec_psks', args);

/** The model's call: the panel's question. */
async function askInPanel(ids: readonly string[] = IDS) {
  const result = await rotate({ ipsec_tunnel_ids: ids });
  expect(result.isError).toBeFalsy();
  expect(output(result)).toMatchObject({ status: 'confirmation_required', confirm_via: 'app' });
  const confirmationId = output(result).confirmation_id as string;
  secrets.set(confirmationId, panelSecretOf(result));
  return { result, confirmationId };
}

/** The panel's own call that opens a confirmation: with the secret only the View got. */
const openCall = (confirmationId: string) =>
  h.callTool(APP_TOOLS.open, {
    confirmation_id: confirmationId,
    panel_secret: secrets.get(confirmationId) ?? '',
  });

/** What the panel does when it shows the question. */
async function openInPanel(confirmationId: string) {
  const opened = await openCall(confirmationId);
  expect(opened.isError).toBeFalsy();
  return opened.structuredContent as { nonce: string; account_id: string; ipsec_tunnel_ids?: string[] };
}

describe('rotate_ipsec_psks in the panel: the question', () => {
  it('asks in the panel: an id that confirms nothing, every tunnel listed, nothing sent, audited per tunnel', async () => {
    await start();
    const { result, confirmationId } = await askInPanel();
    expect(confirmationId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(output(result).expires_at ?? '')).toBeGreaterThan(Date.now());
    expect(output(result)).not.toHaveProperty('confirmation_token');
    expect(output(result).tunnels.map((tunnel) => tunnel.ipsec_tunnel_id)).toEqual(IDS);
    expect(output(result).tunnels[0]).toMatchObject({ tunnel_name: 'ams-01', last_generated_on: OLD });
    expect(textOf(result)).toMatch(/Rotate the pre-shared keys of 12 IPsec tunnels/);
    expect(textOf(result)).toMatch(
      /confirmation panel shown with this result \(Rotate 12 keys now \/ Cancel\)/,
    );
    expect(textOf(result)).toMatch(/Only their click there confirms/);
    expect(h.sim.count({ operation: 'set_psks', validateOnly: true })).toBe(1);
    expect(sets()).toBe(0);
    expect(h.elicitations).toEqual([]);
    const requested = (await h.auditLines()).filter((line) => line.event === 'confirmation_requested');
    expect(requested.map((line) => line.ipsec_tunnel_id)).toEqual(IDS);
    expect(requested.every((line) => line.confirmed_by === 'app')).toBe(true);
  });

  it('opening hands the panel the nonce and the tunnels, once', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const opened = await openInPanel(confirmationId);
    expect(opened).toMatchObject({ account_id: DEMO_ACCOUNT_ID, ipsec_tunnel_ids: IDS });
    expect(opened).not.toHaveProperty('ipsec_tunnel_id');
    expect(opened.nonce.length).toBeGreaterThanOrEqual(32);
    const second = await openCall(confirmationId);
    expect(second.isError).toBe(true);
    expect(textOf(second)).toMatch(/already opened elsewhere/);
  });

  it('the panel is told of earlier rotations of the tunnels', async () => {
    await start();
    const first = await askInPanel(IDS.slice(0, 2));
    const { nonce } = await openInPanel(first.confirmationId);
    await h.panelAnswer(first.confirmationId, nonce, 'rotate');
    const { result } = await askInPanel(IDS.slice(0, 3));
    const history = output(result).history ?? [];
    expect(history).toHaveLength(2);
    expect(history[0]).toMatch(new RegExp(`^- ${IDS[0]}: .*a key made here was set and stored in`));
    expect(history[1]).toMatch(new RegExp(`^- ${IDS[1]}: `));
  });
});

describe('rotate_ipsec_psks in the panel: the answer', () => {
  it('Rotate: one persisting Set PSKs request, every key stored in the file the panel is told, audited as app', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const { nonce } = await openInPanel(confirmationId);
    const answered = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(answered.isError).toBeFalsy();
    expect(output(answered)).toMatchObject({ status: 'completed', applied: 12, not_applied: 0, unknown: 0 });
    expect(sets()).toBe(1);
    expect(output(answered).tunnels.map((tunnel) => tunnel.ipsec_tunnel_id)).toEqual(IDS);
    for (const tunnel of output(answered).tunnels) {
      expect(tunnel.result).toBe('applied');
      expect(await readFile(tunnel.psk_file ?? '', 'utf8')).toBe(simKey(tunnel.ipsec_tunnel_id));
    }
    expect((await h.pskFiles()).sort()).toEqual(
      output(answered)
        .tunnels.map((t) => t.psk_file)
        .sort(),
    );
    const everything = JSON.stringify(answered);
    for (const id of IDS) expect(everything).not.toContain(simKey(id));
    expect(everything).not.toContain(TOKEN);
    const attempts = (await h.auditLines()).filter((line) => line.event === 'rotation_attempt');
    expect(attempts).toHaveLength(12);
    expect(attempts.every((line) => line.confirmed_by === 'app' && line.operation === 'set_psks')).toBe(true);
  });

  it('a second answer is refused and sends nothing more, whatever it says', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const { nonce } = await openInPanel(confirmationId);
    await h.panelAnswer(confirmationId, nonce, 'rotate');
    for (const decision of ['rotate', 'cancel'] as const) {
      const again = await h.panelAnswer(confirmationId, nonce, decision);
      expect(again.isError).toBe(true);
      expect(textOf(again)).toMatch(/already answered.*Nothing was sent/);
    }
    expect(sets()).toBe(1);
  });

  it('Cancel sends nothing, makes no key, and records a decline per tunnel; it cannot be answered again', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const { nonce } = await openInPanel(confirmationId);
    const cancelled = await h.panelAnswer(confirmationId, nonce, 'cancel');
    expect(output(cancelled)).toMatchObject({ status: 'declined' });
    expect(output(cancelled).tunnels).toHaveLength(12);
    expect(textOf(cancelled)).toMatch(/Nothing was sent; every current key still works/);
    expect(sets()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
    const declined = (await h.auditLines()).filter((line) => line.event === 'declined');
    expect(declined.map((line) => line.ipsec_tunnel_id)).toEqual(IDS);
    expect(declined.every((line) => line.confirmed_by === 'app')).toBe(true);
    const late = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(late.isError).toBe(true);
    expect(sets()).toBe(0);
  });

  it('Reveal is not offered for several keys: refused, and told where the keys are', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const { nonce } = await openInPanel(confirmationId);
    await h.panelAnswer(confirmationId, nonce, 'rotate');
    const refused = await h.callTool(APP_TOOLS.reveal, { confirmation_id: confirmationId, nonce });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/does not show the keys of a bulk rotation.*own file \(mode 0600\)/);
    const everything = JSON.stringify(refused);
    for (const id of IDS) expect(everything).not.toContain(simKey(id));
  });

  it('refused when one of the tunnels had a rotation attempt after the question: nothing sent, audited', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const { nonce } = await openInPanel(confirmationId);
    // Another rotation of one of them, confirmed in its own panel, after the user was asked about all twelve.
    const one = await h.call({ ipsec_tunnel_id: IDS[5] });
    const oneId = (one.structuredContent as { confirmation_id: string }).confirmation_id;
    secrets.set(oneId, panelSecretOf(one));
    const oneNonce = (await openInPanel(oneId)).nonce;
    expect((await h.panelAnswer(oneId, oneNonce, 'rotate')).isError).toBeFalsy();
    const keyOfFive = simKey(IDS[5] as string);

    const stale = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(stale.isError).toBe(true);
    expect(textOf(stale)).toMatch(new RegExp(`Tunnel ${IDS[5]} was rotated at .* after the user was asked`));
    expect(sets()).toBe(0);
    expect(simKey(IDS[5] as string)).toBe(keyOfFive);
    const refused = (await h.auditLines()).filter((line) => line.event === 'confirmation_refused');
    expect(refused).toHaveLength(12);
    expect(refused.every((line) => line.code === 'app_superseded' && line.confirmed_by === 'app')).toBe(true);
  });

  it('refused while another rotation (here or in another process) holds one of the tunnels: nothing sent', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const { nonce } = await openInPanel(confirmationId);
    const locks = new TunnelLocks(new KeyDirectory(h.pskDir), silentLogger);
    const release = await locks.tryAcquire(DEMO_ACCOUNT_ID, IDS[7] as string);
    try {
      const busy = await h.panelAnswer(confirmationId, nonce, 'rotate');
      expect(busy.isError).toBe(true);
      expect(textOf(busy)).toMatch(
        new RegExp(`rotation of tunnel ${IDS[7]} is already in progress.*nothing was sent`),
      );
    } finally {
      await release?.();
    }
    expect(sets()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
    // No other lock was left behind: the next question can take them all.
    for (const id of IDS) expect(await locks.isHeld(DEMO_ACCOUNT_ID, id)).toBe(false);
  });

  it('an expired confirmation is refused', async () => {
    let now = Date.parse('2026-11-27T10:00:00Z');
    await start({ server: { now: () => new Date(now) } });
    const { confirmationId } = await askInPanel();
    now += 11 * 60_000;
    const late = await openCall(confirmationId);
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/expired/);
    expect(sets()).toBe(0);
  });
});

describe('rotate_ipsec_psks in the panel: the model cannot confirm', () => {
  it('answering with what the model saw is refused, sends nothing, and spends the confirmation', async () => {
    await start();
    const { result, confirmationId } = await askInPanel();
    const seen = modelView(result);
    for (const guess of [confirmationId, seen.slice(0, 100)]) {
      const attempt = await h.panelAnswer(confirmationId, guess, 'rotate');
      expect(attempt.isError).toBe(true);
    }
    const late = await openCall(confirmationId);
    expect(late.isError).toBe(true);
    expect(sets()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
  });
});

describe('rotate_ipsec_psks: choosing the channel, as for generate_ipsec_psk', () => {
  it('auto: a form when the client has both', async () => {
    await start({ elicit: accept });
    const result = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 2) });
    expect(output(result)).toMatchObject({ status: 'completed', applied: 2 });
    expect(h.elicitations).toHaveLength(1);
  });

  it('app: the panel even when the client could show a form', async () => {
    await start({ elicit: accept, server: { confirmMode: 'app' } });
    await askInPanel();
    expect(h.elicitations).toEqual([]);
  });

  it('human: the panel when the client has no form', async () => {
    await start({ server: { confirmMode: 'human' } });
    await askInPanel();
  });

  it('token: the two-step token even with the panel', async () => {
    await start({ server: { confirmMode: 'token' } });
    const result = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 2) });
    expect(output(result)).toMatchObject({ status: 'confirmation_required', confirm_via: 'token' });
  });

  it('elicit: no form, so a refusal, even with the panel', async () => {
    await start({ server: { confirmMode: 'elicit' } });
    const result = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 2) });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/requires a confirmation form/);
    expect(sets()).toBe(0);
  });

  it.each([
    ['human', /requires a human-only confirmation/],
    ['app', /requires the confirmation panel/],
  ] as const)(
    '%s: a client with neither form nor App gets a refusal, never a token',
    async (mode, reason) => {
      await start({ ui: false, server: { confirmMode: mode } });
      const result = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 2) });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(reason);
      expect(textOf(result)).toMatch(/confirmation form or an MCP App panel/);
      expect(JSON.stringify(result)).not.toMatch(/psk-confirm-/);
      expect(sets()).toBe(0);
    },
  );

  it('rotate_ipsec_psks is linked to the panel, for the model only', async () => {
    await start();
    const { tools } = await h.client.listTools();
    const tool = tools.find((listed) => listed.name === 'rotate_ipsec_psks');
    expect(tool?._meta?.ui).toEqual({
      resourceUri: 'ui://ipsec-psk/rotation-panel.html',
      visibility: ['model'],
    });
    const open = tools.find((listed) => listed.name === APP_TOOLS.open);
    expect(Object.keys(open?.outputSchema?.properties ?? {}).sort()).toEqual([
      'account_id',
      'ipsec_tunnel_id',
      'ipsec_tunnel_ids',
      'nonce',
    ]);
  });
});
