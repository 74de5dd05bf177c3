// The answers of the tunnel health query: the rows the simulator's health model (or the attachment) gives, and
// GraphQL error bodies in the shape Cloudflare documents (`data: null`, `errors[]` with `path` and a timestamp).
import type { TunnelRecord } from '../state.js';
import type { SimAttachment, SimHealthOptions } from '../types.js';
import { DATASET, type HealthQuery } from './query.js';

/** Data centres that report tunnel health, in the order the simulator uses them. */
export const COLOS = [
  'ams01',
  'fra02',
  'lhr01',
  'cdg01',
  'iad02',
  'ord02',
  'sjc01',
  'nrt01',
  'sin01',
  'syd01',
  'gru01',
  'jnb01',
] as const;
/** How many data centres report each tunnel unless `health.colos` says otherwise. */
export const DEFAULT_COLOS = 3;
/** The simulator's health checks run every 10 s per data centre (Cloudflare's real rate is undocumented). */
const SAMPLE_MS = 10_000;

/** What a health query's answer is made of: the tunnel, and its state from the attachment or the model. */
export interface TunnelHealthReading {
  tunnel: TunnelRecord;
  state: number | undefined;
}

/** A GraphQL answer whose query failed as a whole. */
export function graphqlFailure(message: string, path: (string | number)[] | null, now: Date) {
  return { data: null, errors: [{ message, path, extensions: { timestamp: now.toISOString() } }] };
}

/** Cloudflare's words for a failure with this status, for injected faults that name no message. */
export function graphqlMessageForStatus(status: number): string {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'not authorized for that account';
  if (status === 429) return 'rate limiter budget depleted, try again after 5 minutes';
  if (status >= 500) return 'unable to execute query, please try again later';
  return 'error parsing args';
}

/** Checks the health options; RangeError for a nonsensical one. */
export function checkHealthOptions(options: SimHealthOptions = {}): Required<SimHealthOptions> {
  const colos = options.colos ?? DEFAULT_COLOS;
  const lagMs = options.lagMs ?? 0;
  if (!Number.isInteger(colos) || colos < 0 || colos > COLOS.length) {
    throw new RangeError(`health.colos must be an integer from 0 to ${COLOS.length}`);
  }
  if (!Number.isFinite(lagMs) || lagMs < 0) throw new RangeError('health.lagMs must be >= 0');
  return { colos, lagMs };
}

/** The tunnels of the account the query names, in configured order. */
export function queriedTunnels(tunnels: readonly TunnelRecord[], query: HealthQuery): TunnelRecord[] {
  return tunnels.filter((tunnel) => query.tunnelNames?.has(tunnel.name) ?? true);
}

/**
 * Each queried tunnel's state: the attachment's answer when it has `tunnelState`, else the simulator's own model.
 * A tunnel without health checks has no data either way. Throws what the attachment throws, or a TypeError for an
 * answer that is not a state.
 */
export async function readStates(
  accountId: string,
  tunnels: readonly TunnelRecord[],
  attachment: SimAttachment | undefined,
): Promise<TunnelHealthReading[]> {
  return Promise.all(
    tunnels.map(async (tunnel) => {
      if (!tunnel.healthCheck.enabled) return { tunnel, state: undefined };
      if (!attachment?.tunnelState) return { tunnel, state: tunnel.tunnelState };
      const state = await attachment.tunnelState({ accountId, tunnelId: tunnel.id, tunnelName: tunnel.name });
      if (state !== undefined && !(typeof state === 'number' && state >= 0 && state <= 1)) {
        throw new TypeError('tunnelState must return a number from 0 to 1, or undefined');
      }
      return { tunnel, state };
    }),
  );
}

/**
 * The dataset's rows for the query: one per tunnel with data and reporting data centre, over the part of the
 * window whose results are in (the last `lagMs` are not yet), `count` only when selected, at most `limit` rows.
 */
export function healthRows(
  query: HealthQuery,
  readings: readonly TunnelHealthReading[],
  health: Required<SimHealthOptions>,
  now: number,
): Record<string, unknown>[] {
  const visibleEnd = Math.min(query.end, now - health.lagMs);
  if (visibleEnd <= query.start) return [];
  const count = Math.max(1, Math.ceil((visibleEnd - query.start) / SAMPLE_MS));
  const rows: Record<string, unknown>[] = [];
  for (const { tunnel, state } of readings) {
    if (state === undefined) continue;
    for (const colo of COLOS.slice(0, health.colos)) {
      rows.push({
        ...(query.select.count ? { count } : {}),
        avg: { tunnelState: state },
        dimensions: { tunnelName: tunnel.name, edgeColoName: colo },
      });
    }
  }
  return rows.slice(0, query.limit);
}

/** The 200 answer around the rows. */
export function healthAnswer(rows: Record<string, unknown>[]) {
  return { data: { viewer: { accounts: [{ [DATASET]: rows }] } }, errors: null };
}

/** The answer without each row's `avg`: what the `omit-psk` fault makes of a health answer. */
export function withoutAverages(body: ReturnType<typeof healthAnswer>): ReturnType<typeof healthAnswer> {
  const rows = body.data.viewer.accounts[0]?.[DATASET] ?? [];
  return healthAnswer(rows.map(({ avg: _avg, ...rest }) => rest));
}
