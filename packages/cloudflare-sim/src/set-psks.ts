import type { SimState, TunnelRecord } from './state.js';
import { pskMetadata } from './views.js';

/** One entry of a `set_psks` body's `psks`. */
export interface PskEntry {
  /** Tunnel id. */
  id: string;
  /** The key to set. */
  psk: string;
}

/** Tunnels an `unapply` fault keeps from being applied, and what to tell the client. */
export interface Unapply {
  /** Tunnel ids to leave unapplied. */
  tunnels: ReadonlySet<string>;
  /** The reason reported in `unapplied_psks`. */
  reason: string;
}

/** The spec's `set_psks` result: per tunnel, the applied key or the reason it was not applied. */
export interface SetPsksResult {
  /** Applied keys by tunnel id. */
  successfully_applied_psks: Record<string, Record<string, unknown>>;
  /** Reasons by tunnel id. */
  unapplied_psks: Record<string, string>;
}

/** The reason for a tunnel the account does not have. */
export const TUNNEL_NOT_FOUND = 'IPsec tunnel not found';

/** The entries of a body that already passed spec validation. */
export function pskEntries(body: string): PskEntry[] {
  return (JSON.parse(body) as { psks: PskEntry[] }).psks;
}

/**
 * A JSON pointer to the first entry naming a tunnel listed before, or undefined. The result maps are keyed by
 * tunnel id, so a repeated id could not be reported unambiguously; the simulator refuses it rather than guess.
 */
export function repeatedTunnel(entries: readonly PskEntry[]): string | undefined {
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    if (seen.has(entry.id)) return `/psks/${index}/id`;
    seen.add(entry.id);
  }
  return undefined;
}

/** Decide each entry and, when `store`, store the applied keys. Returns the result and the tunnels it stored keys of. */
export function applyPsks(
  state: SimState,
  accountId: string,
  entries: readonly PskEntry[],
  options: { store: boolean; now: Date; unapply: Unapply | undefined },
): { result: SetPsksResult; stored: TunnelRecord[] } {
  const applied: [string, Record<string, unknown>][] = [];
  const unapplied: [string, string][] = [];
  const stored: TunnelRecord[] = [];
  for (const { id, psk } of entries) {
    const tunnel = state.find(accountId, id);
    // A missing tunnel is reported as such even when a fault names it: that is the more basic truth.
    if (!tunnel) unapplied.push([id, TUNNEL_NOT_FOUND]);
    else if (options.unapply?.tunnels.has(id)) unapplied.push([id, options.unapply.reason]);
    else {
      if (options.store) {
        state.setPsk(tunnel, psk, options.now);
        stored.push(tunnel);
      }
      applied.push([
        id,
        { ipsec_tunnel_id: id, ipsec_id: `${accountId}_${id}`, psk, psk_metadata: pskMetadata(tunnel) },
      ]);
    }
  }
  // fromEntries defines own properties, so an id such as `__proto__` stays an ordinary key.
  return {
    result: {
      successfully_applied_psks: Object.fromEntries(applied),
      unapplied_psks: Object.fromEntries(unapplied),
    },
    stored,
  };
}
