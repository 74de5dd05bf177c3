// Renders the confirmation panel in headless Chromium through the test host (sandbox mode, nothing real) and saves
// screenshots, before and after rotating, in light and dark, to docs/. Run after `pnpm build`:
//   node packages/mcp-server/scripts/screenshots.mjs [chromium path]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
        env: { PATH: process.env.PATH ?? '', IPSEC_PSK_DIR: pskDir },
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
} finally {
  await browser.close();
}
