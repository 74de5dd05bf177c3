import { readFile } from 'node:fs/promises';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import { describe, expect, it } from 'vitest';
import { APP_TOOLS } from './app-tool-names.js';
import {
  expectVisibleText,
  modelCalls,
  panel,
  panelSuite,
  RUN_BROWSER_TESTS,
} from './test-support/browser-host.js';
import { fingerprintOf } from './test-support/fingerprint.js';

// Issue 8 in a real browser: headless Chromium renders the panel the way a web host does (a sandbox proxy on another
// origin, the package's AppBridge), a person's clicks confirm, and nothing the host would hand the model holds a key.

const API_TOKEN = 'SENTINEL-browser-token';

const t = panelSuite(API_TOKEN);

const persisting = () => t.sim.count({ operation: 'psk_generate', validateOnly: false });

/** The assistant asks to rotate a tunnel; the panel appears with the question. */
async function askToRotate(tunnelId = DEMO_TUNNEL_ID) {
  const page = await t.open();
  const model = modelCalls(page, 'generate_ipsec_psk', { ipsec_tunnel_id: tunnelId });
  await expectVisibleText(panel(page).locator('#lead'), 'Rotate the pre-shared key of this tunnel?');
  await model;
  return page;
}

describe.runIf(RUN_BROWSER_TESTS)('#8 the panel in a real browser', { timeout: 60_000 }, () => {
  it('shows the tunnel, the consequence and the buttons; Rotate now sends one call and stores the key', async () => {
    const page = await askToRotate();
    const view = panel(page);
    expect(await view.locator('#name').textContent()).toBe('demo_tunnel_01');
    expect(await view.locator('#tunnel').textContent()).toBe(DEMO_TUNNEL_ID);
    expect(await view.locator('#account').textContent()).toBe(DEMO_ACCOUNT_ID);
    expect(await view.locator('#warning').textContent()).toMatch(
      /stays down until the new key is configured/,
    );
    expect(persisting()).toBe(0);

    await view.locator('#rotate').click();
    await expectVisibleText(view.locator('#lead'), 'New key generated and stored');
    expect(persisting()).toBe(1);
    const key = t.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk as string;
    // The file's name is shown whole with a copy button; the full path is its title.
    const file = (await view.locator('#file code').getAttribute('title')) as string;
    expect(file.endsWith(`/${(await view.locator('#file code').textContent()) as string}`)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(key);
    expect(await view.locator('#fingerprint').textContent()).toBe(fingerprintOf(key));
    // The model is told the outcome (a context update), never the key.
    const context = t.host.forModel.find((entry) => entry.kind === 'model-context');
    expect(JSON.stringify(context)).toMatch(/generated.*sha256:/);
    expect(JSON.stringify(t.host.forModel)).not.toContain(key);
    await page.close();
  });

  it('Reveal key shows the key in the panel only; Copy and Hide work; nothing for the model holds it', async () => {
    const page = await askToRotate();
    const view = panel(page);
    await view.locator('#rotate').click();
    await expectVisibleText(view.locator('#lead'), 'New key generated and stored');
    await view.locator('#reveal').click();
    const key = t.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk as string;
    await expectVisibleText(view.locator('#key'), key);
    await view.locator('#copy').click();
    await expectVisibleText(view.locator('#copy'), 'C');
    // Every tool result, notification and context update the host received for the model: no key.
    expect(t.host.forModel.length).toBeGreaterThan(0);
    expect(JSON.stringify(t.host.forModel)).not.toContain(key);
    expect(JSON.stringify(t.host.forModel)).not.toContain(key.slice(0, 12));
    // The key did travel, to the panel alone, in the reveal call's result.
    expect(JSON.stringify(t.host.forApp.filter((call) => call.name === APP_TOOLS.reveal))).toContain(key);
    await view.locator('#hide').click();
    expect(await view.locator('#key').textContent()).toBe('');
    await page.close();
  });

  it('Cancel sends nothing', async () => {
    const page = await askToRotate(DEMO_TUNNEL_ID_2);
    const view = panel(page);
    await view.locator('#cancel').click();
    await expectVisibleText(view.locator('#lead'), 'Not rotated: you declined, and nothing was sent');
    expect(persisting()).toBe(0);
    expect(t.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2)?.rotations).toBe(0);
    await page.close();
  });

  it('a model-side attempt to confirm, replaying what the model saw, is refused and sends nothing', async () => {
    const page = await askToRotate();
    const seen = t.host.forModel.find((entry) => entry.kind === 'tool-result') as {
      result: { structuredContent: { confirmation_id: string } };
    };
    const confirmationId = seen.result.structuredContent.confirmation_id;
    // Through the host, as the model would ask: the host does not offer the panel's tools to the model.
    const viaHost = await page.evaluate(async (id) => {
      const response = await fetch('/api/model/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'ipsec_psk_panel_answer',
          arguments: { confirmation_id: id, nonce: id, decision: 'rotate' },
        }),
      });
      return response.status;
    }, confirmationId);
    expect(viaHost).toBe(403);
    // Straight to the server, as a host that forgot visibility would forward it: the server refuses too.
    const direct = await t.host.client.callTool({
      name: APP_TOOLS.answer,
      arguments: {
        confirmation_id: confirmationId,
        nonce: JSON.stringify(seen).slice(0, 64),
        decision: 'rotate',
      },
    });
    expect(direct.isError).toBe(true);
    expect(persisting()).toBe(0);
    // That attempt spent the confirmation: the user's own click now says so instead of rotating.
    await panel(page).locator('#rotate').click();
    await expectVisibleText(panel(page).locator('#lead'), 'The rotation did not happen as asked');
    expect(persisting()).toBe(0);
    await page.close();
  });
});
