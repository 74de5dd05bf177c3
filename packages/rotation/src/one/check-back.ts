import type { Rotated } from '../output.js';

export type { Rotated } from '../output.js';

// Our clock and Cloudflare's may disagree. A key generated within this margin of the moment the call was sent
// may be ours, whatever the clocks say; only a generation clearly older than that proves the call did nothing.
export const CLOCK_MARGIN_MS = 5 * 60_000;

/** When the tunnel's key was generated, as read: a time, `null` (readable, never generated) or unknown. */
export type KeyAge = string | null | undefined;

function parse(value: KeyAge): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Decides from the time the persisting call was sent, never from two timestamps being equal alone: Cloudflare's
 * `last_generated_on` has second precision, so a rotation within the same second as the one read before would
 * leave it unchanged. When in doubt the answer is `unknown`, never a false `no`.
 */
export function decideRotated(before: KeyAge, after: KeyAge, sentAtMs: number): Rotated {
  const afterMs = parse(after);
  if (afterMs === undefined) return 'unknown';
  if (before === null) return 'yes';
  const beforeMs = parse(before);
  if (beforeMs !== undefined && afterMs !== beforeMs) return afterMs > beforeMs ? 'yes' : 'unknown';
  // Unchanged, or no earlier reading: only a key generated well before the call proves the call did nothing.
  return afterMs < sentAtMs - CLOCK_MARGIN_MS ? 'no' : 'unknown';
}
