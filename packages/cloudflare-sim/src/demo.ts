import type { SimAccountInit } from './types.js';

/** The demo account's id (the spec's example identifier). */
export const DEMO_ACCOUNT_ID = '023e105f4ecef8ad9ca31a8372d0c353';
/** The first demo tunnel's id. */
export const DEMO_TUNNEL_ID = 'c4a7362d577a6c3019a474fd6f485823';
/** The second demo tunnel's id. */
export const DEMO_TUNNEL_ID_2 = '9d1e6f0b2a7c4e38b5f1d0c2a4e6b8f1';

/**
 * A fresh copy of the default accounts, so one simulator's options never leak into another's. The two tunnels are a
 * site's usual pair, one to each of two Cloudflare anycast endpoints (162.159.x.x is Cloudflare's range; nothing is
 * ever sent there), from a customer device at a documentation address (RFC 5737), with private /31s inside.
 */
export function demoAccounts(): SimAccountInit[] {
  return [
    {
      id: DEMO_ACCOUNT_ID,
      tunnels: [
        {
          id: DEMO_TUNNEL_ID,
          name: 'demo_tunnel_01',
          description: 'Simulated tunnel (sandbox)',
          cloudflareEndpoint: '162.159.66.164',
          customerEndpoint: '203.0.113.10',
          interfaceAddress: '10.213.0.0/31',
          customRemoteIdentity: `demo01.${DEMO_ACCOUNT_ID}.custom.ipsec.cloudflare.com`,
        },
        {
          id: DEMO_TUNNEL_ID_2,
          name: 'demo_tunnel_02',
          description: 'Simulated tunnel with an earlier key (sandbox)',
          lastGeneratedOn: '2025-01-15T09:30:00Z',
          cloudflareEndpoint: '162.159.67.164',
          customerEndpoint: '203.0.113.10',
          interfaceAddress: '10.213.0.2/31',
          healthCheck: { direction: 'bidirectional', rate: 'low' },
          bgp: { customerAsn: 65010 },
        },
      ],
    },
  ];
}
