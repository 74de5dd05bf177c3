import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  fakeFetch,
  generated,
  ok,
  rejection,
  TUNNEL,
  testClient,
} from './test-support/fake-fetch.js';

const client = testClient;

// #7.14: `client.api` is the whole openapi-fetch client. It must not become a second way to send the persisting
// call (without the outcome rules, following a 307/308 that would resend it), nor wait forever.
describe('#7.14 client.api is safe', () => {
  const PSK_GENERATE = '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate';
  const path = { account_id: ACCOUNT, ipsec_tunnel_id: TUNNEL };

  it('refuses the persisting psk_generate before sending anything, pointing to generateIpsecPsk', async () => {
    const fetch = fakeFetch(() => ok(generated));
    const error = await rejection(client(fetch).api.POST(PSK_GENERATE, { params: { path } }));
    expect(error).toMatchObject({ code: 'invalid_input', outcome: 'not_executed' });
    expect(error.message).toMatch(/generateIpsecPsk/);
    expect(fetch.calls).toHaveLength(0);
  });

  it('refuses it however the URL is spelled (a trailing slash, validate_only=false)', async () => {
    const fetch = fakeFetch(() => ok(generated));
    const api = client(fetch).api as unknown as {
      POST(url: string, init: object): Promise<unknown>;
    };
    await rejection(api.POST(`${PSK_GENERATE}/`, { params: { path } }));
    await rejection(api.POST(PSK_GENERATE, { params: { path, query: { validate_only: false } } }));
    expect(fetch.calls).toHaveLength(0);
  });

  it('lets the validate-only call through, never following redirects', async () => {
    const fetch = fakeFetch(() => ok(generated));
    const { response } = await client(fetch).api.POST(PSK_GENERATE, {
      params: { path, query: { validate_only: true } },
      redirect: 'follow',
    });
    expect(response.status).toBe(200);
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]?.redirect).toBe('manual');
    expect(fetch.calls[0]?.url.search).toBe('?validate_only=true');
  });

  it('gives every request the client timeout', async () => {
    const fetch = fakeFetch(
      (call) =>
        new Promise<Response>((_resolve, reject) => {
          call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true });
        }),
    );
    const started = Date.now();
    const outcome = await client(fetch, { timeoutMs: 50 })
      .api.GET('/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}', { params: { path } })
      .then(
        () => 'answered',
        (error: unknown) => (error as Error).name,
      );
    expect(outcome).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

// Issue 9: one request path. The library's own calls go through the openapi-fetch client that `client.api` is, so
// middleware a user adds there sees them too, and the safety middleware applies to both.
describe('#9 one openapi-fetch client for the library and client.api', () => {
  it('middleware added to client.api sees the library’s own calls, with their schema paths', async () => {
    const fetch = fakeFetch((call) =>
      call.method === 'GET'
        ? ok({ ipsec_tunnel: { id: TUNNEL, name: 'n', cloudflare_endpoint: 'x', interface_address: 'y' } })
        : ok(generated),
    );
    const c = client(fetch, { accountId: ACCOUNT });
    const seen: string[] = [];
    c.api.use({
      onRequest({ schemaPath, request }) {
        seen.push(`${request.method} ${schemaPath} ${request.redirect}`);
      },
    });
    await c.generateIpsecPsk({ ipsecTunnelId: TUNNEL, validateOnly: true });
    await c.generateIpsecPsk({ ipsecTunnelId: TUNNEL });
    await c.getIpsecTunnel({ ipsecTunnelId: TUNNEL });
    expect(seen).toEqual([
      'POST /accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate manual',
      'POST /accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate manual',
      'GET /accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id} manual',
    ]);
  });
});
