import { createHash } from 'node:crypto';
import { DEMO_ACCOUNT_ID } from './demo.js';
import type { SimAccountInit } from './types.js';

/** How `manyTunnels` builds its account. */
export interface ManyTunnelsOptions {
  /** The account's id; default `DEMO_ACCOUNT_ID`. */
  accountId?: string;
  /** Tunnel names are this prefix and a 1-based, zero-padded number; default `bulk_tunnel_`. */
  namePrefix?: string;
  /** One `last_generated_on` for every tunnel, or one per 0-based index; default never generated. */
  lastGeneratedOn?: string | ((index: number) => string | undefined);
}

/**
 * An account with `count` tunnels, for bulk tests. Ids are 32 lower-case hex characters, like Cloudflare's, and
 * derived from the account, the prefix and the index: the same call gives the same ids in every run.
 */
export function manyTunnels(count: number, options: ManyTunnelsOptions = {}): SimAccountInit {
  if (!Number.isInteger(count) || count < 0) throw new RangeError('manyTunnels needs a count >= 0');
  const accountId = options.accountId ?? DEMO_ACCOUNT_ID;
  const prefix = options.namePrefix ?? 'bulk_tunnel_';
  const width = String(count).length;
  const generated = options.lastGeneratedOn;
  return {
    id: accountId,
    tunnels: Array.from({ length: count }, (_, index) => {
      const lastGeneratedOn = typeof generated === 'function' ? generated(index) : generated;
      return {
        id: createHash('sha256').update(`${accountId}\n${prefix}\n${index}`).digest('hex').slice(0, 32),
        name: `${prefix}${String(index + 1).padStart(width, '0')}`,
        ...(lastGeneratedOn === undefined ? {} : { lastGeneratedOn }),
      };
    }),
  };
}
