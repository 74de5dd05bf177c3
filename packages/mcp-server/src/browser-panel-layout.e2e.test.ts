import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, manyTunnels } from '@ipsec-psk/cloudflare-sim';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  expectVisibleText,
  modelCalls,
  panel,
  panelSuite,
  RUN_BROWSER_TESTS,
} from './test-support/browser-host.js';

// The panel as a person sees it in a host that caps a View's height: what is asked (or what happened) and its
// buttons first and in sight, however long the tunnel's history; the history folded, counted and capped; key files
// as names with a copy button; the facts kept after a decline; an argument the tool refuses told in plain words.

const API_TOKEN = 'SENTINEL-browser-layout-token';
/** A height every web host shows without scrolling the View. */
const MAX_PANEL_PX = 700;
const FLEET = manyTunnels(9, { namePrefix: 'fra-core-', lastGeneratedOn: '2025-10-01T00:00:00Z' });
FLEET.tunnels.push({ id: DEMO_TUNNEL_ID, name: 'demo_tunnel_01', lastGeneratedOn: '2025-01-15T09:30:00Z' });
const FLEET_IDS = FLEET.tunnels.slice(0, 9).map((tunnel) => tunnel.id);

const t = panelSuite(API_TOKEN, [FLEET]);

/** The assistant's call; resolves once the panel shows `lead`. */
async function ask(tool: string, args: object, lead: string): Promise<Page> {
  const page = await t.open({ width: 760, height: 900 });
  const model = modelCalls(page, tool, args);
  await expectVisibleText(panel(page).locator('#lead'), lead);
  await model.catch(() => undefined);
  return page;
}

const askOne = () =>
  ask('generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID }, 'Rotate the pre-shared key of this tunnel?');

/** The View's height as the host sized it (the View asks for its content's height). */
async function panelHeight(page: Page): Promise<number> {
  await page.waitForTimeout(250); // the size change travels by postMessage after layout
  return (await page.locator('iframe').first().boundingBox())?.height ?? Number.POSITIVE_INFINITY;
}

/** Where an element of the View ends, from the View's top. */
async function bottomOf(page: Page, selector: string): Promise<number> {
  return panel(page)
    .locator(selector)
    .evaluate((node) => node.getBoundingClientRect().bottom);
}

describe.runIf(RUN_BROWSER_TESTS)('the panel within a height a host can show', { timeout: 120_000 }, () => {
  it('after ten rotations of one tunnel: question, outcome and revealed key fit; history folded, capped', async () => {
    for (let i = 0; i < 10; i++) {
      const page = await askOne();
      await panel(page).locator('#rotate').click();
      await expectVisibleText(panel(page).locator('#lead'), 'New key generated and stored');
      await page.close();
      t.pages.splice(t.pages.indexOf(page), 1);
    }
    const page = await askOne();
    const view = panel(page);
    expect(await panelHeight(page)).toBeLessThanOrEqual(MAX_PANEL_PX);
    expect(await bottomOf(page, '#rotate')).toBeLessThanOrEqual(MAX_PANEL_PX);
    expect(await view.locator('#history').getAttribute('open')).toBeNull();
    expect(await view.locator('#history-summary').textContent()).toBe('Earlier rotations of this tunnel: 10');
    // The key age in days, with the date.
    expect(await view.locator('#generated').textContent()).toMatch(
      /^today \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/,
    );

    await view.locator('#rotate').click();
    await expectVisibleText(view.locator('#lead'), 'New key generated and stored');
    // Stored, but the tunnel is down until the device has the key: a warning, not a success.
    expect(await view.locator('#message').getAttribute('class')).toContain('warning');
    await view.locator('#reveal').click();
    await view.locator('#key').waitFor({ state: 'visible' });
    expect(await panelHeight(page)).toBeLessThanOrEqual(MAX_PANEL_PX);
    expect(await bottomOf(page, '#key')).toBeLessThanOrEqual(MAX_PANEL_PX);
    // The key file: its name whole, the full path in its title, a copy button beside it.
    const file = view.locator('#file code');
    expect(await file.textContent()).not.toContain('/');
    expect(await file.getAttribute('title')).toMatch(
      new RegExp(`^${t.pskDir}/.*/${DEMO_TUNNEL_ID}/.*\\.psk$`),
    );
    await expect(view.locator('#file button').textContent()).resolves.toBe('Copy path');

    // Unfolded: the five newest, then how many more and the command that lists them all.
    await view.locator('#history-summary').click();
    const items = view.locator('#history-list > li');
    expect(await items.count()).toBe(6);
    expect(await items.last().textContent()).toBe(`and 5 more: ipsec-psk history ${DEMO_TUNNEL_ID}`);
    const names = await view.locator('#history-list code.file').allTextContents();
    expect(names).toHaveLength(5);
    for (const name of names) expect(name).toMatch(/^[^/]+\.psk$/);
  });

  it('after Cancel the tunnel, its key age and the wording stay what the question showed', async () => {
    const page = await askOne();
    const view = panel(page);
    expect(await view.locator('#name').textContent()).toBe('demo_tunnel_01');
    const age = (await view.locator('#generated').textContent()) as string;
    expect(age).toMatch(/^\d+ days ago \(2025-01-15 09:30 UTC\)$/);
    await view.locator('#cancel').click();
    await expectVisibleText(view.locator('#lead'), 'Not rotated: you declined, and nothing was sent');
    expect(await view.locator('#name').textContent()).toBe('demo_tunnel_01');
    expect(await view.locator('#generated').textContent()).toBe(age);
    expect(await view.locator('#message').textContent()).toBe(
      'You declined the rotation. Nothing was sent; the current key still works.',
    );
  });

  it('an id the tool does not take is told in plain words, the rule once, no protocol error code', async () => {
    const page = await ask('generate_ipsec_psk', { ipsec_tunnel_id: 'a/../b' }, 'Nothing was changed');
    const text = (await panel(page).locator('#message').textContent()) as string;
    expect(text).toMatch(
      /^Your assistant asked with a value this tool does not take \(ipsec_tunnel_id must be /,
    );
    expect(text.match(/ipsec_tunnel_id must be/g)).toHaveLength(1);
    expect(text).not.toMatch(/MCP error|-32602|Input validation error|Invalid arguments/);
  });

  it('a fleet with earlier rotations: the tunnels and the button in sight, the history one folded line', async () => {
    for (let i = 0; i < 3; i++) {
      const page = await ask(
        'rotate_ipsec_psks',
        { ipsec_tunnel_ids: FLEET_IDS },
        'Rotate the pre-shared keys of these 9 tunnels?',
      );
      await panel(page).locator('#rotate').click();
      await expectVisibleText(panel(page).locator('#lead'), 'All 9 new keys are set and stored');
    }
    const page = await ask(
      'rotate_ipsec_psks',
      { ipsec_tunnel_ids: FLEET_IDS },
      'Rotate the pre-shared keys of these 9 tunnels?',
    );
    const view = panel(page);
    expect(await panelHeight(page)).toBeLessThanOrEqual(MAX_PANEL_PX);
    expect(await bottomOf(page, '#rotate')).toBeLessThanOrEqual(MAX_PANEL_PX);
    expect(await bottomOf(page, '#fleet-scroll')).toBeLessThan(await bottomOf(page, '#rotate'));
    expect(await view.locator('#fleet-rows tr').count()).toBe(9);
    expect(await view.locator('#history-summary').textContent()).toBe(
      'Earlier rotations of these tunnels: 27',
    );
    expect(await bottomOf(page, '#history')).toBeLessThanOrEqual(MAX_PANEL_PX);
    expect(await view.locator('#rotate').textContent()).toBe('Rotate 9 keys now');
    expect(t.sim.tunnel(DEMO_ACCOUNT_ID, FLEET_IDS[0] as string)?.rotations).toBe(3);
  });
});
