// What a tunnel health query asks for, read from the parsed document and its variables, and refused in Cloudflare's
// words when it asks for anything the simulator does not serve: one account's
// `magicTransitTunnelHealthChecksAdaptiveGroups`, filtered on time and tunnel names, selecting `count`,
// `avg { tunnelState }` and `dimensions { tunnelName edgeColoName }`.
import { type GqlField, GraphqlError, parseQuery, resolveValue } from './parse.js';

/** The dataset the simulator serves. */
export const DATASET = 'magicTransitTunnelHealthChecksAdaptiveGroups';
/** The longest window one query may cover: one week (Cloudflare: "up to one week of data"). */
export const MAX_DURATION_SECONDS = 604_800;
/** How far back a window may start: about three months (Cloudflare: "dates up to three months in the past"). */
export const NOT_OLDER_THAN_SECONDS = 7_776_000;
/** The largest page (`limit`) the simulator accepts; Cloudflare's real figure is per account. */
export const MAX_PAGE_SIZE = 10_000;

/** A health query the simulator can answer. */
export interface HealthQuery {
  /** The account (`accountTag`). */
  accountTag: string;
  /** Window start, ms since the epoch, inclusive. */
  start: number;
  /** Window end, ms since the epoch, exclusive. */
  end: number;
  /** Only these tunnel names; undefined for every tunnel. */
  tunnelNames: ReadonlySet<string> | undefined;
  /** The most rows to answer. */
  limit: number;
  /** Which fields each row carries. */
  select: { count: boolean; tunnelState: boolean; tunnelName: boolean; edgeColoName: boolean };
}

/** A GraphQL error with the path of the node it is about (null: about the document as a whole). */
export class QueryError extends GraphqlError {
  constructor(
    message: string,
    readonly path: (string | number)[] | null = null,
  ) {
    super(message);
  }
}

const DATASET_PATH = ['viewer', 'accounts', 0, DATASET];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The only field of `fields`, which must be `name` without an alias. */
function only(fields: GqlField[], name: string, path: (string | number)[]): GqlField {
  const [field, ...rest] = fields;
  const extra = rest[0] ?? (field?.name === name ? undefined : field);
  if (extra) throw new QueryError(`unknown field "${extra.name}"`, [...path, extra.name]);
  if (!field) throw new QueryError(`expected the field "${name}"`, path);
  if (field.alias !== undefined) throw new QueryError('aliases are not supported by the simulator', path);
  return field;
}

function argumentsOf(
  field: GqlField,
  allowed: string[],
  variables: Record<string, unknown>,
  path: (string | number)[],
) {
  const values: Record<string, unknown> = {};
  for (const [name, value] of field.args) {
    if (!allowed.includes(name)) throw new QueryError(`unknown argument "${name}" on "${field.name}"`, path);
    values[name] = resolveValue(value, variables);
  }
  return values;
}

function datetime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new QueryError(`error parsing args: ${name} must be an RFC 3339 time`, DATASET_PATH);
  return ms;
}

function names(filter: Record<string, unknown>): ReadonlySet<string> | undefined {
  const one = filter.tunnelName ?? undefined;
  const many = filter.tunnelName_in ?? undefined;
  if (one === undefined && many === undefined) return undefined;
  if (one !== undefined && typeof one !== 'string') {
    throw new QueryError('error parsing args: tunnelName must be a string', DATASET_PATH);
  }
  if (many !== undefined && (!Array.isArray(many) || many.some((name) => typeof name !== 'string'))) {
    throw new QueryError('error parsing args: tunnelName_in must be a list of strings', DATASET_PATH);
  }
  const listed = new Set<string>((many as string[] | undefined) ?? [one as string]);
  // Both given means both must hold: filters combine with AND.
  return one !== undefined && many !== undefined
    ? new Set([...listed].filter((name) => name === one))
    : listed;
}

function window(filter: Record<string, unknown>, now: number): { start: number; end: number } {
  const geq = datetime(filter.datetime_geq, 'datetime_geq');
  const gt = datetime(filter.datetime_gt, 'datetime_gt');
  const lt = datetime(filter.datetime_lt, 'datetime_lt');
  const leq = datetime(filter.datetime_leq, 'datetime_leq');
  const start = geq ?? (gt === undefined ? undefined : gt + 1);
  const end = lt ?? (leq === undefined ? undefined : leq + 1);
  if (start === undefined || end === undefined) {
    throw new QueryError(
      'the filter needs a time range: datetime_geq (or _gt) and datetime_lt (or _leq)',
      DATASET_PATH,
    );
  }
  if (end - start > MAX_DURATION_SECONDS * 1000) {
    throw new QueryError(`query time range is too large: at most ${MAX_DURATION_SECONDS}s`, DATASET_PATH);
  }
  if (start < now - NOT_OLDER_THAN_SECONDS * 1000) {
    throw new QueryError(`cannot request data older than ${NOT_OLDER_THAN_SECONDS}s`, DATASET_PATH);
  }
  return { start, end };
}

const FILTER_KEYS = [
  'datetime_geq',
  'datetime_gt',
  'datetime_lt',
  'datetime_leq',
  'tunnelName',
  'tunnelName_in',
];

function selection(fields: GqlField[]): HealthQuery['select'] {
  const select = { count: false, tunnelState: false, tunnelName: false, edgeColoName: false };
  const leaf = (field: GqlField, path: (string | number)[]) => {
    if (field.alias !== undefined) throw new QueryError('aliases are not supported by the simulator', path);
    if (field.args.length > 0 || field.selections.length > 0)
      throw new QueryError(`"${field.name}" is a scalar field`, path);
  };
  for (const field of fields) {
    const path = [...DATASET_PATH, field.name];
    const group =
      field.name === 'avg'
        ? ['tunnelState']
        : field.name === 'dimensions'
          ? ['tunnelName', 'edgeColoName']
          : undefined;
    if (field.name === 'count') {
      leaf(field, path);
      select.count = true;
    } else if (group) {
      if (field.alias !== undefined || field.args.length > 0)
        throw new QueryError(`"${field.name}" takes no alias or arguments`, path);
      if (field.selections.length === 0) throw new QueryError(`"${field.name}" needs a selection`, path);
      for (const inner of field.selections) {
        if (!group.includes(inner.name))
          throw new QueryError(`unknown field "${inner.name}"`, [...path, inner.name]);
        leaf(inner, [...path, inner.name]);
        select[inner.name as keyof typeof select] = true;
      }
    } else throw new QueryError(`unknown field "${field.name}"`, path);
  }
  // The spec describes the answer to the health query, so the simulator answers only that: rows without the state
  // or the names would be another query's answer.
  if (!select.tunnelState || !select.tunnelName || !select.edgeColoName) {
    throw new QueryError(
      'the simulator answers the tunnel health query only: select avg { tunnelState } and dimensions { tunnelName edgeColoName }',
      DATASET_PATH,
    );
  }
  return select;
}

/** Reads a tunnel health query; throws QueryError (a GraphQL error) for anything else. */
export function readHealthQuery(query: string, rawVariables: unknown, now: number): HealthQuery {
  const variables = isRecord(rawVariables) ? rawVariables : {};
  const operation = parseQuery(query);
  const viewer = only(operation.selections, 'viewer', []);
  if (viewer.args.length > 0) throw new QueryError('"viewer" takes no arguments', ['viewer']);
  const accounts = only(viewer.selections, 'accounts', ['viewer']);
  const accountFilter = argumentsOf(accounts, ['filter'], variables, ['viewer', 'accounts']).filter;
  const accountTag = isRecord(accountFilter) ? accountFilter.accountTag : undefined;
  if (
    typeof accountTag !== 'string' ||
    accountTag === '' ||
    Object.keys(accountFilter as object).length !== 1
  ) {
    throw new QueryError('an account-scoped query needs exactly one accountTag filter', [
      'viewer',
      'accounts',
    ]);
  }
  const dataset = only(accounts.selections, DATASET, ['viewer', 'accounts', 0]);
  const args = argumentsOf(dataset, ['limit', 'filter'], variables, DATASET_PATH);
  const limit = args.limit;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_PAGE_SIZE) {
    throw new QueryError(`limit must be positive number and not greater than ${MAX_PAGE_SIZE}`, DATASET_PATH);
  }
  const filter = isRecord(args.filter) ? args.filter : {};
  const unknown = Object.keys(filter).find((key) => !FILTER_KEYS.includes(key));
  if (unknown !== undefined) throw new QueryError(`unknown field "${unknown}" in the filter`, DATASET_PATH);
  return {
    accountTag,
    ...window(filter, now),
    tunnelNames: names(filter),
    limit: limit as number,
    select: selection(dataset.selections),
  };
}
