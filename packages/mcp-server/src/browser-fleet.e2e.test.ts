import { readFile } from 'node:fs/promises';
import { DEMO_ACCOUNT_ID, manyTunnels } from '@ipsec-psk/cloudflare-sim';
import type { FrameLocator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  expectVisibleText,
  modelCalls,
  panel,
  panelSuite,
  RUN_BROWSER_TESTS,
} from './test-support/browser-host.js';

// rotate_ipsec_psks in a real browser, as browser.e2e.test.ts does for one tunnel: headless Chromium renders the
// panel the way a web host does, the user sees every tunnel of the bulk rotation and clicks once, and the panel
// shows each tunnel's result and key file; nothing the host would hand the model holds a key.

const API_TOKEN = 'SENTINEL-browser-fleet-token';

// Eight tunnels with plain names, and one whose name is markup: the panel must show it as text.
const HOSTILE = '<img src=x onerror="document.title=`pwned`"><b>edge</b>';
const FLEET = manyTunnels(8, { namePrefix: 'ams-edge-', lastGeneratedOn: '2026-01-01T00:00:00Z' });
FLEET.tunnels.push({ id: 'f'.repeat(32), name: HOSTILE });
const IDS = FLEET.tunnels.map((tunnel) => tunnel.id);

const t = panelSuite(API_TOKEN, [FLEET]);

const sets = () => t.sim.count({ operation: 'set_psks', validateOnly: false });
const simKey = (id: string) => t.sim.tunnel(DEMO_ACCOUNT_ID, id)?.psk;

/** The assistant asks to rotate the fleet; the panel appears with the question. */
async function askToRotate(ids: readonly string[] = IDS): Promise<Page> {
  const page = await t.open();
  const model = modelCalls(page, 'rotate_ipsec_psks', { ipsec_tunnel_ids: [...ids] });
  await expectVisibleText(
    panel(page).locator('#lead'),
    `Rotate the pre-shared keys of these ${ids.length} tunnels?`,
  );
  await model;
  return page;
}

/** The table's rows, cell by cell, as the user reads them (a line break between a cell's lines). */
async function rows(view: FrameLocator): Promise<string[][]> {
  return view.locator('#fleet-rows tr').evaluateAll((trs) =>
    trs.map((tr) =>
      [...tr.querySelectorAll('td')].map(
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, lines as the user sees them
        (td) => (td as unknown as { innerText: string }).innerText,
      ),
    ),
  );
}

describe.runIf(RUN_BROWSER_TESTS)(
  'rotate_ipsec_psks: the panel in a real browser',
  { timeout: 60_000 },
  () => {
    it('shows the account, the count and every tunnel; Rotate sends one request; each result and key file appear', async () => {
      const shown = await askToRotate();
      const view = panel(shown);
      expect(await view.locator('#fleet-account').textContent()).toBe(DEMO_ACCOUNT_ID);
      expect(await view.locator('#fleet-count').textContent()).toBe('9 tunnels');
      expect(await view.locator('#warning').textContent()).toMatch(
        /Each current key stops working at once: each tunnel stays down/,
      );
      expect(await view.locator('#rotate').textContent()).toBe('Rotate 9 keys now');
      const asked = await rows(view);
      expect(asked).toHaveLength(9);
      expect(asked[0]).toEqual(['ams-edge-1', IDS[0], expect.stringMatching(/^\d+ days · 2026-01-01$/)]);
      // The markup in a name is text on the screen, never an element.
      expect(asked[8]).toEqual([HOSTILE, IDS[8], 'unknown · never generated or not reported']);
      expect(await view.locator('#fleet-rows img, #fleet-rows b').count()).toBe(0);
      // The list scrolls inside the panel and can be reached with the keyboard.
      expect(await view.locator('#fleet-scroll').getAttribute('tabindex')).toBe('0');
      expect(sets()).toBe(0);

      await view.locator('#rotate').click();
      await expectVisibleText(view.locator('#lead'), 'All 9 new keys are set and stored');
      expect(sets()).toBe(1);
      expect(await view.locator('#fleet-count').textContent()).toBe('9 tunnels: 9 applied');
      const results = await rows(view);
      expect(results).toHaveLength(9);
      // Each row names its file under the key directory shown once above the table; the full path is its title.
      const files = await view
        .locator('#fleet-rows code.file')
        .evaluateAll((codes) => codes.map((code) => code.getAttribute('title') ?? ''));
      // The directory once, shortened to its end if long, its full path copied by its button.
      const directory = (await view.locator('#fleet-files code').getAttribute('title')) ?? '';
      expect(directory).toBe(`${t.pskDir}/${DEMO_ACCOUNT_ID}`);
      expect(await view.locator('#fleet-files code').textContent()).toMatch(
        new RegExp(`${DEMO_ACCOUNT_ID}/‹tunnel id›/$`),
      );
      expect(files).toHaveLength(9);
      for (const [index, id] of IDS.entries()) {
        expect(results[index]?.[0]).toContain(id);
        expect(results[index]?.[1]).toBe('Applied');
        expect(files[index]).toBe(
          `${t.pskDir}/${DEMO_ACCOUNT_ID}/${id}/${results[index]?.[2]?.split('\n')[0]}`,
        );
        expect(await readFile(files[index] as string, 'utf8')).toBe(simKey(id));
      }
      expect(await view.locator('#message').textContent()).toMatch(/keys are not shown here/);
      // The buttons are gone; the outcome's headline has the focus (keyboard and screen reader users land on it).
      expect(await view.locator('#lead').evaluate((lead) => lead.ownerDocument.activeElement === lead)).toBe(
        true,
      );
      expect(await view.locator('#reveal-actions').isVisible()).toBe(false);
      // The model is told the outcome (a context update), never a key.
      const context = t.host.forModel.find((entry) => entry.kind === 'model-context');
      expect(JSON.stringify(context)).toMatch(/completed.*applied/);
      const forModel = JSON.stringify(t.host.forModel);
      for (const id of IDS) expect(forModel).not.toContain(simKey(id));
      expect(await shown.title()).not.toBe('pwned');
    });

    it('a partial failure: the tunnels Cloudflare refused say so, with its reason, and keep their old keys', async () => {
      const refused = IDS.slice(2, 4);
      t.sim.inject({
        type: 'unapply',
        tunnels: refused,
        reason: 'tunnel is being updated',
        match: { operation: 'set_psks', validateOnly: false },
      });
      const shown = await askToRotate();
      const view = panel(shown);
      await view.locator('#rotate').click();
      await expectVisibleText(view.locator('#lead'), 'Rotated 7 of 9 keys');
      expect(await view.locator('#fleet-count').textContent()).toBe('9 tunnels: 7 applied, 2 not applied');
      const results = await rows(view);
      for (const [index, id] of IDS.entries()) {
        if (refused.includes(id)) {
          expect(results[index]?.[1]).toBe('Not applied');
          expect(results[index]?.[2]).toMatch(
            /^Cloudflare: tunnel is being updated\nThe old key still works\.\n/,
          );
          expect(results[index]?.[2]).toMatch(/\.psk\.not-applied$/);
          expect(simKey(id)).toBeUndefined();
        } else {
          expect(results[index]?.[1]).toBe('Applied');
        }
      }
      expect(await view.locator('#message').getAttribute('class')).toMatch(/warning/);
    });

    it('an outcome in doubt: each tunnel says unknown, what checking back showed, and where its stored key is', async () => {
      t.sim.inject({
        type: 'status',
        status: 502,
        persist: true,
        times: 3,
        match: { operation: 'set_psks', validateOnly: false },
      });
      const shown = await askToRotate(IDS.slice(0, 3));
      const view = panel(shown);
      await view.locator('#rotate').click();
      await expectVisibleText(view.locator('#lead'), 'Rotated 0 of 3 keys; 3 with an unknown outcome');
      const results = await rows(view);
      const files = await view
        .locator('#fleet-rows code.file')
        .evaluateAll((codes) => codes.map((code) => code.getAttribute('title') ?? ''));
      for (const [index, id] of IDS.slice(0, 3).entries()) {
        expect(results[index]?.[1]).toBe('Unknown');
        expect(results[index]?.[2]).toMatch(
          /^Checking back: the key changed, most likely to the stored one\.\n/,
        );
        // Nothing is lost: the key Cloudflare has is the one in the file.
        expect(await readFile(files[index] as string, 'utf8')).toBe(simKey(id));
      }
      expect(await view.locator('#message').textContent()).toMatch(/unknown outcome uses either its old key/);
    });

    it('Cancel sends nothing', async () => {
      const shown = await askToRotate(IDS.slice(0, 3));
      const view = panel(shown);
      await view.locator('#cancel').click();
      await expectVisibleText(view.locator('#lead'), 'Not rotated: you declined, and nothing was sent');
      expect(sets()).toBe(0);
      expect(IDS.every((id) => simKey(id) === undefined)).toBe(true);
    });
  },
);
