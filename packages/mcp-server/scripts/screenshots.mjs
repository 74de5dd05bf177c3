// Renders the confirmation panel in headless Chromium through the test host (sandbox mode, nothing real) and saves
// screenshots, before and after rotating, in light and dark, to docs/; then a bulk rotation (rotate_ipsec_psks)
// against the local simulator, its question and its per-tunnel results side by side, in light and dark
// (docs/panel-fleet-*.png). Run after `pnpm build`:
//   node packages/mcp-server/scripts/screenshots.mjs [chromium path]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, manyTunnels, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { chromium } from 'playwright-core';
import { startTestHost } from '../test-host/host-server.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));
const executablePath = process.argv[2] ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const browser = await chromium.launch({
  executablePath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-sync',
  ],
});
try {
  for (const theme of ['light', 'dark']) {
    const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-shots-'));
    const host = await startTestHost({
      theme,
      server: {
        command: process.execPath,
        args: [cli, '--sandbox'],
        env: { PATH: process.env.PATH ?? '', IPSEC_PSK_SANDBOX_DIR: pskDir },
      },
    });
    try {
      const page = await browser.newPage({ viewport: { width: 760, height: 640 }, deviceScaleFactor: 1 });
      await page.goto(host.url);
      const asked = page.evaluate(() =>
        window.hostRun('generate_ipsec_psk', { ipsec_tunnel_id: '9d1e6f0b2a7c4e38b5f1d0c2a4e6b8f1' }),
      );
      const view = page.frameLocator('iframe').frameLocator('iframe');
      await view.locator('#actions').waitFor({ state: 'visible' });
      await asked;
      const frame = page.locator('iframe');
      await page.waitForTimeout(400);
      await frame.screenshot({ path: join(docs, `panel-${theme}-before.png`) });
      await view.locator('#rotate').click();
      await view.locator('#reveal-actions').waitFor({ state: 'visible' });
      await page.waitForTimeout(400);
      await frame.screenshot({ path: join(docs, `panel-${theme}-after.png`) });
      await page.close();
    } finally {
      await host.close();
      await rm(pskDir, { recursive: true, force: true });
    }
  }

  // A bulk rotation: fourteen tunnels of varied key age (one never rotated), one of which Cloudflare refuses.
  const DAY = 86_400_000;
  const fleet = manyTunnels(14, {
    namePrefix: 'ams-edge-',
    lastGeneratedOn: (index) =>
      index === 5 ? undefined : new Date(Date.now() - (412 - index * 23) * DAY).toISOString(),
  });
  const ids = fleet.tunnels.map((tunnel) => tunnel.id);
  for (const theme of ['light', 'dark']) {
    const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-shots-'));
    const sim = await startSimulator({ apiTokens: ['screenshots'], accounts: [fleet] });
    sim.inject({
      type: 'unapply',
      tunnels: [ids[2]],
      reason: 'tunnel is being updated, try again later',
      match: { operation: 'set_psks', validateOnly: false },
    });
    const host = await startTestHost({
      theme,
      server: {
        command: process.execPath,
        args: [cli],
        env: {
          PATH: process.env.PATH ?? '',
          IPSEC_PSK_DIR: pskDir,
          CLOUDFLARE_API_TOKEN: 'screenshots',
          CLOUDFLARE_BASE_URL: sim.url,
          CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
        },
      },
    });
    try {
      const page = await browser.newPage({ viewport: { width: 760, height: 900 }, deviceScaleFactor: 1 });
      await page.goto(host.url);
      const asked = page.evaluate(
        (tunnels) => window.hostRun('rotate_ipsec_psks', { ipsec_tunnel_ids: tunnels }),
        ids,
      );
      const view = page.frameLocator('iframe').frameLocator('iframe');
      await view.locator('#actions').waitFor({ state: 'visible' });
      await asked;
      const frame = page.locator('iframe');
      await page.waitForTimeout(400);
      const before = await frame.screenshot();
      await view.locator('#rotate').click();
      await view.locator('#fleet-rows .pill').first().waitFor({ state: 'visible' });
      await page.waitForTimeout(400);
      const after = await frame.screenshot();
      await sideBySide(page, theme, [before, after], join(docs, `panel-fleet-${theme}.png`));
      await page.close();
    } finally {
      await host.close();
      await sim.close();
      await rm(pskDir, { recursive: true, force: true });
    }
  }
} finally {
  await browser.close();
}

/** Two screenshots side by side, top-aligned, on the host's background, saved as one PNG. */
async function sideBySide(page, theme, shots, path) {
  const images = shots.map((shot) => `<img src="data:image/png;base64,${shot.toString('base64')}">`).join('');
  const background = theme === 'dark' ? '#0f0f10' : '#ffffff';
  await page.setViewportSize({ width: 1560, height: 1000 });
  await page.setContent(
    `<body style="margin:0;background:${background}"><div id="both" style="display:inline-flex;gap:20px;` +
      `align-items:flex-start;padding:20px">${images}</div></body>`,
  );
  await page.locator('#both').screenshot({ path });
}
