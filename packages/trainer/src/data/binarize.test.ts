import { describe, expect, it } from 'vitest';
import { binarizeBatch, binarizeSplit } from './binarize.js';

/** Hands out the given uniforms in order, so each draw is known. */
const fixed = (us: number[]) => {
  let i = 0;
  return { uniform: () => us[i++] };
};

describe('binarization', () => {
  it('sets a pixel to 1 exactly when its uniform falls below the intensity', () => {
    const x = Float32Array.from([0.5, 0.5, 0, 1, 0.25, 0.25]);
    // 0.49 < 0.5 -> 1; 0.5 is not < 0.5 -> 0; 0 < 0 fails -> 0; 0.999 < 1 -> 1; 0.1 < 0.25 -> 1; 0.3 -> 0.
    expect(Array.from(binarizeBatch(x, fixed([0.49, 0.5, 0, 0.999, 0.1, 0.3])))).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('draws a whole split once as 0/255 bytes with the same rule on v/255, keeping shape and labels', () => {
    const split = { count: 2, height: 1, width: 2, images: Uint8Array.from([255, 51, 0, 204]), labels: Uint8Array.from([3, 4]) };
    // 51/255 = 0.2: u 0.19 -> 255; 204/255 = 0.8: u 0.8 -> 0 (not strictly below).
    const got = binarizeSplit(split, fixed([0.99, 0.19, 0, 0.8]));
    expect(Array.from(got.images)).toEqual([255, 255, 0, 0]);
    expect(got.labels).toBe(split.labels);
    expect(got.count).toBe(2);
    expect(Array.from(split.images)).toEqual([255, 51, 0, 204]);
  });
});
