import { describe, expect, it } from 'vitest';
import { classifyHealth, DEFAULT_MIN_COLOS } from './health.js';
import type { TunnelHealthSample } from './ops/tunnel-health.js';

const at = (...states: number[]): TunnelHealthSample[] =>
  states.map((state, index) => ({ tunnelName: 'fra-1', colo: `c${index}`, state, count: 30 }));

describe('classifyHealth', () => {
  it('no samples: unknown, never down', () => {
    expect(classifyHealth([])).toMatchObject({
      state: 'unknown',
      colos: 0,
      detail: expect.stringMatching(/not "down"/),
    });
  });

  it('fewer data centres than minColos: unknown, whatever they say', () => {
    expect(DEFAULT_MIN_COLOS).toBe(3);
    expect(classifyHealth(at(0, 0))).toMatchObject({ state: 'unknown', colos: 2, upColos: 0 });
    expect(classifyHealth(at(1, 1))).toMatchObject({
      state: 'unknown',
      detail: expect.stringMatching(/3 are needed/),
    });
    expect(classifyHealth(at(1), { minColos: 1 }).state).toBe('up');
  });

  it('up when at least half see it up; degraded counts as up again', () => {
    expect(classifyHealth(at(1, 1, 1))).toMatchObject({ state: 'up', upColos: 3, healthyColos: 3 });
    expect(classifyHealth(at(1, 1, 1)).detail).toMatch(/healthy/);
    expect(classifyHealth(at(0.5, 0.5, 0))).toMatchObject({
      state: 'up',
      detail: expect.stringMatching(/degraded, recovering/),
    });
    expect(classifyHealth(at(1, 0, 0.5, 0)).state).toBe('up');
  });

  it('down when fewer than half see it up (a state under 0.5 is not up)', () => {
    expect(classifyHealth(at(0, 0, 0))).toMatchObject({ state: 'down', upColos: 0 });
    expect(classifyHealth(at(1, 0, 0)).state).toBe('down');
    expect(classifyHealth(at(0.25, 0.4, 1)).state).toBe('down');
  });

  it('one data centre reported twice counts once, weighted by its counts', () => {
    const samples: TunnelHealthSample[] = [
      { tunnelName: 'fra-1', colo: 'ams01', state: 1, count: 10 },
      { tunnelName: 'fra-1', colo: 'ams01', state: 0, count: 30 },
      { tunnelName: 'fra-1', colo: 'fra02', state: 1, count: undefined },
      { tunnelName: 'fra-1', colo: 'lhr01', state: 1, count: undefined },
    ];
    expect(classifyHealth(samples)).toMatchObject({ state: 'up', colos: 3, upColos: 2 });
  });

  it('refuses samples of several tunnels and a nonsensical minColos', () => {
    const mixed = [...at(1), { tunnelName: 'ams-1', colo: 'x', state: 1, count: 1 }];
    expect(() => classifyHealth(mixed)).toThrow(
      expect.objectContaining({ code: 'invalid_input', field: 'samples' }),
    );
    for (const minColos of [0, 1.5, Number.NaN]) {
      expect(() => classifyHealth(at(1), { minColos })).toThrow(
        expect.objectContaining({ field: 'minColos' }),
      );
    }
  });
});
