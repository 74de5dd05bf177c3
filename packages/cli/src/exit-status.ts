import type { FleetOutput, TunnelHealthOutput } from '@ipsec-psk/rotation';

/** Exit status. 5 and 6 are new with delivery and the health check; 0–4 keep their meaning. */
export const EXIT = {
  done: 0,
  unchanged: 1,
  usage: 2,
  partial: 3,
  unknown: 4,
  undelivered: 5,
  notUp: 6,
} as const;

/**
 * The exit status of a rotation or restore: an unknown outcome first (a key may be in doubt), then a failed
 * delivery (a tunnel is down now), then a delivered tunnel Cloudflare does not see up (down, or not known within
 * the wait), then keys not applied (those tunnels keep working on their old keys).
 */
export function exitFor(output: FleetOutput): number {
  switch (output.status) {
    case 'validated':
      return EXIT.done;
    case 'outcome_unknown':
      return EXIT.unknown;
    case 'completed':
      if (output.tunnels.some((tunnel) => tunnel.delivery?.result === 'failed')) return EXIT.undelivered;
      if (output.tunnels.some((tunnel) => tunnel.health && tunnel.health.state !== 'up')) return EXIT.notUp;
      return (output.not_applied ?? 0) + (output.not_sent ?? 0) > 0 ? EXIT.partial : EXIT.done;
    default:
      return EXIT.unchanged;
  }
}

/** The exit status of `ipsec-psk health`: 0 when Cloudflare sees every tunnel up. */
export function exitForHealth(report: readonly TunnelHealthOutput[]): number {
  return report.every((tunnel) => tunnel.health.state === 'up') ? EXIT.done : EXIT.notUp;
}
