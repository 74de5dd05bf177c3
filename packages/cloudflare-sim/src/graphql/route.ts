import type { SimAction } from '../actions.js';
import { attachmentFailureText } from '../attachment.js';
import { bearerToken } from '../auth.js';
import type { FaultQueue } from '../faults.js';
import { type Answers, perform } from '../perform.js';
import type { SimState } from '../state.js';
import type { RecordedRequest, SimAttachment, SimHealthOptions } from '../types.js';
import type { Work } from '../work.js';
import {
  graphqlFailure,
  healthAnswer,
  healthRows,
  queriedTunnels,
  readStates,
  withoutAverages,
} from './answer.js';
import { GraphqlError } from './parse.js';
import { type HealthQuery, QueryError, readHealthQuery } from './query.js';

/** What the health query needs from the simulator. */
export interface HealthQueryContext {
  /** Accounts and tunnels. */
  state: SimState;
  /** The clock. */
  now: () => Date;
  /** The simulator's own health model. */
  health: Required<SimHealthOptions>;
  /** The attachment, whose `tunnelState` replaces the model when given. */
  attachment: SimAttachment | undefined;
  /** Tokens without "Account Analytics Read". */
  withoutAnalytics: ReadonlySet<string>;
  /** Injected faults. */
  faults: FaultQueue;
  /** How answers are made. */
  answers: Answers;
}

/**
 * The health query (`POST /graphql`), once the request passed auth, the rate limit and the spec's body schema:
 * the query read and checked (400, GraphQL errors), the token's analytics permission and the account (403
 * "not authorized for that account", as Cloudflare words it), then faults, then the rows.
 */
export function routeHealthQuery(record: RecordedRequest, context: HealthQueryContext): SimAction {
  const { answers } = context;
  const now = context.now();
  const body = JSON.parse(record.body) as { query: string; variables?: unknown };
  let query: HealthQuery;
  try {
    query = readHealthQuery(body.query, body.variables, now.getTime());
  } catch (error) {
    if (!(error instanceof GraphqlError)) throw error;
    const path = error instanceof QueryError ? error.path : null;
    return answers.json(record, 400, graphqlFailure(error.message, path, now));
  }
  record.accountId = query.accountTag;
  const token = bearerToken(record.headers);
  const permitted = token === undefined || !context.withoutAnalytics.has(token);
  if (!permitted || !context.state.hasAccount(query.accountTag)) {
    const failure = graphqlFailure('not authorized for that account', ['viewer', 'accounts', '0'], now);
    return answers.json(record, 403, failure);
  }
  const fault = context.faults.take(record);
  const tunnels = queriedTunnels(context.state.tunnels(query.accountTag), query);
  return {
    kind: 'await',
    async next() {
      let readings: Awaited<ReturnType<typeof readStates>>;
      try {
        readings = await readStates(query.accountTag, tunnels, context.attachment);
      } catch (error) {
        const message = `unable to execute query: the simulator's attachment failed (tunnelState): ${attachmentFailureText(error)}`;
        return answers.json(record, 500, graphqlFailure(message, null, context.now()));
      }
      const rows = healthRows(query, readings, context.health, context.now().getTime());
      const work: Work<ReturnType<typeof healthAnswer>> = {
        run: () => healthAnswer(rows),
        withoutPsk: withoutAverages,
      };
      return perform(record, work as Work<unknown>, fault, answers);
    },
  };
}
