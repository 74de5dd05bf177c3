import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_ACCOUNT_ID,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { type Browser, chromium, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { startTestHost, type TestHost } from '../../test-host/host-server.mjs';
import { CLI } from './binary.js';

// What the browser tests share: Chromium, the test host serving the built server's panel the way a web host does,
// and reading the panel as a person sees it.

const BROWSER =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

/** CI installs Debian's chromium, so there a missing browser is a failure; elsewhere the tests say why they skip. */
export const RUN_BROWSER_TESTS = BROWSER !== undefined || process.env.CI !== undefined;

export async function launchBrowser(): Promise<Browser> {
  if (!BROWSER)
    throw new Error('no Chromium: install Debian chromium (apt-get install chromium) or set CHROMIUM_PATH');
  return chromium.launch({
    executablePath: BROWSER,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The test host, spawning the built server against `sim` with keys in a new temporary directory. */
export async function startPanelHost(
  sim: Simulator,
  apiToken: string,
  env: Record<string, string> = {},
): Promise<{ host: TestHost; pskDir: string }> {
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-browser-'));
  const host = await startTestHost({
    server: {
      command: process.execPath,
      args: [CLI],
      env: {
        PATH: process.env.PATH ?? '',
        CLOUDFLARE_API_TOKEN: apiToken,
        CLOUDFLARE_BASE_URL: sim.url,
        CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
        IPSEC_PSK_DIR: pskDir,
        ...env,
      },
    },
  });
  return { host, pskDir };
}

/** What a browser suite's tests use: one Chromium for the file, a fresh simulator and host for each test. */
export interface PanelSuite {
  browser: Browser;
  sim: Simulator;
  host: TestHost;
  pskDir: string;
  /** Pages a test opened with `open`, closed after it. */
  pages: Page[];
  /** A new page on the host's address, closed after the test. */
  open(viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * Registers the hooks of a browser suite: Chromium launched once, and per test a simulator (which must see no
 * request outside the spec) and the test host with keys in a new temporary directory, all removed after it.
 */
export function panelSuite(apiToken: string, accounts?: SimulatorOptions['accounts']): PanelSuite {
  const suite = { pages: [] as Page[] } as unknown as PanelSuite;
  suite.open = async (viewport) => {
    const page = await suite.browser.newPage(viewport ? { viewport } : {});
    suite.pages.push(page);
    await page.goto(suite.host.url);
    return page;
  };
  beforeAll(async () => {
    if (RUN_BROWSER_TESTS) suite.browser = await launchBrowser();
  });
  afterAll(async () => {
    await suite.browser?.close();
  });
  beforeEach(async () => {
    if (!RUN_BROWSER_TESTS) return;
    suite.sim = await startSimulator({ apiTokens: [apiToken], ...(accounts ? { accounts } : {}) });
    ({ host: suite.host, pskDir: suite.pskDir } = await startPanelHost(suite.sim, apiToken));
  });
  afterEach(async () => {
    if (!RUN_BROWSER_TESTS) return;
    await Promise.all(suite.pages.splice(0).map((page) => page.close()));
    expect(suite.sim.specViolations).toEqual([]);
    await suite.host.close();
    await suite.sim.close();
    await rm(suite.pskDir, { recursive: true, force: true });
  });
  return suite;
}

/** The model's call of a tool, made through the host page (which shows the panel for its result). */
export function modelCalls(page: Page, name: string, args: object): Promise<unknown> {
  // Runs in the page, where the host page defined hostRun (this file has no DOM types).
  return page.evaluate(
    ([tool, toolArgs]) =>
      (globalThis as unknown as { hostRun(name: string, args: object): Promise<unknown> }).hostRun(
        tool,
        toolArgs,
      ),
    [name, args] as const,
  );
}

/** The panel, two frames down: the sandbox proxy, then the View. */
export function panel(page: Page): FrameLocator {
  return page.frameLocator('iframe').frameLocator('iframe');
}

export async function expectVisibleText(locator: ReturnType<FrameLocator['locator']>, text: string) {
  await locator.filter({ hasText: text }).waitFor({ state: 'visible', timeout: 15_000 });
}
