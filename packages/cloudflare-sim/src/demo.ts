import type { SimAccountInit } from './types.js';

/** The demo account's id (the spec's example identifier). */
export const DEMO_ACCOUNT_ID = '023e105f4ecef8ad9ca31a8372d0c353';
/** The first demo tunnel's id. */
export const DEMO_TUNNEL_ID = 'c4a7362d577a6c3019a474fd6f485823';
/** The second demo tunnel's id. */
export const DEMO_TUNNEL_ID_2 = '9d1e6f0b2a7c4e38b5f1d0c2a4e6b8f1';

/** A fresh copy of the default accounts, so one simulator's options never leak into another's. */
export function demoAccounts(): SimAccountInit[] {
  return [
    {
      id: DEMO_ACCOUNT_ID,
      tunnels: [
        { id: DEMO_TUNNEL_ID, name: 'demo_tunnel_01', description: 'Simulated tunnel (sandbox)' },
        {
          id: DEMO_TUNNEL_ID_2,
          name: 'demo_tunnel_02',
          description: 'Simulated tunnel with an earlier key (sandbox)',
          lastGeneratedOn: '2025-01-15T09:30:00Z',
        },
      ],
    },
  ];
}
