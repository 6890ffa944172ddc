import { describe, expect, it } from 'vitest';
import { lerp, linspace, normalQuantile, slerp } from './interpolate.js';

const norm = (v: Float32Array) => Math.hypot(...v);

describe('interpolation', () => {
  const a = Float32Array.from([3, 0, 0]);
  const b = Float32Array.from([0, 3, 0]);

  it('lerp and slerp hit both ends exactly', () => {
    for (const f of [lerp, slerp]) {
      expect(Array.from(f(a, b, 0))).toEqual(Array.from(a));
      expect(Array.from(f(a, b, 1))).toEqual(Array.from(b));
    }
  });

  it('slerp keeps the norm between equal-norm ends; lerp cuts through the middle', () => {
    expect(norm(slerp(a, b, 0.5))).toBeCloseTo(3, 5);
    expect(norm(lerp(a, b, 0.5))).toBeCloseTo(3 / Math.SQRT2, 5);
  });

  it('slerp falls back to lerp for parallel or zero vectors', () => {
    const z = new Float32Array(3);
    expect(Array.from(slerp(a, a, 0.3))).toEqual(Array.from(a));
    expect(Array.from(slerp(z, b, 0.5))).toEqual(Array.from(lerp(z, b, 0.5)));
  });

  it('normal quantile matches known values', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644854, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(() => normalQuantile(1)).toThrow(/probability must be in \(0, 1\)/);
    expect(linspace(0, 1, 3)).toEqual([0, 0.5, 1]);
  });
});
