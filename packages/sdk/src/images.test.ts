import { describe, expect, it } from 'vitest';
import { fromImageData, resizeArea, tile, toGray8, toImageData } from './images.js';
import type { ImageBatch } from './tensors.js';

const batch = (n: number, h = 2, w = 3): ImageBatch => {
  const data = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) data.fill((i + 1) / 10, i * h * w, (i + 1) * h * w);
  return { data, shape: [n, 1, h, w] };
};

describe('tile', () => {
  it('lays images out row-major with padding', () => {
    const g = tile(batch(5), { cols: 2, padding: 1 });
    // 2 cols × 3 rows of 2×3 cells, 1-pixel gaps.
    expect(g.shape).toEqual([1, 1, 3 * 2 + 4, 2 * 3 + 3]);
    const W = g.shape[3];
    expect(g.data[1 * W + 1]).toBeCloseTo(0.1); // image 0 top-left
    expect(g.data[1 * W + 5]).toBeCloseTo(0.2); // image 1
    expect(g.data[4 * W + 1]).toBeCloseTo(0.3); // image 2, second row
    expect(g.data[7 * W + 1]).toBeCloseTo(0.5); // image 4
    expect(g.data[7 * W + 5]).toBe(0); // empty cell stays background
    expect(g.data[0]).toBe(0);
  });

  it('defaults to a square-ish grid and accepts a number for cols', () => {
    expect(tile(batch(64, 28, 28)).shape).toEqual([1, 1, 8 * 28 + 9 * 2, 8 * 28 + 9 * 2]);
    expect(tile(batch(10, 28, 28), 10).shape).toEqual([1, 1, 28 + 4, 10 * 28 + 11 * 2]);
    expect(() => tile(batch(2), { cols: 0 })).toThrow(/cols must be a positive integer/);
  });
});

describe('8-bit and ImageData', () => {
  it('rounds to grey levels and builds RGBA (a plain object without a DOM)', () => {
    const b: ImageBatch = { data: Float32Array.from([0, 0.5, 1, 0.2]), shape: [1, 1, 2, 2] };
    expect(Array.from(toGray8(b).data)).toEqual([0, 128, 255, 51]);
    const id = toImageData(b);
    expect(id.width).toBe(2);
    expect(Array.from(id.data.subarray(4, 8))).toEqual([128, 128, 128, 255]);
    expect(() => toGray8(b, 1)).toThrow(/index must be an integer in \[0, 0\]/);
  });

  it('uses the global ImageData when there is one', () => {
    class FakeImageData {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    }
    (globalThis as Record<string, unknown>).ImageData = FakeImageData;
    try {
      expect(toImageData(batch(1))).toBeInstanceOf(FakeImageData);
    } finally {
      delete (globalThis as Record<string, unknown>).ImageData;
    }
  });

  it('round-trips through fromImageData and inverts dark-on-light drawings', () => {
    const b = batch(1, 28, 28);
    b.data.fill(0);
    b.data[14 * 28 + 14] = 1;
    const back = fromImageData(toImageData(b));
    expect(back.shape).toEqual([1, 1, 28, 28]);
    expect(back.data[14 * 28 + 14]).toBe(1);
    expect(back.data[0]).toBe(0);
    // A black stroke on a transparent canvas (alpha 0 background) reads as a white digit.
    const rgba = new Uint8ClampedArray(56 * 56 * 4);
    for (let y = 20; y < 36; y++) for (let x = 26; x < 30; x++) rgba.set([0, 0, 0, 255], (y * 56 + x) * 4);
    const drawn = fromImageData({ data: rgba, width: 56, height: 56 });
    expect(drawn.data[14 * 28 + 14]).toBeCloseTo(1);
    expect(drawn.data[0]).toBeCloseTo(0);
    expect(fromImageData({ data: rgba, width: 56, height: 56 }, { prepare: false, invert: false }).data[0]).toBeCloseTo(1);
    expect(() => fromImageData({ data: new Uint8ClampedArray(3), width: 1, height: 1 })).toThrow(/width·height·4/);
  });

  it('area-resizes', () => {
    const src = Float32Array.from([1, 0, 0, 1]);
    expect(Array.from(resizeArea(src, 2, 2, 1, 1))).toEqual([0.5]);
    expect(Array.from(resizeArea(Float32Array.from([1]), 1, 1, 2, 2))).toEqual([1, 1, 1, 1]);
  });
});
