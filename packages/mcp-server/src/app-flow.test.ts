import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID } from '@ipsec-psk/cloudflare-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_TOOLS } from './app-tool-names.js';
import {
  accept,
  type Harness,
  type HarnessOptions,
  modelView,
  panelSecretOf,
  startHarness,
  textOf,
} from './test-support/harness.js';
import { VIEW_URI } from './view-resource.js';

// Issue 8: with a host that renders MCP Apps and shows no forms, the user confirms by a click in the panel, and
// nothing the model sees lets it confirm. The panel's calls are made here as the host would forward them.

let h: Harness;
/** What each confirmation's result gave the View alone, as a host hands it to the panel. */
const secrets = new Map<string, string>();
afterEach(async () => {
  expect(h.sim.specViolations).toEqual([]);
  await h.close();
});

const persisting = () => h.sim.count({ operation: 'psk_generate', validateOnly: false });
const output = (result: { structuredContent?: unknown }) =>
  result.structuredContent as Record<string, unknown>;

async function start(options: HarnessOptions = {}) {
  h = await startHarness({ ui: true, ...options });
}

/** The model's call: the panel's question. */
async function askInPanel() {
  const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
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
  return output(opened).nonce as string;
}

describe('#8 the MCP App channel', () => {
  it('asks in the panel: the model gets an id that confirms nothing, no token, and nothing is sent', async () => {
    await start();
    const { result, confirmationId } = await askInPanel();
    expect(confirmationId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(output(result)).not.toHaveProperty('confirmation_token');
    expect(textOf(result)).toMatch(
      /confirmation panel shown with this result.*Only their click there confirms/s,
    );
    expect(textOf(result)).toMatch(/name: "demo_tunnel_01"/);
    expect(persisting()).toBe(0);
    expect(h.elicitations).toEqual([]);
  });

  it('Rotate now in the panel: one persisting call, the key stored, the outcome to the panel, audited as app', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const nonce = await openInPanel(confirmationId);
    const answered = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(answered.isError).toBeFalsy();
    expect(output(answered)).toMatchObject({ status: 'generated', reveal_available: true });
    expect(persisting()).toBe(1);
    const key = h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk as string;
    expect(await readFile(output(answered).psk_file as string, 'utf8')).toBe(key);
    expect(JSON.stringify(answered)).not.toContain(key);
    const audit = await readFile(join(h.pskDir, 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"event":"rotation_attempt"[^\n]*"confirmed_by":"app"/);
  });

  it('Reveal key shows the key to the panel; the same confirmation cannot be answered twice', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const nonce = await openInPanel(confirmationId);
    await h.panelAnswer(confirmationId, nonce, 'rotate');
    const revealed = await h.callTool(APP_TOOLS.reveal, { confirmation_id: confirmationId, nonce });
    expect(output(revealed).psk).toBe(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
    expect(textOf(revealed)).not.toContain(output(revealed).psk as string);
    const again = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(again.isError).toBe(true);
    expect(persisting()).toBe(1);
  });

  it('Cancel sends nothing', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const nonce = await openInPanel(confirmationId);
    const cancelled = await h.panelAnswer(confirmationId, nonce, 'cancel');
    expect(output(cancelled).status).toBe('declined');
    expect(textOf(cancelled)).toMatch(/Nothing was sent; the current key still works/);
    expect(persisting()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
  });

  it('with IPSEC_PSK_APP_REVEAL=0 the panel gets no key, and is told why', async () => {
    await start({ server: { appReveal: false } });
    const { confirmationId } = await askInPanel();
    const nonce = await openInPanel(confirmationId);
    const answered = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(output(answered).reveal_available).toBe(false);
    const refused = await h.callTool(APP_TOOLS.reveal, { confirmation_id: confirmationId, nonce });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/IPSEC_PSK_APP_REVEAL=0/);
    expect(JSON.stringify(refused)).not.toContain(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk);
  });

  it('a panel confirmation issued before another rotation of the tunnel is refused', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const nonce = await openInPanel(confirmationId);
    const other = await askInPanel();
    const otherNonce = await openInPanel(other.confirmationId);
    await h.panelAnswer(other.confirmationId, otherNonce, 'rotate');
    const stale = await h.panelAnswer(confirmationId, nonce, 'rotate');
    expect(stale.isError).toBe(true);
    expect(textOf(stale)).toMatch(/rotated at .* after the user was asked/);
    expect(persisting()).toBe(1);
  });

  it('an expired confirmation is refused', async () => {
    let now = Date.parse('2026-11-27T10:00:00Z');
    await start({ server: { now: () => new Date(now) } });
    const { confirmationId } = await askInPanel();
    now += 11 * 60_000;
    const late = await openCall(confirmationId);
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/expired/);
  });
});

describe('#8 the model cannot confirm', () => {
  it('calling the app-only tool with everything the model saw is refused, sends nothing, and spends the confirmation', async () => {
    await start();
    const { result, confirmationId } = await askInPanel();
    const seen = modelView(result);
    // Whatever string the model could pass as the nonce, it comes from what it saw; none of it works.
    for (const guess of [confirmationId, seen.slice(0, 100), 'nonce']) {
      const attempt = await h.callTool(APP_TOOLS.answer, {
        confirmation_id: confirmationId,
        nonce: guess,
        decision: 'rotate',
      });
      expect(attempt.isError).toBe(true);
    }
    expect(persisting()).toBe(0);
    // The first wrong nonce discarded the confirmation: not even the panel can answer it now.
    const late = await openCall(confirmationId);
    expect(late.isError).toBe(true);
    expect(persisting()).toBe(0);
  });

  it('opening the confirmation with what the model saw is refused and discards it: the secret is the View’s alone', async () => {
    await start();
    const { result, confirmationId } = await askInPanel();
    const seen = modelView(result);
    expect(seen).not.toContain(secrets.get(confirmationId));
    const attempt = await h.callTool(APP_TOOLS.open, {
      confirmation_id: confirmationId,
      panel_secret: seen.slice(0, 100),
    });
    expect(attempt.isError).toBe(true);
    expect(JSON.stringify(attempt)).not.toMatch(/nonce/);
    // Discarded: the real panel cannot open it afterwards either, and nothing was sent.
    expect((await openCall(confirmationId)).isError).toBe(true);
    expect(persisting()).toBe(0);
  });

  it('claiming the nonce after the panel did is refused: only one panel can answer', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    await openInPanel(confirmationId);
    const second = await openCall(confirmationId);
    expect(second.isError).toBe(true);
    expect(textOf(second)).toMatch(/already opened elsewhere/);
    expect(JSON.stringify(second)).not.toMatch(/nonce/);
  });

  it('revealing with a wrong nonce gets no key and forgets it', async () => {
    await start();
    const { confirmationId } = await askInPanel();
    const nonce = await openInPanel(confirmationId);
    await h.panelAnswer(confirmationId, nonce, 'rotate');
    const wrong = await h.callTool(APP_TOOLS.reveal, { confirmation_id: confirmationId, nonce: 'x' });
    expect(wrong.isError).toBe(true);
    const right = await h.callTool(APP_TOOLS.reveal, { confirmation_id: confirmationId, nonce });
    expect(right.isError).toBe(true);
  });
});

describe('#8 choosing the channel', () => {
  it('auto: a form when the client has both', async () => {
    await start({ elicit: accept });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(output(result).status).toBe('generated');
    expect(h.elicitations).toHaveLength(1);
  });

  it('app: the panel even when the client could show a form', async () => {
    await start({ elicit: accept, server: { confirmMode: 'app' } });
    await askInPanel();
    expect(h.elicitations).toEqual([]);
  });

  it.each([
    ['human', /requires a human-only confirmation/],
    ['app', /requires the confirmation panel/],
    ['elicit', /requires a confirmation form/],
  ] as const)(
    '%s: a client with neither form nor App gets a refusal, never a token',
    async (mode, reason) => {
      await start({ ui: false, server: { confirmMode: mode } });
      const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(reason);
      expect(JSON.stringify(result)).not.toMatch(/psk-confirm-/);
      expect(persisting()).toBe(0);
    },
  );

  it('human: the panel when the client has no form', async () => {
    await start({ server: { confirmMode: 'human' } });
    await askInPanel();
  });
});

describe('#8 the panel resource', () => {
  it('is one self-contained MCP App HTML document that loads nothing from the network', async () => {
    await start();
    const { resources } = await h.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual([VIEW_URI]);
    const { contents } = await h.client.readResource({ uri: VIEW_URI });
    expect(contents).toHaveLength(1);
    const [panel] = contents as unknown as [
      { mimeType: string; text: string; _meta?: { ui?: { csp?: unknown } } },
    ];
    expect(panel.mimeType).toBe('text/html;profile=mcp-app');
    expect(panel._meta?.ui?.csp).toBeUndefined();
    expect(panel.text).toMatch(/^<!doctype html>/i);
    expect(panel.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import/i);
    // CSS url() is lower case; the bundled SDK's JavaScript has `new URL("https://…")`, which loads nothing.
    expect(panel.text).not.toMatch(/url\(\s*['"]?https?:/);
    expect(panel.text).toContain('Rotate now');
    // ext-apps 2.x brings the SDK v2 client into the View (about 420 KB in all); a host fetches it once.
    expect(panel.text.length).toBeLessThan(450_000);
  });
});
