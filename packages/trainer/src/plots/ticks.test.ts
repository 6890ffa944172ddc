import { describe, expect, it } from 'vitest';
import { buildAxis, formatTicks, niceTicks } from './ticks.js';

describe('ticks', () => {
  it.each([
    [95, 185],
    [0, 1],
    [-3.5, 3.7],
    [0.0012, 0.0093],
    [1e5, 1.3e6],
    [97.1, 98.4],
  ])('gives 4-6 evenly spaced ticks covering [%d, %d]', (lo, hi) => {
    const axis = buildAxis(lo, hi);
    expect(axis.ticks.length).toBeGreaterThanOrEqual(4);
    expect(axis.ticks.length).toBeLessThanOrEqual(6);
    expect(axis.min).toBeLessThanOrEqual(lo);
    expect(axis.max).toBeGreaterThanOrEqual(hi);
    for (const t of axis.ticks) expect(t >= axis.min && t <= axis.max).toBe(true);
    const steps = axis.ticks.slice(1).map((t, i) => t - axis.ticks[i]);
    for (const s of steps) expect(s).toBeCloseTo(steps[0], 9);
  });

  it('uses whole-number ticks for integer (epoch) axes', () => {
    expect(niceTicks(0.5, 3.5, 5, true)).toEqual([1, 2, 3]);
    expect(buildAxis(1, 1, { integer: true }).ticks).toEqual([1]);
    expect(buildAxis(1, 20, { integer: true }).ticks.every(Number.isInteger)).toBe(true);
  });

  it('labels ticks exactly and without float noise', () => {
    expect(formatTicks([0.1, 0.2, 0.3])).toEqual(['0.1', '0.2', '0.3']);
    expect(formatTicks([0, 0.25, 0.5])).toEqual(['0', '0.25', '0.50']);
    expect(formatTicks([0, 2.5e5, 5e5, 7.5e5, 1e6])).toEqual(['0', '2.5e5', '5e5', '7.5e5', '1e6']);
    expect(formatTicks([100, 105, 110])).toEqual(['100', '105', '110']);
    expect(formatTicks([0.0002, 0.0004])).toEqual(['2e-4', '4e-4']);
  });

  it('widens a degenerate range around a single value', () => {
    const axis = buildAxis(107.9, 107.9);
    expect(axis.min).toBeLessThan(107.9);
    expect(axis.max).toBeGreaterThan(107.9);
  });
});
