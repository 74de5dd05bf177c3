import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '../test-host/host-server.mjs';
import {
  expectVisibleText,
  launchBrowser,
  modelCalls,
  panel,
  RUN_BROWSER_TESTS,
  startPanelHost,
} from './test-support/browser-host.js';

// The panel after a rotation the operator delivers: what became of the customer device and what Cloudflare sees,
// and the device's configuration text shown with Reveal key, to the person alone.

const API_TOKEN = 'SENTINEL-browser-delivery-token';

let browser: Browser;
let sim: Simulator;
let host: TestHost;
let pskDir: string;
let work: string;

beforeAll(async () => {
  if (RUN_BROWSER_TESTS) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  if (!RUN_BROWSER_TESTS) return;
  expect(sim.specViolations).toEqual([]);
  await host.close();
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

async function start(target: object): Promise<void> {
  sim = await startSimulator({ apiTokens: [API_TOKEN] });
  work = await mkdtemp(join(tmpdir(), 'ipsec-psk-browser-delivery-'));
  const program = join(work, 'push.sh');
  await writeFile(program, `#!/bin/sh\nIFS= read -r key\nprintf %s "$key" > "${work}/device-key"\n`, {
    mode: 0o700,
  });
  const file = join(work, 'delivery.json');
  const resolved = JSON.parse(JSON.stringify(target).replace('PROGRAM', program));
  await writeFile(file, JSON.stringify({ default: resolved }), { mode: 0o600 });
  ({ host, pskDir } = await startPanelHost(sim, API_TOKEN, {
    IPSEC_PSK_DELIVERY: file,
    IPSEC_PSK_HEALTH_WAIT: '5',
  }));
}

async function rotateInPanel() {
  const page = await browser.newPage();
  await page.goto(host.url);
  const model = modelCalls(page, 'generate_ipsec_psk', { ipsec_tunnel_id: DEMO_TUNNEL_ID });
  const view = panel(page);
  await expectVisibleText(view.locator('#lead'), 'Rotate the pre-shared key of this tunnel?');
  await model;
  await view.locator('#rotate').click();
  await expectVisibleText(view.locator('#lead'), 'New key generated and stored');
  return { page, view };
}

describe.runIf(RUN_BROWSER_TESTS)('the panel with delivery configured', { timeout: 60_000 }, () => {
  it('says the device took the key and Cloudflare sees the tunnel up; the model hears the same, no key', async () => {
    await start({ kind: 'command', argv: ['PROGRAM'], name: 'branch-router' });
    const { page, view } = await rotateInPanel();
    await expectVisibleText(view.locator('#device-state'), 'Device: key delivered (branch-router)');
    await expectVisibleText(view.locator('#health-state'), 'Cloudflare sees it up again');
    expect(await view.locator('#message').getAttribute('class')).toMatch(/success/);
    const key = sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk as string;
    expect(await readFile(join(work, 'device-key'), 'utf8')).toBe(key);
    const context = JSON.stringify(host.forModel.filter((entry) => entry.kind === 'model-context'));
    expect(context).toMatch(/delivery delivered, Cloudflare sees the tunnel up/);
    expect(JSON.stringify(host.forModel)).not.toContain(key);
    await page.close();
  });

  it('configuration text: Reveal key shows it with the key, in the panel alone', async () => {
    await start({ kind: 'config', platform: 'vyos' });
    const { page, view } = await rotateInPanel();
    await expectVisibleText(view.locator('#message'), 'Configuration text for the device was written');
    await view.locator('#reveal').click();
    const key = sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.psk as string;
    await expectVisibleText(view.locator('#key'), key);
    const config = (await view.locator('#config').textContent()) ?? '';
    expect(config).toContain(key);
    expect(config).toMatch(/set vpn ipsec/);
    expect(await view.locator('#config-file code').getAttribute('title')).toMatch(/\.vyos\.txt$/);
    expect(JSON.stringify(host.forModel)).not.toContain(key);
    await view.locator('#hide').click();
    expect(await view.locator('#config').textContent()).toBe('');
    await page.close();
  });
});
