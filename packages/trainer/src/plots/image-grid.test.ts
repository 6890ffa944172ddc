import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { GRID_BACKGROUND, imageGrid, titleStripHeight } from './image-grid.js';
import { encodePng, getPixel } from './raster.js';
import { ORIGINAL_LABEL, reconstructionGrid } from './recon-grid.js';

// n images of h x w where image i is filled with value fill(i, y, x).
function images(n: number, h: number, w: number, fill: (i: number, y: number, x: number) => number): Float32Array {
  const a = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[i * h * w + y * w + x] = fill(i, y, x);
  return a;
}

describe('imageGrid', () => {
  it('lays out cols x rows cells and encodes to a PNG of that size', () => {
    const r = imageGrid(images(10, 28, 28, () => 0), 10, 28, 28, { cols: 4, scale: 2, pad: 2 });
    // 4 columns, ceil(10/4)=3 rows of 56 px images with 2 px gaps and borders.
    const png = PNG.sync.read(Buffer.from(encodePng(r)));
    expect([png.width, png.height]).toEqual([2 + 4 * 58, 2 + 3 * 58]);
  });

  it('puts image i at column i % cols, row floor(i / cols) with its gray value', () => {
    // Image i is uniformly i/10 except pixel (y=3, x=5) which is 1.
    const imgs = images(6, 8, 8, (i, y, x) => (y === 3 && x === 5 ? 1 : i / 10));
    const scale = 3;
    const pad = 4;
    const r = imageGrid(imgs, 6, 8, 8, { cols: 3, scale, pad });
    const cell = 8 * scale + pad;
    const origin = (i: number): [number, number] => [pad + (i % 3) * cell, pad + Math.floor(i / 3) * cell];
    const [x4, y4] = origin(4);
    expect(getPixel(r, x4, y4)).toEqual([102, 102, 102, 255]); // round(0.4*255)
    expect(getPixel(r, x4 + 5 * scale + 2, y4 + 3 * scale + 2)).toEqual([255, 255, 255, 255]);
    const [x0, y0] = origin(0);
    expect(getPixel(r, x0 + 1, y0 + 1)).toEqual([0, 0, 0, 255]);
    // The gap between cells is background, not image.
    expect(getPixel(r, x4 - 1, y4)).toEqual([...GRID_BACKGROUND, 255]);
  });

  it('clamps values outside [0,1] and shows NaN as black', () => {
    const imgs = new Float32Array([-3, 7, Number.NaN, 0.5]);
    const r = imageGrid(imgs, 1, 2, 2, { cols: 1, scale: 1, pad: 0 });
    expect([0, 1, 2, 3].map((k) => getPixel(r, k % 2, Math.floor(k / 2))?.[0])).toEqual([0, 255, 0, 128]);
  });

  it('adds a title strip above the grid and shifts the images down', () => {
    // Grid wider than the title, so the images are not re-centred under it.
    const imgs = images(8, 4, 4, () => 1);
    const plain = imageGrid(imgs, 8, 4, 4, { cols: 8, scale: 2, pad: 1 });
    const titled = imageGrid(imgs, 8, 4, 4, { cols: 8, scale: 2, pad: 1, title: 'x' });
    expect(titled.width).toBe(plain.width);
    const top = titleStripHeight('x');
    expect(titled.height).toBe(plain.height + top);
    expect(getPixel(titled, 1, top + 1)).toEqual([255, 255, 255, 255]);
    // The title text itself draws light pixels in the strip.
    let lit = 0;
    for (let y = 0; y < top; y++) for (let x = 0; x < titled.width; x++) if ((getPixel(titled, x, y)?.[0] ?? 0) > 200) lit++;
    expect(lit).toBeGreaterThan(0);
  });

  it('rejects an image buffer too small for n x h x w', () => {
    expect(() => imageGrid(new Float32Array(10), 2, 4, 4, { cols: 2 })).toThrow(RangeError);
  });
});

describe('reconstructionGrid', () => {
  it('puts each reconstruction directly below its original', () => {
    const n = 5;
    const orig = images(n, 4, 4, () => 1);
    const recon = images(n, 4, 4, () => 0.2);
    const r = reconstructionGrid(orig, recon, n, 4, 4, { cols: 3, scale: 2, pad: 2 });
    // Find the first column of image pixels: scan the first image row for pure white.
    let found: [number, number] | undefined;
    for (let y = 0; y < r.height && !found; y++) {
      for (let x = r.width - 1; x >= 0; x--) {
        // The rightmost white run in the top block is an original image, not label text.
        if (getPixel(r, x, y)?.[0] === 255 && getPixel(r, x - 7, y)?.[0] === 255) {
          found = [x, y];
          break;
        }
      }
    }
    expect(found).toBeDefined();
    const [x, y] = found!;
    const cellH = 4 * 2 + 2;
    expect(getPixel(r, x, y + cellH)).toEqual([51, 51, 51, 255]); // round(0.2*255), same column, next row
  });

  it('grows by one pair of rows per cols images and labels the rows', () => {
    const one = reconstructionGrid(new Float32Array(3 * 16), new Float32Array(3 * 16), 3, 4, 4, { cols: 3 });
    const two = reconstructionGrid(new Float32Array(4 * 16), new Float32Array(4 * 16), 4, 4, 4, { cols: 3 });
    expect(two.height).toBeGreaterThan(one.height + 2 * 4 * 2);
    expect(one.width).toBe(two.width);
    expect(ORIGINAL_LABEL).toBe('original');
  });

  it('rejects mismatched reconstruction buffers', () => {
    expect(() => reconstructionGrid(new Float32Array(32), new Float32Array(16), 2, 4, 4, { cols: 2 })).toThrow(RangeError);
  });
});
