import type { CallContext, CallKind } from '../call-context.js';
import { isRecord } from '../envelope.js';
import { PskError } from '../errors.js';
import type { components, operations } from '../generated/openapi.js';
import type { ApiCall, RawResponse } from '../transport.js';
import { neutralizeText } from '../untrusted.js';
import { graphqlFailure } from './graphql-errors.js';

const PATH = '/graphql';
// The fields sent and read, checked against the generated types: a field renamed in the spec fails to compile.
type Request = operations['analytics-graphql-query']['requestBody']['content']['application/json'];
type Answer = operations['analytics-graphql-query']['responses'][200]['content']['application/json'];
type Group = components['schemas']['analytics_tunnel_health_group'];
const DATA = 'data' satisfies keyof Answer;
const ERRORS = 'errors' satisfies keyof Answer;
const VIEWER = 'viewer' satisfies keyof NonNullable<Answer['data']>;
const ACCOUNTS = 'accounts' satisfies keyof NonNullable<Answer['data']>['viewer'];
const DATASET = 'magicTransitTunnelHealthChecksAdaptiveGroups' satisfies keyof NonNullable<
  Answer['data']
>['viewer']['accounts'][number];
const COUNT = 'count' satisfies keyof Group;
const AVG = 'avg' satisfies keyof Group;
const TUNNEL_STATE = 'tunnelState' satisfies keyof Group['avg'];
const DIMENSIONS = 'dimensions' satisfies keyof Group;
const TUNNEL_NAME = 'tunnelName' satisfies keyof Group['dimensions'];
const COLO = 'edgeColoName' satisfies keyof Group['dimensions'];

/** The most tunnel names one `getTunnelHealth` call asks about. */
export const TUNNEL_HEALTH_MAX_NAMES = 20;
/** Rows asked for per tunnel: more than the data centres that probe one tunnel. */
const ROWS_PER_TUNNEL = 500;
/** The longest window the dataset accepts in one query: one week. */
const MAX_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** The longest tunnel name accepted (Cloudflare documents none; names are short identifiers). */
const NAME_MAX_LENGTH = 256;
/** The longest data centre name kept (they are short codes such as `ams01`). */
const COLO_MAX_LENGTH = 64;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

// The one query sent: one account's tunnel health checks in the window, per tunnel and data centre. Variables
// carry every value from outside, so no name can change the document; only the limit, our own number, is inline.
// The variable types follow Cloudflare's documented example.
const query = (
  limit: number,
) => `query TunnelHealth($accountTag: string!, $since: string!, $until: string!, $tunnelNames: [string!]!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      ${DATASET}(
        limit: ${limit}
        filter: { datetime_geq: $since, datetime_lt: $until, tunnelName_in: $tunnelNames }
      ) {
        count
        avg { tunnelState }
        dimensions { tunnelName edgeColoName }
      }
    }
  }
}`;

/** Arguments of `getTunnelHealth`. */
export interface GetTunnelHealthInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** The tunnels' names (their `name`, which the health data is keyed by), 1 to 20; matched exactly. */
  tunnelNames: readonly string[];
  /** Start of the window, inclusive: a Date or an RFC 3339 time, e.g. when the device got the new key. */
  since: Date | string;
  /** End of the window, exclusive; default now. At most one week after `since`. */
  until?: Date | string | undefined;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** One data centre's view of one tunnel over the window. */
export interface TunnelHealthSample {
  /** The tunnel's name, exactly as asked for. */
  tunnelName: string;
  /** The Cloudflare data centre that probed it (e.g. `ams01`), neutralised: API text. */
  colo: string;
  /** The average state over the window: 0 down, 0.5 degraded, 1 healthy. */
  state: number;
  /** How many health-check results the average holds, when Cloudflare said (adaptively sampled: not exact). */
  count: number | undefined;
}

/** What Cloudflare reports of one tunnel asked about. */
export interface TunnelHealthEntry {
  /** The name, exactly as asked for: match on this. */
  tunnelName: string;
  /** The name neutralised for display. */
  displayName: string;
  /** One sample per reporting data centre; empty when there are no results (yet): that is not "down". */
  samples: TunnelHealthSample[];
}

/** The health of the tunnels asked about, over the window. */
export interface TunnelHealth {
  accountId: string;
  /** The window queried, as sent (RFC 3339, UTC). */
  since: string;
  until: string;
  /** One entry per distinct name asked about, in the order given. */
  tunnels: TunnelHealthEntry[];
  /** The answer filled the query's row limit, so some samples may be missing. */
  truncated: boolean;
}

function invalid(field: string, problem: string): PskError {
  return new PskError(`${field} ${problem}.`, { code: 'invalid_input', outcome: 'not_executed', field });
}

function checkNames(names: readonly string[] | undefined): string[] {
  if (!Array.isArray(names) || names.length === 0)
    throw invalid('tunnelNames', 'must list at least one name');
  const unique = [...new Set(names)];
  if (unique.length > TUNNEL_HEALTH_MAX_NAMES) {
    throw invalid(
      'tunnelNames',
      `lists ${unique.length} names; ask about at most ${TUNNEL_HEALTH_MAX_NAMES} at once`,
    );
  }
  unique.forEach((name, index) => {
    // The message names the entry, never its content: it is API text.
    if (typeof name !== 'string' || name.length === 0 || name.length > NAME_MAX_LENGTH) {
      throw invalid(`tunnelNames[${index}]`, `must be a name of 1 to ${NAME_MAX_LENGTH} characters`);
    }
  });
  return unique;
}

function checkTime(field: string, value: Date | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string' && RFC3339.test(value)
        ? Date.parse(value)
        : Number.NaN;
  if (!Number.isFinite(ms))
    throw invalid(field, 'must be a valid Date or an RFC 3339 time (e.g. 2026-11-27T00:20:00Z)');
  return ms;
}

/** A row as read, or undefined when it lacks a state in 0..1 or its names. */
function sampleOf(row: unknown): TunnelHealthSample | undefined {
  if (!isRecord(row) || !isRecord(row[AVG]) || !isRecord(row[DIMENSIONS])) return undefined;
  const state = row[AVG][TUNNEL_STATE];
  const name = row[DIMENSIONS][TUNNEL_NAME];
  const colo = row[DIMENSIONS][COLO];
  const count = row[COUNT];
  if (typeof state !== 'number' || !(state >= 0 && state <= 1)) return undefined;
  if (typeof name !== 'string' || typeof colo !== 'string') return undefined;
  return {
    tunnelName: name,
    colo: neutralizeText(colo, COLO_MAX_LENGTH),
    state,
    count: Number.isInteger(count) && (count as number) >= 0 ? (count as number) : undefined,
  };
}

/** The rows of a 200 answer, or the problem that makes it unusable (a GraphQL failure is thrown). */
function rowsOf(
  body: unknown,
  fail: (problem: string) => PskError,
  errorsOf: (errors: unknown[]) => PskError,
) {
  if (!isRecord(body)) throw fail('the body is not a JSON object');
  const errors = body[ERRORS];
  if (Array.isArray(errors) && errors.length > 0) throw errorsOf(errors);
  const accounts =
    isRecord(body[DATA]) && isRecord(body[DATA][VIEWER]) ? body[DATA][VIEWER][ACCOUNTS] : undefined;
  if (!Array.isArray(accounts) || !isRecord(accounts[0])) throw fail('the answer holds no account');
  const rows = accounts[0][DATASET];
  if (!Array.isArray(rows)) throw fail('the answer holds no health-check rows');
  return rows;
}

/**
 * Reads what Cloudflare's health checks saw of the named tunnels over the window (GraphQL Analytics API, dataset
 * magicTransitTunnelHealthChecksAdaptiveGroups). Needs "Account Analytics Read" (`analytics_forbidden` without).
 * Retried like every read: it changes nothing.
 */
export async function getTunnelHealth(
  context: CallContext,
  input: GetTunnelHealthInput,
): Promise<TunnelHealth> {
  const accountId = context.accountFor(input.accountId);
  const names = checkNames(input.tunnelNames);
  const now = context.now();
  const since = checkTime('since', input.since, now);
  const until = checkTime('until', input.until, now);
  if (since >= until) throw invalid('until', 'must be after since');
  if (until - since > MAX_WINDOW_MS)
    throw invalid('since', 'must be at most one week before until (Cloudflare’s limit)');
  const limit = Math.min(10_000, ROWS_PER_TUNNEL * names.length);
  const variables = {
    accountTag: accountId,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    tunnelNames: names,
  };
  const body: Request = { query: query(limit), variables };
  const operation = 'Reading tunnel health';
  const kind: CallKind = {
    persisting: false,
    keyBearing: false,
    refusal: (raw, standard) => graphqlFailure(context, kind, raw, standard, operation),
  };
  const send: ApiCall = ({ signal, middleware }) =>
    context.api().POST(PATH, { body, signal, redirect: 'manual', parseAs: 'stream', middleware });

  return context.retrying(input.signal, async () => {
    const { raw } = await context.receive(send, input.signal, operation, kind);
    const rows = rowsOf(
      parse(raw),
      (problem) => context.invalidResponse(raw, operation, kind, problem),
      (errors) => graphqlFailure(context, kind, { ...raw, body: { errors } }, undefined, operation),
    );
    const samples = rows.map(sampleOf);
    if (samples.some((sample) => sample === undefined)) {
      throw context.invalidResponse(
        raw,
        operation,
        kind,
        'some rows lack a state from 0 to 1 or their names',
      );
    }
    // Rows are matched to the names asked about exactly; rows of other tunnels are not this answer's.
    const tunnels = names.map((name) => ({
      tunnelName: name,
      displayName: neutralizeText(name),
      samples: (samples as TunnelHealthSample[]).filter((sample) => sample.tunnelName === name),
    }));
    return {
      accountId,
      since: variables.since,
      until: variables.until,
      tunnels,
      truncated: rows.length >= limit,
    };
  });
}

function parse(raw: RawResponse): unknown {
  if (typeof raw.body !== 'string') return raw.body;
  try {
    return JSON.parse(raw.body);
  } catch {
    return undefined;
  }
}
