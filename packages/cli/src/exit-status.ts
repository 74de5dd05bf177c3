import type { FleetOutput } from '@ipsec-psk/rotation';

/** Exit status. 5 is new with delivery; 0–4 keep their meaning. */
export const EXIT = { done: 0, unchanged: 1, usage: 2, partial: 3, unknown: 4, undelivered: 5 } as const;

/**
 * The exit status of a rotation or restore: an unknown outcome first (a key may be in doubt), then a failed
 * delivery (a tunnel is down now), then keys not applied (those tunnels keep working on their old keys).
 */
export function exitFor(output: FleetOutput): number {
  switch (output.status) {
    case 'validated':
      return EXIT.done;
    case 'outcome_unknown':
      return EXIT.unknown;
    case 'completed':
      if (output.tunnels.some((tunnel) => tunnel.delivery?.result === 'failed')) return EXIT.undelivered;
      return (output.not_applied ?? 0) + (output.not_sent ?? 0) > 0 ? EXIT.partial : EXIT.done;
    default:
      return EXIT.unchanged;
  }
}
