import { createServer } from 'node:net';
import { DEMO_ACCOUNT_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { createPskClient } from './client.js';
import { isPskError } from './errors.js';

// Issue 21, item 2: an error a user can cause says what happened, to what, and what to do.

const TOKEN = 'SENTINELerrorWordsToken4r5t6y7u';

/** A loopback port nobody listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPskError(error)) throw new Error(`expected a PskError, got ${String(error)}`);
  return error;
}

describe('errors in plain words', () => {
  it('a refused connection says it could not connect, names the host, and that nothing changed', async () => {
    const port = await closedPort();
    const client = createPskClient({ apiToken: TOKEN, baseUrl: `http://127.0.0.1:${port}/client/v4` });
    const error = await failure(client.listIpsecTunnels({ accountId: DEMO_ACCOUNT_ID }));
    expect(error).toMatchObject({ code: 'network', outcome: 'not_executed' });
    expect(error.message).toBe(
      `Could not connect to 127.0.0.1:${port}: the connection was refused (ECONNREFUSED): nothing listens there; ` +
        'check the URL. Nothing was changed.',
    );
    expect(error.message).not.toMatch(/in flight/);
  });

  it('a 403 says which permissions and which account to check; a 401 which credentials', async () => {
    sim = await startSimulator({ apiTokens: [TOKEN] });
    const client = createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { maxAttempts: 1 } });
    sim.inject({ type: 'status', status: 403, message: 'Insufficient permissions' });
    const forbidden = await failure(client.listIpsecTunnels({ accountId: DEMO_ACCOUNT_ID }));
    expect(forbidden.message).toMatch(
      /HTTP 403.*Nothing was changed\. Check the API token: that it is the right one and not expired, that it has Magic WAN Write or Magic Transit Write/s,
    );
    expect(forbidden.message).toMatch(/account resources include this account/);
    const wrong = createPskClient({ apiToken: 'SENTINELwrongToken0000000000000000000', baseUrl: sim.url });
    const unauthorized = await failure(wrong.listIpsecTunnels({ accountId: DEMO_ACCOUNT_ID }));
    expect(unauthorized.message).toMatch(/HTTP 40[13].*Check the (credentials|API token)/s);
    expect(unauthorized.message).not.toContain('SENTINELwrongToken');
  });
});
