import { describe, expect, it } from 'vitest';
import { CLOCK_MARGIN_MS, decideRotated } from './check-back.js';

const sent = Date.parse('2026-11-27T10:00:00.400Z');
const longAgo = '2025-01-15T09:30:00Z';

describe('#7.8 decideRotated: from the time the call was sent, never a false "no"', () => {
  it.each([
    ['the key age moved forward', longAgo, '2026-11-27T10:00:00Z', 'yes'],
    ['a first key appeared on a tunnel that had none', null, '2026-11-27T10:00:00Z', 'yes'],
    ['unchanged and long before the call', longAgo, longAgo, 'no'],
    ['no reading before, and the key is long older than the call', undefined, longAgo, 'no'],
    [
      'unchanged, but within the same second as the call',
      '2026-11-27T10:00:00Z',
      '2026-11-27T10:00:00Z',
      'unknown',
    ],
    [
      'unchanged, minutes before the call (clocks may disagree)',
      '2026-11-27T09:57:00Z',
      '2026-11-27T09:57:00Z',
      'unknown',
    ],
    ['no reading before, and a key generated around the call', undefined, '2026-11-27T10:00:00Z', 'unknown'],
    ['no reading after', longAgo, undefined, 'unknown'],
    ['no key age after', longAgo, null, 'unknown'],
    ['the key age went backwards', '2026-11-27T10:00:00Z', longAgo, 'unknown'],
    ['an unreadable key age after', longAgo, 'yesterday', 'unknown'],
  ] as const)('%s → %s', (_case, before, after, expected) => {
    expect(decideRotated(before, after, sent)).toBe(expected);
  });

  it('the margin is what separates "no" from "unknown"', () => {
    const justOutside = new Date(sent - CLOCK_MARGIN_MS - 1000).toISOString();
    const justInside = new Date(sent - CLOCK_MARGIN_MS + 1000).toISOString();
    expect(decideRotated(justOutside, justOutside, sent)).toBe('no');
    expect(decideRotated(justInside, justInside, sent)).toBe('unknown');
  });
});
