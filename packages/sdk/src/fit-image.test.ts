import { describe, expect, it } from 'vitest';
import { VAEInputError } from './errors.js';
import { centreCrop } from './fit-image.js';
import { fromImageData, tile, toImageData, toPixels8 } from './images.js';

/** RGBA bytes from [r, g, b, a] pixels, row-major. */
const rgba = (...px: number[][]) => Uint8ClampedArray.from(px.flat());
const f = (v: number) => Math.fround(v);

describe('centreCrop', () => {
  it('keeps the whole short side and trims the long one equally, the odd pixel on the far side', () => {
    expect(centreCrop(6, 2, 2, 2)).toEqual({ x0: 2, y0: 0, cw: 2, ch: 2 });
    expect(centreCrop(2, 5, 1, 1)).toEqual({ x0: 0, y0: 1, cw: 2, ch: 2 });
    expect(centreCrop(178, 218, 64, 64)).toEqual({ x0: 0, y0: 20, cw: 178, ch: 178 });
    expect(centreCrop(4, 2, 2, 1)).toEqual({ x0: 0, y0: 0, cw: 4, ch: 2 });
  });
});

describe('fromImageData with a model shape', () => {
  it('centre-crops a wide image to the square model and keeps RGB planar', () => {
    // 6×2: only columns 2 and 3 survive the crop to 2×2.
    const px = [];
    for (let y = 0; y < 2; y++) for (let x = 0; x < 6; x++) px.push([x * 40, y * 100, 7, 255]);
    const out = fromImageData({ data: rgba(...px), width: 6, height: 2 }, { shape: [3, 2, 2] });
    expect(out.shape).toEqual([1, 3, 2, 2]);
    expect(Array.from(out.data)).toEqual([80, 120, 80, 120, 0, 0, 100, 100, 7, 7, 7, 7].map((v) => f(v / 255)));
  });

  it('composites alpha on white by default and on the given background', () => {
    const px = rgba([0, 0, 0, 0], [255, 0, 0, 51]);
    const white = fromImageData({ data: px, width: 2, height: 1 }, { shape: [3, 1, 2] });
    // Pixel 1: alpha 0.2 of red over white = (1, 0.8, 0.8).
    expect(Array.from(white.data)).toEqual([1, 1, 1, f(0.8), 1, f(0.8)]);
    const black = fromImageData({ data: px, width: 2, height: 1 }, { shape: [3, 1, 2], background: [0, 0, 0] });
    expect(Array.from(black.data)).toEqual([0, f(0.2), 0, 0, 0, 0]);
  });

  it('area-resizes each channel (4×4 → 2×2 block means) and greys for a one-channel shape', () => {
    const px = [];
    for (let i = 0; i < 16; i++) px.push([i * 10, 0, 255, 255]);
    const out = fromImageData({ data: rgba(...px), width: 4, height: 4 }, { shape: [3, 2, 2] });
    // Red blocks: mean of {0,1,4,5}·10, {2,3,6,7}·10, {8,9,12,13}·10, {10,11,14,15}·10.
    expect(Array.from(out.data.subarray(0, 4)).map((v) => Math.round(v * 255 * 1000) / 1000)).toEqual([25, 45, 105, 125]);
    expect(Array.from(out.data.subarray(8))).toEqual([1, 1, 1, 1]);
    const grey = fromImageData({ data: rgba([255, 0, 0, 255], [0, 0, 255, 255]), width: 2, height: 1 }, { shape: [1, 1, 2] });
    expect(grey.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(grey.data)).toEqual([f(0.299), f(0.114)]);
  });

  it('does not read a non-digit image as a digit: no inversion, no ink crop', () => {
    // Dark ink on white paper would be inverted and cropped by the digit preparation.
    const px = [];
    for (let i = 0; i < 16; i++) px.push(i === 5 ? [0, 0, 0, 255] : [255, 255, 255, 255]);
    const out = fromImageData({ data: rgba(...px), width: 4, height: 4 }, { shape: [1, 4, 4] });
    expect(Array.from(out.data)).toEqual(Array.from({ length: 16 }, (_, i) => (i === 5 ? 0 : 1)));
    const inverted = fromImageData({ data: rgba(...px), width: 4, height: 4 }, { shape: [1, 4, 4], invert: true });
    expect(inverted.data[5]).toBe(1);
  });

  it('still gives the MNIST preparation for a 1×28×28 shape, the same as without one', () => {
    const px = new Uint8ClampedArray(56 * 56 * 4).fill(255);
    for (let y = 20; y < 36; y++) for (let x = 26; x < 30; x++) px.set([0, 0, 0, 255], (y * 56 + x) * 4);
    const img = { data: px, width: 56, height: 56 };
    expect(Array.from(fromImageData(img, { shape: [1, 28, 28] }).data)).toEqual(Array.from(fromImageData(img).data));
  });

  it('rejects prepare: true for a non-digit shape, 2 or 4 channels, and shape with size, as VAEInputErrors', () => {
    const img = { data: rgba([0, 0, 0, 255]), width: 1, height: 1 };
    expect(() => fromImageData(img, { shape: [3, 16, 16], prepare: true })).toThrow(
      new VAEInputError("fromImageData: prepare (MNIST's digit preparation) applies only to 1×28×28 digit models; this shape is 3×16×16, expected prepare: false or omitted"),
    );
    expect(() => fromImageData(img, { shape: [4, 16, 16] })).toThrow(new VAEInputError('shape [4, 16, 16] has 4 channels; expected 1 (grey) or 3 (RGB)'));
    expect(() => fromImageData(img, { shape: [3, 0, 16] })).toThrow(new VAEInputError('shape must be [C, H, W] with H and W in [1, 4096], got [3, 0, 16]'));
    expect(() => fromImageData(img, { shape: [3, 16, 16], size: [16, 16] })).toThrow(new VAEInputError('fromImageData: give either shape [C, H, W] or size [H, W], not both'));
    expect(() => fromImageData(img, { shape: [3, 16, 16], background: [2, 0, 0] })).toThrow(VAEInputError);
  });
});

describe('colour output helpers', () => {
  it('toImageData writes RGB channels of a colour batch and opaque alpha', () => {
    const id = toImageData({ data: Float32Array.of(1, 0, 0.5, 0.2, 0, 1), shape: [1, 3, 1, 2] });
    expect(Array.from(id.data)).toEqual([255, 128, 0, 255, 0, 51, 255, 255]);
  });

  it('toPixels8 gives interleaved RGB, and a grey image repeated in all three channels', () => {
    expect(Array.from(toPixels8({ data: Float32Array.of(1, 0, 0.5, 0.2, 0, 1), shape: [1, 3, 1, 2] }, 0, 3).data)).toEqual([255, 128, 0, 0, 51, 255]);
    expect(Array.from(toPixels8({ data: Float32Array.of(0.2), shape: [1, 1, 1, 1] }, 0, 3).data)).toEqual([51, 51, 51]);
  });

  it('tile lays out each channel of colour images in the same grid', () => {
    // Three 1×1 RGB images; image i has channels (i, 10+i, 20+i)/100.
    const data = Float32Array.from({ length: 9 }, (_, k) => (Math.floor(k / 3) + (k % 3) * 10) / 100);
    const g = tile({ data, shape: [3, 3, 1, 1] }, { cols: 2, padding: 1, background: 0.5 });
    // 2 columns × 2 rows of 1×1 cells with 1-pixel gaps: 5×5 per channel.
    expect(g.shape).toEqual([1, 3, 5, 5]);
    const at = (c: number, y: number, x: number) => g.data[(c * 5 + y) * 5 + x];
    expect([at(0, 1, 1), at(1, 1, 1), at(2, 1, 1)]).toEqual([0, 0.1, 0.2].map(f));
    expect([at(0, 1, 3), at(1, 1, 3), at(2, 1, 3)]).toEqual([0.01, 0.11, 0.21].map(f));
    expect([at(0, 3, 1), at(1, 3, 1), at(2, 3, 1)]).toEqual([0.02, 0.12, 0.22].map(f));
    expect([at(0, 3, 3), at(2, 0, 0)]).toEqual([0.5, 0.5]);
  });
});
