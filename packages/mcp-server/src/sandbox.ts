import { createPskClient, type PskClient } from '@ipsec-psk/core';

/** A client wired to an in-process simulator, and how to stop it. */
export interface Sandbox {
  client: PskClient;
  accountId: string;
  close(): Promise<void>;
}

/** Starts the local Cloudflare simulator on loopback; loaded only in sandbox mode to keep normal start-up lean. */
export async function startSandbox(): Promise<Sandbox> {
  const { DEMO_ACCOUNT_ID, startSimulator } = await import('@ipsec-psk/cloudflare-sim');
  const simulator = await startSimulator({ acceptAnyCredentials: true });
  return {
    client: createPskClient({
      apiToken: 'sandbox-token',
      baseUrl: simulator.url,
      accountId: DEMO_ACCOUNT_ID,
    }),
    accountId: DEMO_ACCOUNT_ID,
    close: () => simulator.close(),
  };
}
