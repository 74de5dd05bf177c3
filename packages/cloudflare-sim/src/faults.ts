import { isPersisting } from './operations.js';
import type { SimFault, SimOperation, SimRequestFilter } from './types.js';

/** What an `unapply` fault says when it gives no reason. */
export const DEFAULT_UNAPPLY_REASON = 'PSK could not be applied';

/** The longest id the spec's `identifier` allows; a longer one can never appear in a valid request. */
const MAX_ID_LENGTH = 32;

/** What identifies a request for fault matching and counting. */
export interface RequestKey {
  /** The operation it routed to, if any. */
  operation: SimOperation | undefined;
  /** Whether `validate_only=true` was sent. */
  validateOnly: boolean;
}

/** Whether a request matches a filter; `validateOnly` only ever matches `psk_generate` and `set_psks`. */
export function matchesFilter(filter: SimRequestFilter | undefined, request: RequestKey): boolean {
  if (!filter) return true;
  if (filter.operation !== undefined && filter.operation !== request.operation) return false;
  if (filter.validateOnly !== undefined) {
    return isPersisting(request.operation) && request.validateOnly === filter.validateOnly;
  }
  return true;
}

/** Whether a fault acts on a request: its filter matches and it is one the fault is for (`unapply`, `graphql-error`). */
export function faultApplies(fault: SimFault, request: RequestKey): boolean {
  if (fault.type === 'unapply' && request.operation !== 'set_psks') return false;
  if (fault.type === 'graphql-error' && request.operation !== 'graphql') return false;
  return matchesFilter(fault.match, request);
}

/** Whether the change (a generated key, or set_psks keys) is stored before the fault acts, per type default. */
export function persistsFirst(fault: SimFault): boolean {
  switch (fault.type) {
    case 'delay':
    case 'reset':
    case 'truncate':
      return fault.persist ?? true;
    case 'status':
      return fault.persist ?? false;
    case 'omit-psk':
    case 'invalid-json':
    case 'unapply':
    case 'graphql-error':
      return true;
  }
}

/** Injected faults in order; each matching request consumes one use of the first fault that matches. */
export class FaultQueue {
  #queue: { fault: SimFault; left: number }[] = [];

  /** Queue a fault after checking it; throws RangeError for a nonsensical one. */
  add(fault: SimFault): void {
    assertValid(fault);
    this.#queue.push({ fault: structuredClone(fault), left: fault.times ?? 1 });
  }

  /** Drop every queued fault. */
  clear(): void {
    this.#queue = [];
  }

  /** Consume one use of the first fault matching the request. */
  take(request: RequestKey): SimFault | undefined {
    const index = this.#queue.findIndex((entry) => faultApplies(entry.fault, request));
    const entry = this.#queue[index];
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.#queue.splice(index, 1);
    return entry.fault;
  }
}

const FAULT_TYPES = new Set<string>([
  'delay',
  'status',
  'reset',
  'truncate',
  'omit-psk',
  'invalid-json',
  'unapply',
  'graphql-error',
]);

// Faults also arrive from untyped callers (the sandbox, tests written in JavaScript), so check what TypeScript would.
function assertValid(fault: SimFault): void {
  if (!FAULT_TYPES.has(fault?.type)) throw new RangeError('unknown fault type');
  const times = fault.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw new RangeError('fault.times must be a positive integer');
  if (fault.type === 'delay' && !(Number.isFinite(fault.ms) && fault.ms >= 0)) {
    throw new RangeError('delay fault needs ms >= 0');
  }
  if (fault.type === 'status') {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
      throw new RangeError('status fault needs a 4xx or 5xx status');
    }
    const retry = fault.retryAfterSeconds;
    if (retry !== undefined && !(Number.isInteger(retry) && retry >= 0)) {
      throw new RangeError('status fault retryAfterSeconds must be an integer >= 0');
    }
    if (fault.message !== undefined && (typeof fault.message !== 'string' || fault.message === '')) {
      throw new RangeError('status fault message must be a non-empty string');
    }
  }
  if (fault.type === 'unapply') assertValidUnapply(fault);
  if (fault.type === 'graphql-error') {
    if (fault.message !== undefined && (typeof fault.message !== 'string' || fault.message === '')) {
      throw new RangeError('graphql-error fault message must be a non-empty string');
    }
    const operation = fault.match?.operation;
    if (operation !== undefined && operation !== 'graphql') {
      throw new RangeError('graphql-error fault only applies to graphql');
    }
  }
}

function assertValidUnapply(fault: SimFault & { type: 'unapply' }): void {
  const { tunnels, reason } = fault;
  if (!Array.isArray(tunnels) || tunnels.length === 0) {
    throw new RangeError('unapply fault needs a non-empty tunnels list');
  }
  for (const id of tunnels as unknown[]) {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new RangeError(`unapply fault tunnels must be tunnel ids of 1..${MAX_ID_LENGTH} characters`);
    }
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.trim() === '')) {
    throw new RangeError('unapply fault reason must be a non-empty string');
  }
  const operation = fault.match?.operation;
  if (operation !== undefined && operation !== 'set_psks') {
    throw new RangeError('unapply fault only applies to set_psks');
  }
}
