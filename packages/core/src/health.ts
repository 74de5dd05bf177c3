// Whether a tunnel is up, from what Cloudflare's health checks report per data centre. Rules from the research
// (scratch health.md §7, Cloudflare's tunnel health check reference): recovery passes through "degraded" (0.5)
// within seconds of the tunnel coming back and reaches "healthy" (1) only after up to 30 minutes, so degraded
// counts as up again; single data centres can be unhealthy for reasons of their own path, so a majority decides;
// and no results at all means the data is not in yet, never that the tunnel is down.
import { PskError } from './errors.js';
import type { TunnelHealthSample } from './ops/tunnel-health.js';

/** How many data centres must report before a verdict is given, unless `minColos` says otherwise. */
export const DEFAULT_MIN_COLOS = 3;

/** Options of `classifyHealth`. */
export interface ClassifyHealthOptions {
  /** How many data centres must report before up or down is said; default 3. */
  minColos?: number;
}

/** A verdict on one tunnel's health. */
export interface HealthVerdict {
  /** `up` (healthy or recovering), `down`, or `unknown` (too few results to say, or none yet). */
  state: 'up' | 'down' | 'unknown';
  /** One sentence saying why, for a person. */
  detail: string;
  /** How many data centres reported. */
  colos: number;
  /** How many of them saw the tunnel up (state 0.5 or more). */
  upColos: number;
  /** How many of them saw it healthy (state 1). */
  healthyColos: number;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Each data centre's state: the count-weighted mean of its samples (a sample without a count weighs 1). */
function perColo(samples: readonly TunnelHealthSample[]): number[] {
  const colos = new Map<string, { sum: number; weight: number }>();
  for (const sample of samples) {
    const weight = sample.count && sample.count > 0 ? sample.count : 1;
    const entry = colos.get(sample.colo) ?? { sum: 0, weight: 0 };
    entry.sum += sample.state * weight;
    entry.weight += weight;
    colos.set(sample.colo, entry);
  }
  return [...colos.values()].map(({ sum, weight }) => sum / weight);
}

/**
 * One tunnel's verdict from its samples (`getTunnelHealth`): `unknown` with no samples, never `down`; `unknown`
 * while fewer than `minColos` data centres report; `up` when at least half of them see it up (state ≥ 0.5:
 * degraded counts, as a tunnel coming back is degraded for up to 30 minutes); otherwise `down`.
 */
export function classifyHealth(
  samples: readonly TunnelHealthSample[],
  options: ClassifyHealthOptions = {},
): HealthVerdict {
  const minColos = options.minColos ?? DEFAULT_MIN_COLOS;
  if (!Number.isInteger(minColos) || minColos < 1) {
    throw new PskError('minColos must be a whole number of at least 1.', {
      code: 'invalid_input',
      outcome: 'not_executed',
      field: 'minColos',
    });
  }
  if (new Set(samples.map((sample) => sample.tunnelName)).size > 1) {
    throw new PskError('samples must all be of one tunnel: classify each tunnel on its own.', {
      code: 'invalid_input',
      outcome: 'not_executed',
      field: 'samples',
    });
  }
  const states = perColo(samples);
  const colos = states.length;
  const upColos = states.filter((state) => state >= 0.5).length;
  const healthyColos = states.filter((state) => state >= 1).length;
  const counts = { colos, upColos, healthyColos };
  if (colos === 0) {
    return {
      state: 'unknown',
      detail:
        'No health-check results yet: Cloudflare’s data runs behind by minutes, so this is not "down"; ask again.',
      ...counts,
    };
  }
  const seen = `${upColos} of ${plural(colos, 'data centre')} see it up`;
  if (colos < minColos) {
    return {
      state: 'unknown',
      detail: `Only ${plural(colos, 'data centre')} reported (${seen}); ${minColos} are needed to decide.`,
      ...counts,
    };
  }
  if (upColos * 2 >= colos) {
    const detail =
      healthyColos * 2 > colos
        ? `Up and healthy: ${seen}, ${healthyColos} healthy.`
        : `Up again but degraded, recovering (healthy can take up to 30 minutes): ${seen}.`;
    return { state: 'up', detail, ...counts };
  }
  return { state: 'down', detail: `Down: ${seen}.`, ...counts };
}
