import { isPskError, neutralizeText, type PskClient } from '@ipsec-psk/core';
import { errorCode } from '../error-code.js';
import type { HealthOutput } from '../output.js';
import { NAME_MAX_LENGTH } from '../text/rotation-text.js';
import { awaitTunnelHealth, type HealthProgress } from './tunnel-health-wait.js';

/** Asking later whether tunnels are up: what a user runs when a rotation's wait ended without a verdict. */
export interface CheckHealthRequest {
  accountId: string;
  tunnelIds: readonly string[];
  /** How far back the samples may go; default 3 minutes (older ones say little about now). */
  sinceMs?: number | undefined;
  /** Keep asking until every tunnel is up or this long has passed; default 0: ask once. */
  waitMs?: number | undefined;
  pollMs?: number | undefined;
  now?: (() => Date) | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  onProgress?: HealthProgress | undefined;
}

/** One tunnel's health as `ipsec-psk health` and the health tool report it. */
export type TunnelHealthOutput = {
  ipsec_tunnel_id: string;
  /** The tunnel's name, neutralised. */
  tunnel_name?: string | undefined;
  health: HealthOutput;
};

const DEFAULT_SINCE_MS = 3 * 60_000;

/**
 * Each tunnel's health now, from Cloudflare's health checks: its name and whether it is health-checked read first
 * (the data is keyed by name), then one query per 20 tunnels. A tunnel that cannot be read is `unknown`, saying why.
 */
export async function checkTunnelHealth(
  client: PskClient,
  request: CheckHealthRequest,
): Promise<TunnelHealthOutput[]> {
  const now = request.now ?? (() => new Date());
  const since = new Date(now().getTime() - (request.sinceMs ?? DEFAULT_SINCE_MS));
  const read = await Promise.all(
    // Each tunnel once: the verdicts are keyed by id, and a repeated read would spend the quota for nothing.
    [...new Set(request.tunnelIds)].map(async (tunnelId) => {
      try {
        const tunnel = await client.getIpsecTunnel({ accountId: request.accountId, ipsecTunnelId: tunnelId });
        return { tunnelId, name: tunnel.name, healthCheckEnabled: tunnel.healthCheckEnabled, since };
      } catch (error) {
        // Our words only: the status and code, never Cloudflare's text (untrusted) in a verdict's detail.
        const status = isPskError(error) && error.status !== undefined ? `HTTP ${error.status}, ` : '';
        return { tunnelId, name: undefined, since, unreadable: `${status}${errorCode(error)}` };
      }
    }),
  );
  const health = await awaitTunnelHealth(
    client,
    request.accountId,
    read.filter((tunnel) => tunnel.unreadable === undefined),
    { waitMs: request.waitMs ?? 0, pollMs: request.pollMs, now, sleep: request.sleep },
    request.onProgress,
  );
  return read.map((tunnel) => {
    const name = neutralizeText(tunnel.name, NAME_MAX_LENGTH);
    return {
      ipsec_tunnel_id: tunnel.tunnelId,
      ...(name ? { tunnel_name: name } : {}),
      health: health.get(tunnel.tunnelId) ?? {
        state: 'unknown',
        detail: `The tunnel could not be read (${tunnel.unreadable ?? 'not checked'}): check its id and account.`,
        checked_at: now().toISOString(),
      },
    };
  });
}
