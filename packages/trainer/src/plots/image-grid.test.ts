import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { GRID_BACKGROUND, imageGridLayout, imageGridPng, titleStripHeight } from './image-grid.js';
import { ORIGINAL_LABEL, RECONSTRUCTION_LABEL, reconstructionGridLayout, reconstructionGridPng } from './recon-grid.js';

// n images of h x w x c where channel k of image i at (y, x) is fill(i, y, x, k).
function images(n: number, h: number, w: number, c: number, fill: (i: number, y: number, x: number, k: number) => number): Float32Array {
  const a = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) a[((i * h + y) * w + x) * c + k] = fill(i, y, x, k);
  return a;
}

async function decode(png: Uint8Array): Promise<{ width: number; height: number; channels: number; px: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, px: (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x + 1) * info.channels)] };
}

describe('imageGridPng, grey', () => {
  it('lays out cols x rows cells with pad px gaps and borders, as before', async () => {
    const png = await decode(await imageGridPng(images(10, 28, 28, 1, () => 0), 10, [28, 28, 1], { cols: 4, scale: 2, pad: 2 }));
    // 4 columns, ceil(10/4)=3 rows of 56 px images with 2 px gaps and borders.
    expect([png.width, png.height]).toEqual([2 + 4 * 58, 2 + 3 * 58]);
    expect(png.channels).toBe(3);
  });

  it('puts image i at column i % cols, row floor(i / cols) with its grey value in all three channels', async () => {
    // Image i is uniformly i/10 except pixel (y=3, x=5) which is 1.
    const imgs = images(6, 8, 8, 1, (i, y, x) => (y === 3 && x === 5 ? 1 : i / 10));
    const png = await decode(await imageGridPng(imgs, 6, [8, 8, 1], { cols: 3, scale: 3, pad: 4 }));
    // Cell pitch 8*3+4 = 28: image 4 (column 1, row 1) starts at (4+28, 4+28).
    expect(png.px(32, 32)).toEqual([102, 102, 102]); // round(0.4*255)
    expect(png.px(32 + 5 * 3 + 2, 32 + 3 * 3 + 2)).toEqual([255, 255, 255]);
    expect(png.px(5, 5)).toEqual([0, 0, 0]); // image 0
    // The gap left of image 4 is background, not image.
    expect(png.px(31, 32)).toEqual([...GRID_BACKGROUND]);
    expect(imageGridLayout(6, [8, 8, 1], { cols: 3, scale: 3, pad: 4 }).origin(4)).toEqual([32, 32]);
  });

  it('clamps values outside [0,1] and shows NaN as black', async () => {
    const png = await decode(await imageGridPng(new Float32Array([-3, 7, Number.NaN, 0.5]), 1, [2, 2, 1], { cols: 1, scale: 1, pad: 0 }));
    expect([png.px(0, 0), png.px(1, 0), png.px(0, 1), png.px(1, 1)].map((p) => p[0])).toEqual([0, 255, 0, 128]);
  });

  it('adds a title strip with rendered text above the grid and shifts the images down', async () => {
    // Grid wider than the title, so the images are not re-centred under it.
    const imgs = images(8, 4, 4, 1, () => 1);
    const opts = { cols: 8, scale: 8, pad: 1 };
    const plain = await decode(await imageGridPng(imgs, 8, [4, 4, 1], opts));
    const titled = await decode(await imageGridPng(imgs, 8, [4, 4, 1], { ...opts, title: 'Prior samples, epoch 3' }));
    const top = titleStripHeight('x');
    expect(top).toBe(26);
    expect(titled.width).toBe(plain.width);
    expect(titled.height).toBe(plain.height + top);
    expect(titled.px(1, top + 1)).toEqual([255, 255, 255]);
    let lit = 0;
    for (let y = 0; y < top; y++) for (let x = 0; x < titled.width; x++) if (titled.px(x, y)[0] > 200) lit++;
    expect(lit).toBeGreaterThan(50);
  });

  it('widens the canvas for a title longer than the grid and centres the grid under it', () => {
    const l = imageGridLayout(2, [4, 4, 1], { cols: 2, scale: 1, pad: 2, title: 'a rather long title for two tiny images' });
    expect(l.width).toBeGreaterThan(2 + 2 * 6);
    expect(l.origin(0)[0]).toBe(Math.floor((l.width - 14) / 2) + 2);
  });

  it('rejects an image buffer too small for n x h x w x c, and 2 channels, naming the sizes', async () => {
    await expect(imageGridPng(new Float32Array(10), 2, [4, 4, 1], { cols: 2 })).rejects.toThrow('imageGrid: expected 2x4x4x1 = 32 values, got 10');
    await expect(imageGridPng(new Float32Array(64), 2, [4, 4, 2], { cols: 2 })).rejects.toThrow('imageGrid: 2 channels; expected 1 (grey) or 3 (RGB)');
    await expect(imageGridPng(new Float32Array(10), 2, [4, 4, 1], { cols: 2 })).rejects.toBeInstanceOf(RangeError);
  });

  it('refuses a canvas beyond the pixel limit before allocating it', async () => {
    // One 256x256 cell at scale 64 with 2 px borders: 16388 px square, just over 2^28 px.
    await expect(imageGridPng(new Float32Array(0), 0, [256, 256, 1], { cols: 1, scale: 64 })).rejects.toThrow(/px is larger than the 268435456 px canvas limit; expected fewer or smaller images$/);
  });
});

describe('imageGridPng, RGB', () => {
  it('copies each RGB pixel of an NHWC image into its cell, scaled, channel for channel', async () => {
    // Image i, pixel (y, x): R = x/4, G = y/4, B = i/5; image 4 pixel (y=1, x=2) is overridden with (0.2, 0.6, 1).
    const imgs = images(6, 4, 4, 3, (i, y, x, k) => (i === 4 && y === 1 && x === 2 ? [0.2, 0.6, 1][k] : [x / 4, y / 4, i / 5][k]));
    const png = await decode(await imageGridPng(imgs, 6, [4, 4, 3], { cols: 3, scale: 3, pad: 4 }));
    // Pitch 4*3+4 = 16; image 4 is column 1, row 1: origin (20, 20); its pixel (x=2, y=1) covers (26..28, 23..25).
    for (const [x, y] of [[26, 23], [28, 25]]) expect(png.px(x, y)).toEqual([51, 153, 255]);
    // Its pixel (x=3, y=0): R = round(0.75*255) = 191, G = 0, B = round(0.8*255) = 204.
    expect(png.px(20 + 9, 20)).toEqual([191, 0, 204]);
    // Image 0, pixel (x=1, y=3) at (4+3, 4+9): R = 64 (round(63.75)), G = 191, B = 0.
    expect(png.px(7, 13)).toEqual([64, 191, 0]);
  });
});

describe('reconstructionGridPng', () => {
  it('puts each reconstruction directly below its original, grey', async () => {
    const n = 5;
    const orig = images(n, 4, 4, 1, () => 1);
    const recon = images(n, 4, 4, 1, () => 0.2);
    const l = reconstructionGridLayout(n, [4, 4, 1], { cols: 3, scale: 2, pad: 2 });
    const png = await decode(await reconstructionGridPng(orig, recon, n, [4, 4, 1], { cols: 3, scale: 2, pad: 2 }));
    expect([png.width, png.height]).toEqual([l.width, l.height]);
    for (let i = 0; i < n; i++) {
      const [x, y] = l.origin(i);
      expect(png.px(x, y)).toEqual([255, 255, 255]);
      expect(png.px(x, y + l.cellH)).toEqual([51, 51, 51]); // round(0.2*255), same column, next row
    }
    // Two blocks of two rows for 5 images at 3 a row.
    expect(l.origin(3)[1] - l.origin(0)[1]).toBe(2 * l.cellH + l.blockGap);
  });

  it('shows RGB originals and reconstructions in colour', async () => {
    const orig = images(2, 4, 4, 3, (_i, _y, _x, k) => [1, 0, 0][k]);
    const recon = images(2, 4, 4, 3, (_i, _y, _x, k) => [0, 0.6, 1][k]);
    const l = reconstructionGridLayout(2, [4, 4, 3], { cols: 2, scale: 3 });
    const png = await decode(await reconstructionGridPng(orig, recon, 2, [4, 4, 3], { cols: 2, scale: 3 }));
    const [x, y] = l.origin(1);
    expect(png.px(x + 11, y + 11)).toEqual([255, 0, 0]);
    expect(png.px(x, y + l.cellH)).toEqual([0, 153, 255]);
  });

  it('labels the rows with text left of the images', async () => {
    expect([ORIGINAL_LABEL, RECONSTRUCTION_LABEL]).toEqual(['original', 'reconstruction']);
    const l = reconstructionGridLayout(3, [8, 8, 1], { cols: 3, scale: 3 });
    const png = await decode(await reconstructionGridPng(new Float32Array(3 * 64), new Float32Array(3 * 64), 3, [8, 8, 1], { cols: 3, scale: 3 }));
    let lit = 0;
    for (let y = 0; y < png.height; y++) for (let x = 0; x < l.imagesLeft - 2; x++) if (png.px(x, y)[0] > 150) lit++;
    expect(lit).toBeGreaterThan(50);
  });

  it('rejects a reconstruction buffer that does not match the originals', async () => {
    await expect(reconstructionGridPng(new Float32Array(32), new Float32Array(16), 2, [4, 4, 1], { cols: 2 })).rejects.toThrow('reconstructionGrid recons: expected 2x4x4x1 = 32 values, got 16');
  });
});
