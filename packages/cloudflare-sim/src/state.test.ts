import { describe, expect, it } from 'vitest';
import { generatePsk, isoSeconds } from './state.js';

describe('generatePsk', () => {
  it('makes 32 characters of [A-Za-z0-9], different each time', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generatePsk()));
    expect(keys.size).toBe(200);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
    const used = new Set([...keys].join(''));
    expect(used.size).toBeGreaterThan(55);
  });
});

describe('isoSeconds', () => {
  it('writes UTC at second precision', () => {
    expect(isoSeconds(new Date('2026-11-27T00:20:00.999Z'))).toBe('2026-11-27T00:20:00Z');
  });
});
