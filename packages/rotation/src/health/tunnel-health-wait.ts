import { setTimeout as delay } from 'node:timers/promises';
import {
  classifyHealth,
  type HealthVerdict,
  isPskError,
  type PskClient,
  TUNNEL_HEALTH_MAX_NAMES,
} from '@ipsec-psk/core';
import type { HealthOutput } from '../output.js';

// Whether Cloudflare sees a tunnel up again after its device got the new key. Cloudflare's health-check data runs
// behind by an undocumented lag (tens of seconds to minutes), so the wait is bounded and "no data yet" is never
// "down": the result is `unknown` with the way to ask again. Each poll asks about at most 20 tunnels in one query
// over a sliding window that starts no earlier than the delivery, so a sample from before the new key never counts.

/** How long to wait for Cloudflare to see delivered tunnels up, and how often to ask. */
export interface HealthWaitOptions {
  /** The whole wait's bound, in milliseconds; 0 turns the check off. */
  waitMs: number;
  /** Between polls; default 10 s. */
  pollMs?: number | undefined;
  /** How many data centres must report before up or down is said; default core's (3). */
  minColos?: number | undefined;
  /** Waits; default a real timer. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  now?: (() => Date) | undefined;
}

/** A tunnel whose key reached its device at `since`. */
export interface HealthTarget {
  tunnelId: string;
  /** The tunnel's name: the health data is keyed by it. */
  name: string | undefined;
  since: Date;
  /** Cloudflare's `health_check.enabled`; false means there is no data to wait for. */
  healthCheckEnabled?: boolean | undefined;
}

/** Progress of the wait, for a front end that keeps its user (and its client's timeout) informed. */
export type HealthProgress = (message: string) => void;

const DEFAULT_POLL_MS = 10_000;
/** Research on the dataset: windows longer than this add stale samples without adding news. */
const WINDOW_MS = 3 * 60_000;
const HOW_TO_ASK_AGAIN = 'ask again later (check_ipsec_tunnel_health, or `ipsec-psk health`)';

function output(state: HealthOutput['state'], detail: string, at: Date, colos?: number): HealthOutput {
  return { state, detail, checked_at: at.toISOString(), ...(colos === undefined ? {} : { colos }) };
}

/** A verdict that is not up, once the wait is over: says what the wait saw and what to try. */
function finalDetail(
  verdict: HealthVerdict | undefined,
  waitedS: number,
  failure: string | undefined,
): string {
  if (failure) return `Cloudflare's health data could not be read (${failure}); ${HOW_TO_ASK_AGAIN}.`;
  if (!verdict) return `No verdict within ${waitedS} s; ${HOW_TO_ASK_AGAIN}.`;
  if (verdict.state === 'down') {
    return (
      `${verdict.detail} (after ${waitedS} s). Check the key and IKE identity on the device, that it re-initiated, ` +
      'and its route for health-check replies.'
    );
  }
  return `${verdict.detail} Still not decided after ${waitedS} s: Cloudflare's data runs behind; ${HOW_TO_ASK_AGAIN}.`;
}

/**
 * Polls Cloudflare's tunnel health until every target is up or the wait is over. Never throws: a failure to read
 * health is an `unknown` with its reason (a missing Account Analytics Read permission ends the wait at once).
 */
export async function awaitTunnelHealth(
  client: PskClient,
  accountId: string,
  targets: readonly HealthTarget[],
  options: HealthWaitOptions,
  onProgress?: HealthProgress,
): Promise<Map<string, HealthOutput>> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const results = new Map<string, HealthOutput>();
  const pending = new Map<string, HealthTarget>();
  for (const target of targets) {
    if (target.healthCheckEnabled === false) {
      results.set(
        target.tunnelId,
        output(
          'unknown',
          'Cloudflare runs no health checks on this tunnel, so there is nothing to wait for.',
          now(),
        ),
      );
    } else if (!target.name) {
      results.set(
        target.tunnelId,
        output('unknown', 'The tunnel’s name is not known, and health is kept by name.', now()),
      );
    } else {
      pending.set(target.tunnelId, target);
    }
  }
  const started = now().getTime();
  const deadline = started + options.waitMs;
  const latest = new Map<string, HealthVerdict>();
  let failure: string | undefined;
  while (pending.size > 0) {
    failure = await pollOnce(client, accountId, [...pending.values()], options, now, latest).catch(
      (error: unknown) => describe(error),
    );
    for (const [id, target] of pending) {
      const verdict = latest.get(id);
      if (verdict?.state === 'up') {
        results.set(id, output('up', verdict.detail, now(), verdict.colos));
        pending.delete(id);
        onProgress?.(`Cloudflare sees tunnel ${target.tunnelId} up again.`);
      }
    }
    const left = deadline - now().getTime();
    if (pending.size === 0 || left <= 0 || failure === FORBIDDEN) break;
    onProgress?.(
      `Waiting for Cloudflare to see ${pending.size} tunnel(s) up (${Math.ceil(left / 1000)} s left).`,
    );
    await sleep(Math.min(options.pollMs ?? DEFAULT_POLL_MS, left));
  }
  const waitedS = Math.round((now().getTime() - started) / 1000);
  for (const id of pending.keys()) {
    const verdict = latest.get(id);
    const state = verdict?.state === 'down' && !failure ? 'down' : 'unknown';
    results.set(id, output(state, finalDetail(verdict, waitedS, failure), now(), verdict?.colos));
  }
  return results;
}

const FORBIDDEN = 'the API token lacks Account Analytics Read';

function describe(error: unknown): string {
  if (isPskError(error)) {
    if (error.code === 'analytics_forbidden') return FORBIDDEN;
    return error.code;
  }
  return 'unexpected error';
}

/** One round of queries; records each tunnel's verdict. Resolves to undefined, or throws what the client threw. */
async function pollOnce(
  client: PskClient,
  accountId: string,
  targets: readonly HealthTarget[],
  options: HealthWaitOptions,
  now: () => Date,
  latest: Map<string, HealthVerdict>,
): Promise<undefined> {
  for (let start = 0; start < targets.length; start += TUNNEL_HEALTH_MAX_NAMES) {
    const chunk = targets.slice(start, start + TUNNEL_HEALTH_MAX_NAMES);
    const until = now().getTime();
    // The window starts at the latest delivery of the chunk, so no sample from before a new key counts.
    const since = Math.max(until - WINDOW_MS, ...chunk.map((target) => target.since.getTime()));
    const health = await client.getTunnelHealth({
      accountId,
      tunnelNames: chunk.map((target) => target.name ?? ''),
      since: new Date(Math.min(since, until - 1)),
      until: new Date(until),
    });
    for (const target of chunk) {
      const entry = health.tunnels.find((tunnel) => tunnel.tunnelName === target.name);
      latest.set(target.tunnelId, classifyHealth(entry?.samples ?? [], { minColos: options.minColos }));
    }
  }
  return undefined;
}
