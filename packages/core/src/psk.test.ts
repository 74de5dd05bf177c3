import { describe, expect, it } from 'vitest';
import { PskError } from './errors.js';
import { generatePsk } from './psk.js';

describe('generatePsk', () => {
  it('makes keys like Cloudflare’s: 32 letters and digits, wrapped as a Secret', () => {
    const key = generatePsk();
    expect(key.reveal()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(String(key)).toBe('[redacted]');
  });

  it('never repeats and uses the whole alphabet', () => {
    const keys = Array.from({ length: 200 }, () => generatePsk().reveal());
    expect(new Set(keys).size).toBe(200);
    const used = new Set(keys.join(''));
    expect(used.size).toBe(62);
  });

  it('takes another length within bounds, and names the field otherwise', () => {
    expect(generatePsk(64).length).toBe(64);
    for (const bad of [8, 200, 32.5]) {
      expect(() => generatePsk(bad)).toThrow(PskError);
    }
  });
});
