import { describe, expect, it } from 'vitest';
import { createPskClient } from '../client.js';
import { ACCOUNT, cfError, fakeFetch, ok, rejection, TUNNEL } from '../test-support/fake-fetch.js';

const tunnel = (id: string, name: string, lastGeneratedOn?: string) => ({
  id,
  name,
  description: `${name} description`,
  cloudflare_endpoint: '203.0.113.1',
  interface_address: '10.0.0.0/31',
  ...(lastGeneratedOn ? { psk_metadata: { last_generated_on: lastGeneratedOn } } : {}),
});

function client(fetch: typeof globalThis.fetch) {
  return createPskClient({ apiToken: 'test-token-value', fetch, accountId: ACCOUNT, sleep: async () => {} });
}

describe('listIpsecTunnels', () => {
  it('gets the account’s tunnels with names, descriptions and key ages', async () => {
    const fetch = fakeFetch(() =>
      ok({
        ipsec_tunnels: [tunnel(TUNNEL, 'fra-1', '2026-01-02T03:04:05Z'), tunnel('a'.repeat(32), 'ams-1')],
      }),
    );
    const tunnels = await client(fetch).listIpsecTunnels();
    expect(fetch.calls[0]?.method).toBe('GET');
    expect(fetch.calls[0]?.url.pathname).toBe(`/client/v4/accounts/${ACCOUNT}/magic/ipsec_tunnels`);
    expect(
      tunnels.map(({ id, name, description, lastGeneratedOn }) => ({
        id,
        name,
        description,
        lastGeneratedOn,
      })),
    ).toEqual([
      {
        id: TUNNEL,
        name: 'fra-1',
        description: 'fra-1 description',
        lastGeneratedOn: '2026-01-02T03:04:05Z',
      },
      { id: 'a'.repeat(32), name: 'ams-1', description: 'ams-1 description', lastGeneratedOn: undefined },
    ]);
  });

  it('refuses a list with a tunnel lacking its id or name rather than silently dropping it', async () => {
    const fetch = fakeFetch(() => ok({ ipsec_tunnels: [tunnel(TUNNEL, 'fra-1'), { name: 'no id' }] }));
    const error = await rejection(
      createPskClient({
        apiToken: 'test-token-value',
        fetch,
        accountId: ACCOUNT,
        retry: { maxAttempts: 1 },
      }).listIpsecTunnels(),
    );
    expect(error).toMatchObject({ code: 'invalid_response', outcome: 'not_executed' });
    expect(error.message).toMatch(/no id or name/);
  });

  it('is retried on a 5xx: it changes nothing', async () => {
    const fetch = fakeFetch(
      () => cfError(503, 1000, 'busy'),
      () => ok({ ipsec_tunnels: [] }),
    );
    expect(await client(fetch).listIpsecTunnels()).toEqual([]);
    expect(fetch.calls).toHaveLength(2);
  });
});
