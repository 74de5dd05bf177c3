import { type IpsecTunnelDetails, neutralizeText, type PskClient } from '@ipsec-psk/core';
import { NAME_MAX_LENGTH } from '../text/rotation-text.js';

// The account's tunnels with their key ages, for finding a tunnel by name and for seeing which keys are due for
// rotation. Free of MCP: the tool list_ipsec_tunnels and a command-line interface share it. Names, descriptions and
// even ids come from the API: everything here is neutralised before anyone reads it.

/** The longest tunnel description shown, in characters. */
export const DESCRIPTION_MAX_LENGTH = 200;

/** Cloudflare's ids are 32 hex digits; anything longer is cut, neutralised, at this length. */
const ID_MAX_LENGTH = 64;

const DAY_MS = 86_400_000;

// RFC 3339 date-time with an offset, as the spec's `last_generated_on` is. Date.parse alone also takes "Ignore 2"
// (as 2001-02-01), so the shape is checked first.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Which tunnels to list. */
export interface TunnelFilter {
  /** Only tunnels whose (neutralised) name contains this, ignoring case. */
  nameContains?: string | undefined;
  /**
   * Only tunnels whose key is at least this many whole days old, and every tunnel whose key age is unknown (an
   * unknown age is a compliance concern in itself).
   */
  minKeyAgeDays?: number | undefined;
}

/** One tunnel as listed: safe to show, snake_case as tool results are. */
export interface ListedTunnel {
  /** The tunnel's id (neutralised; Cloudflare's are 32 hex digits). */
  ipsec_tunnel_id: string;
  /** The tunnel's name, neutralised and at most 100 characters. */
  tunnel_name: string;
  /** The tunnel's description, neutralised and at most 200 characters, when it has one. */
  description?: string;
  /** When the key was last generated (ISO 8601, UTC), when Cloudflare reports a valid time. */
  last_generated_on?: string;
  /** Whole days since the key was generated (rounded down; 0 for a time in the future), when known. */
  key_age_days?: number;
  /** False when Cloudflare reports no valid key time: never generated through the API, or not reported. */
  key_age_known: boolean;
}

/** An account's tunnels that matched a filter, oldest key first. */
export interface TunnelListing {
  account_id: string;
  /** How many tunnels the account has, matched or not. */
  total: number;
  /** The tunnels that matched: unknown key ages first, then oldest key first, then by name. */
  tunnels: ListedTunnel[];
}

/** A valid time from the API in milliseconds, or undefined. */
function parseTime(value: string | undefined): number | undefined {
  if (value === undefined || !DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

interface Entry {
  tunnel: ListedTunnel;
  generatedMs: number | undefined;
}

const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function compare(a: Entry, b: Entry): number {
  if (a.generatedMs !== b.generatedMs) {
    if (a.generatedMs === undefined) return -1;
    if (b.generatedMs === undefined) return 1;
    return a.generatedMs - b.generatedMs;
  }
  return (
    byName.compare(a.tunnel.tunnel_name, b.tunnel.tunnel_name) ||
    (a.tunnel.ipsec_tunnel_id < b.tunnel.ipsec_tunnel_id ? -1 : 1)
  );
}

/**
 * Lists the account's IPsec tunnels (one API request) with their key ages at `now`, filtered and sorted. API
 * failures are thrown as core's `PskError`.
 */
export async function listTunnels(
  client: PskClient,
  accountId: string,
  filter: TunnelFilter,
  now: Date,
  signal?: AbortSignal,
): Promise<TunnelListing> {
  const details = await client.listIpsecTunnels({ accountId, ...(signal ? { signal } : {}) });
  return describeListing(details, accountId, filter, now);
}

/** A listing read already (`client.listIpsecTunnels`), filtered and described as `listTunnels` does. */
export function describeListing(
  details: readonly IpsecTunnelDetails[],
  accountId: string,
  filter: TunnelFilter,
  now: Date,
): TunnelListing {
  const needle = filter.nameContains?.toLowerCase();
  const minAge = filter.minKeyAgeDays;
  const entries: Entry[] = [];
  for (const detail of details) {
    const generatedMs = parseTime(detail.lastGeneratedOn);
    const tunnel: ListedTunnel = {
      ipsec_tunnel_id: neutralizeText(detail.id, ID_MAX_LENGTH),
      tunnel_name: neutralizeText(detail.name, NAME_MAX_LENGTH),
      key_age_known: generatedMs !== undefined,
    };
    const description = neutralizeText(detail.description, DESCRIPTION_MAX_LENGTH);
    if (description !== '') tunnel.description = description;
    if (generatedMs !== undefined) {
      tunnel.last_generated_on = new Date(generatedMs).toISOString().replace(/\.000Z$/, 'Z');
      tunnel.key_age_days = Math.max(0, Math.floor((now.getTime() - generatedMs) / DAY_MS));
    }
    if (needle !== undefined && !tunnel.tunnel_name.toLowerCase().includes(needle)) continue;
    if (minAge !== undefined && tunnel.key_age_days !== undefined && tunnel.key_age_days < minAge) continue;
    entries.push({ tunnel, generatedMs });
  }
  entries.sort(compare);
  return { account_id: accountId, total: details.length, tunnels: entries.map((entry) => entry.tunnel) };
}
