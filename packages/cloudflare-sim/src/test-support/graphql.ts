import type { Simulator } from '../types.js';
import { authHeaders } from './http.js';

/**
 * The tunnel health query as @ipsec-psk/core sends it (packages/core/src/ops/tunnel-health.ts; core's integration
 * test sends its own against the simulator, so the two cannot drift apart unnoticed).
 */
export const HEALTH_QUERY = `query TunnelHealth($accountTag: string!, $since: string!, $until: string!, $tunnelNames: [string!]!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      magicTransitTunnelHealthChecksAdaptiveGroups(
        limit: 1000
        filter: { datetime_geq: $since, datetime_lt: $until, tunnelName_in: $tunnelNames }
      ) {
        count
        avg { tunnelState }
        dimensions { tunnelName edgeColoName }
      }
    }
  }
}`;

/** A GraphQL answer as the tests read it. */
export interface GraphqlAnswer {
  /** The data; null when the query failed as a whole. */
  data: {
    viewer: {
      accounts: {
        magicTransitTunnelHealthChecksAdaptiveGroups: {
          count?: number;
          avg?: { tunnelState: number };
          dimensions: { tunnelName: string; edgeColoName: string };
        }[];
      }[];
    };
  } | null;
  /** Errors; null on success. */
  errors:
    | { message: string; path?: (string | number)[] | null; extensions?: { timestamp?: string } }[]
    | null;
}

/** POST a GraphQL request (`body` replaces the JSON built from `query` and `variables`). */
export function graphql(
  sim: Simulator,
  request: {
    query?: string;
    variables?: Record<string, unknown>;
    body?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  },
): Promise<Response> {
  const body =
    request.body ??
    JSON.stringify({ query: request.query ?? HEALTH_QUERY, variables: request.variables ?? {} });
  return fetch(`${sim.url}/graphql`, {
    method: 'POST',
    headers: request.headers ?? authHeaders,
    body,
    ...(request.signal ? { signal: request.signal } : {}),
  });
}

/** The rows of a health answer, as `tunnelName@colo=state` strings for short assertions. */
export function rowsOf(answer: GraphqlAnswer): string[] {
  const rows = answer.data?.viewer.accounts[0]?.magicTransitTunnelHealthChecksAdaptiveGroups ?? [];
  return rows.map(
    (row) => `${row.dimensions.tunnelName}@${row.dimensions.edgeColoName}=${row.avg?.tunnelState}`,
  );
}
