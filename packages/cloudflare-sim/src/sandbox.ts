import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, demoAccounts } from './demo.js';
import { startSimulator } from './server.js';
import type { Simulator } from './types.js';

/** A simulator as the front ends' `--sandbox` mode uses it, and what a client needs to reach it. */
export interface Sandbox {
  /** The API base URL to give the client. */
  url: string;
  /** The demo account. */
  accountId: string;
  /** Any token is accepted; this one says what it is. */
  apiToken: string;
  close(): Promise<void>;
}

/** Where, in the sandbox's own directory, the simulated tunnels' key ages are kept between runs. */
export const SANDBOX_STATE_FILE = 'simulator-state.json';

/** What is kept: each demo tunnel's key age. Sandbox keys are worthless, but they are not written either. */
type SandboxState = Record<string, { lastGeneratedOn: string | undefined }>;

async function readState(file: string): Promise<SandboxState> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as SandboxState) : {};
  } catch {
    // Missing or damaged: the sandbox starts as new, which is all a sandbox needs.
    return {};
  }
}

async function writeState(dir: string, state: SandboxState): Promise<void> {
  const temp = join(dir, `.${SANDBOX_STATE_FILE}.${process.pid}.tmp`);
  await writeFile(temp, JSON.stringify(state), { mode: 0o600 });
  await rename(temp, join(dir, SANDBOX_STATE_FILE));
}

/**
 * Starts the simulator on loopback with the demo account, accepting any credentials. With `stateDir` (the
 * sandbox's own key directory), what rotations did to the demo tunnels' key ages is kept there, so one run's
 * rotation is what the next run lists.
 */
export async function startSandbox(options: { stateDir?: string } = {}): Promise<Sandbox> {
  const { stateDir } = options;
  const state = stateDir ? await readState(join(stateDir, SANDBOX_STATE_FILE)) : {};
  const accounts = demoAccounts().map((account) => ({
    ...account,
    tunnels: account.tunnels.map((tunnel) =>
      state[tunnel.id]?.lastGeneratedOn
        ? { ...tunnel, lastGeneratedOn: state[tunnel.id]?.lastGeneratedOn }
        : tunnel,
    ),
  }));
  let simulator: Simulator | undefined;
  let saving = Promise.resolve();
  const save = (tunnelId: string) => {
    if (!stateDir || !simulator) return saving;
    state[tunnelId] = { lastGeneratedOn: simulator.tunnel(DEMO_ACCOUNT_ID, tunnelId)?.lastGeneratedOn };
    const snapshot = { ...state };
    saving = saving.then(async () => {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      await writeState(stateDir, snapshot);
    });
    return saving;
  };
  simulator = await startSimulator({
    acceptAnyCredentials: true,
    accounts,
    attachment: { pskChanged: ({ tunnelId }) => save(tunnelId).catch(() => {}) },
  });
  const running = simulator;
  return {
    url: running.url,
    accountId: DEMO_ACCOUNT_ID,
    apiToken: 'sandbox-token',
    close: async () => {
      await saving.catch(() => {});
      await running.close();
    },
  };
}
