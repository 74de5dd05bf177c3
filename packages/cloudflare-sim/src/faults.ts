import type { SimFault, SimOperation, SimRequestFilter } from './types.js';

/** What identifies a request for fault matching and counting. */
export interface RequestKey {
  /** The operation it routed to, if any. */
  operation: SimOperation | undefined;
  /** Whether `validate_only=true` was sent. */
  validateOnly: boolean;
}

/** Whether a request matches a filter; `validateOnly` only ever matches `psk_generate`. */
export function matchesFilter(filter: SimRequestFilter | undefined, request: RequestKey): boolean {
  if (!filter) return true;
  if (filter.operation !== undefined && filter.operation !== request.operation) return false;
  if (filter.validateOnly !== undefined) {
    return request.operation === 'psk_generate' && request.validateOnly === filter.validateOnly;
  }
  return true;
}

/** Whether the rotation happens before the fault acts, with each type's documented default. */
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
    const index = this.#queue.findIndex((entry) => matchesFilter(entry.fault.match, request));
    const entry = this.#queue[index];
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.#queue.splice(index, 1);
    return entry.fault;
  }
}

function assertValid(fault: SimFault): void {
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
  }
}
