// The four ways a user could send the persisting psk_generate call. Each factory does its imports and client set-up
// (not measured) and returns `call()`, one complete request + parsed response, which is what gets measured.
import { ACCOUNT_ID, API_TOKEN, TUNNEL_ID, USER_AGENT } from './config.mjs';

export const CONTENDERS = ['fetch', 'undici', 'core', 'cloudflare'];

export const LABELS = {
  fetch: 'raw `fetch` (Node built-in)',
  undici: '`undici.request`',
  core: '`@ipsec-psk/core`',
  cloudflare: '`cloudflare` (official SDK)',
};

function pskUrl(baseUrl) {
  return `${baseUrl}/accounts/${ACCOUNT_ID}/magic/ipsec_tunnels/${TUNNEL_ID}/psk_generate`;
}

// The same request for both raw contenders: what @ipsec-psk/core sends, minus its defensive work.
const HEADERS = {
  Authorization: `Bearer ${API_TOKEN}`,
  'Content-Type': 'application/json',
  'User-Agent': USER_AGENT,
};

const factories = {
  async fetch(baseUrl) {
    const url = pskUrl(baseUrl);
    return async () => {
      const res = await fetch(url, { method: 'POST', headers: HEADERS, body: '{}' });
      return (await res.json()).result.psk;
    };
  },

  async undici(baseUrl) {
    const { request } = await import('undici');
    const url = pskUrl(baseUrl);
    return async () => {
      const { body } = await request(url, { method: 'POST', headers: HEADERS, body: '{}' });
      return (await body.json()).result.psk;
    };
  },

  async core(baseUrl) {
    const { createPskClient } = await import('@ipsec-psk/core');
    const client = createPskClient({ apiToken: API_TOKEN, baseUrl, accountId: ACCOUNT_ID });
    return async () => (await client.generateIpsecPsk({ ipsecTunnelId: TUNNEL_ID })).psk.reveal();
  },

  async cloudflare(baseUrl) {
    const { default: Cloudflare } = await import('cloudflare');
    const client = new Cloudflare({ apiToken: API_TOKEN, baseURL: baseUrl });
    // The SDK's pskGenerate(tunnelId, { account_id }, options) sends the POST without a body; maxRetries: 0 so
    // that it, like the others, sends each call once.
    return async () =>
      (
        await client.magicTransit.ipsecTunnels.pskGenerate(
          TUNNEL_ID,
          { account_id: ACCOUNT_ID },
          { maxRetries: 0 },
        )
      ).psk;
  },
};

/** Sets up one contender and returns its `call()`, which resolves to the PSK string. */
export async function createContender(name, baseUrl) {
  const factory = factories[name];
  if (!factory) throw new Error(`unknown contender ${name}`);
  return factory(baseUrl);
}
