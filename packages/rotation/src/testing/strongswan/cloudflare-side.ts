import type { HarnessTunnel } from './config.js';
import type { StrongSwanHarness } from './harness.js';

// Cloudflare's side of a real-IKE test follows the simulator's state through its attachment: whenever the
// simulator stores a key for a tunnel (Generate PSK, Set PSKs), the daemon playing Cloudflare gets it before the
// client hears the answer, as Cloudflare's edge would; and the health query reports what that daemon sees of the
// tunnel, as Cloudflare's health checks would.

/** What the simulator tells its attachment after it stored a tunnel's key (the hook's argument). */
export interface PskChange {
  accountId: string;
  tunnelId: string;
  tunnelName: string;
  psk: string;
}

/** The simulator's attachment (`startSimulator({ attachment })`), structurally: no import of the simulator. */
export interface CloudflareAttachment {
  pskChanged(change: PskChange): Promise<void>;
  tunnelState(tunnel: { accountId: string; tunnelId: string }): Promise<number | undefined>;
}

/**
 * The attachment for a harness: a key stored for a tunnel id in `tunnels` is loaded on the Cloudflare daemon, and
 * that tunnel's health is 1 while the daemon's SA for it is up, 0 otherwise. Tunnels not in `tunnels` have no data.
 */
export function cloudflareDaemon(
  harness: StrongSwanHarness,
  tunnels: ReadonlyMap<string, HarnessTunnel>,
): CloudflareAttachment {
  return {
    async pskChanged(change) {
      const tunnel = tunnels.get(change.tunnelId);
      if (tunnel) await harness.setCloudflareKey(tunnel, change.psk);
    },
    async tunnelState({ tunnelId }) {
      const tunnel = tunnels.get(tunnelId);
      if (!tunnel) return undefined;
      return (await harness.isUp(tunnel, 'cloudflare')) ? 1 : 0;
    },
  };
}
