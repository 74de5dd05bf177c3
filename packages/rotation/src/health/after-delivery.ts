import type { PskClient } from '@ipsec-psk/core';
import type { DeliveryOutput, HealthOutput } from '../output.js';
import type { TunnelFacts } from '../types.js';
import { awaitTunnelHealth, type HealthProgress, type HealthWaitOptions } from './tunnel-health-wait.js';

/** Whether a delivery put the key on the device itself (a config target only wrote text a person must apply). */
export function reachedDevice(delivery: DeliveryOutput | undefined): boolean {
  return delivery?.result === 'delivered' && (delivery.kind === 'strongswan' || delivery.kind === 'command');
}

/** A tunnel whose delivery is done, with what was known of it. */
export interface Delivered {
  tunnelId: string;
  facts: TunnelFacts;
  delivery: DeliveryOutput | undefined;
  /** When its delivery finished. */
  at: Date;
}

/**
 * Cloudflare's view of every tunnel whose key reached its device, after a bounded wait; none for the others (a
 * tunnel whose device does not have the key yet is down, and waiting for it would only delay the answer).
 */
export async function healthAfterDelivery(
  client: PskClient,
  accountId: string,
  tunnels: readonly Delivered[],
  options: HealthWaitOptions | undefined,
  onProgress?: HealthProgress,
): Promise<Map<string, HealthOutput>> {
  const targets = tunnels
    .filter((tunnel) => reachedDevice(tunnel.delivery))
    .map((tunnel) => ({
      tunnelId: tunnel.tunnelId,
      name: tunnel.facts.name,
      since: tunnel.at,
      healthCheckEnabled: tunnel.facts.details?.healthCheckEnabled,
    }));
  if (!options || options.waitMs <= 0 || targets.length === 0) return new Map();
  return awaitTunnelHealth(client, accountId, targets, options, onProgress);
}
