import type { HealthOutput } from '../output.js';

// What a person (or the model) reads about whether the tunnel came back. Cloudflare's words never appear here:
// the detail is ours, built from counts.

/** The sentence about one tunnel's health after its delivery. */
export function healthSentence(health: HealthOutput): string {
  switch (health.state) {
    case 'up':
      return `Cloudflare sees the tunnel up again: ${health.detail}`;
    case 'down':
      return `Cloudflare still sees the tunnel DOWN: ${health.detail}`;
    default:
      return `Whether Cloudflare sees the tunnel up is not known yet: ${health.detail}`;
  }
}

/** One line of a fleet's health list. */
export function healthLine(tunnelId: string, health: HealthOutput): string {
  return `- ${tunnelId}: ${health.state === 'down' ? 'DOWN' : health.state} (${health.detail})`;
}

/** The fleet's health summary: how many tunnels Cloudflare sees up again. */
export function healthSummary(healths: readonly HealthOutput[]): string {
  const count = (state: HealthOutput['state']) => healths.filter((h) => h.state === state).length;
  const [up, down, unknown] = [count('up'), count('down'), count('unknown')];
  return (
    `Cloudflare's view after delivery: ${up} up` +
    (down ? `, ${down} DOWN` : '') +
    (unknown ? `, ${unknown} not known yet` : '') +
    '.'
  );
}
