import { DEMO_ACCOUNT_ID } from './demo.js';
import { startSimulator } from './server.js';

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

/** Starts the simulator on loopback with the demo account, accepting any credentials. */
export async function startSandbox(): Promise<Sandbox> {
  const simulator = await startSimulator({ acceptAnyCredentials: true });
  return {
    url: simulator.url,
    accountId: DEMO_ACCOUNT_ID,
    apiToken: 'sandbox-token',
    close: () => simulator.close(),
  };
}
