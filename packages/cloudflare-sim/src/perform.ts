import type { SimAction } from './actions.js';
import type { CloudflareMessage } from './envelope.js';
import { errorForStatus } from './envelope.js';
import { persistsFirst } from './faults.js';
import { graphqlFailure, graphqlMessageForStatus } from './graphql/answer.js';
import type { RecordedRequest, SimFault } from './types.js';
import type { Work } from './work.js';

/** How the handler turns bodies into answers (checked against the spec) and settles stored keys. */
export interface Answers {
  /** A JSON answer, checked against the operation's schema for that status. */
  json(record: RecordedRequest, status: number, body: unknown, headers?: Record<string, string>): SimAction;
  /** A Cloudflare error envelope. */
  error(
    record: RecordedRequest,
    status: number,
    errors: CloudflareMessage[],
    headers?: Record<string, string>,
  ): SimAction;
  /** `action`, preceded by telling the attachment about the keys stored since the last call, if any. */
  settle(record: RecordedRequest, action: SimAction): SimAction;
  /** The clock. */
  now(): Date;
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8' };
}

/** What a request that passed every check gets, with the fault it drew (if any) acting on it. */
export function perform(
  record: RecordedRequest,
  work: Work<unknown>,
  fault: SimFault | undefined,
  answers: Answers,
): SimAction {
  const settled = (action: SimAction) => answers.settle(record, action);
  if (!fault) return settled(answers.json(record, 200, work.run(true)));
  const persist = persistsFirst(fault);
  switch (fault.type) {
    case 'delay': {
      if (persist) {
        const body = work.run(true);
        return settled({ kind: 'delay', ms: fault.ms, next: () => answers.json(record, 200, body) });
      }
      return { kind: 'delay', ms: fault.ms, next: () => settled(answers.json(record, 200, work.run(true))) };
    }
    case 'status': {
      work.run(persist);
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (record.operation === 'graphql') {
        const message = fault.message ?? graphqlMessageForStatus(fault.status);
        return answers.json(record, fault.status, graphqlFailure(message, null, answers.now()), headers);
      }
      const error = errorForStatus(fault.status);
      const errors = [fault.message === undefined ? error : { ...error, message: fault.message }];
      return settled(answers.error(record, fault.status, errors, headers));
    }
    case 'reset':
      work.run(persist);
      return settled({ kind: 'reset' });
    case 'truncate': {
      const body = JSON.stringify(work.run(persist));
      return settled({ kind: 'truncate', status: 200, headers: jsonHeaders(), body });
    }
    case 'omit-psk': {
      const body = JSON.stringify(work.withoutPsk(work.run(true)));
      return settled({ kind: 'respond', status: 200, headers: jsonHeaders(), body });
    }
    case 'invalid-json':
      work.run(true);
      return settled({
        kind: 'respond',
        status: 200,
        headers: jsonHeaders(),
        body: '{"success":true,"errors":[],"messages":[],"result":',
      });
    case 'unapply':
      // The work already leaves the fault's tunnels out; the answer itself is a valid one.
      return settled(answers.json(record, 200, work.run(true)));
    case 'graphql-error':
      // Only health queries draw it: a 200 whose query failed as a whole.
      return answers.json(
        record,
        200,
        graphqlFailure(fault.message ?? graphqlMessageForStatus(503), null, answers.now()),
      );
  }
}
