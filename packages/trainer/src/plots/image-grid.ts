/**
 * Tiles grayscale images (MNIST digits, VAE samples) into one picture,
 * white-on-black like the dataset itself, so a person can eyeball sample
 * quality epoch by epoch.
 */
import type { Raster, Rgb } from './raster.js';
import { createRaster, drawText, fillRect, measureText } from './raster.js';

/** Layout options for {@link imageGrid}. */
export interface ImageGridOptions {
  /** Images per row. */
  cols: number;
  /** Screen pixels per image pixel (default 2: 28 px digits are tiny at 1x). */
  scale?: number;
  /** Gap between images and around the edge, in screen pixels (default 2). */
  pad?: number;
  /** Optional caption drawn in a strip above the grid. */
  title?: string;
}

/** Background between tiles: dark gray rather than black so each digit's own black border stays visible. */
export const GRID_BACKGROUND: Rgb = [48, 48, 48];
/** Caption colour on the dark background. */
export const GRID_TEXT: Rgb = [235, 235, 235];
/** Scale of caption text in grids. */
export const GRID_TITLE_SCALE = 2;

/** Height of the title strip for a given caption (0 when there is none). */
export function titleStripHeight(title: string | undefined): number {
  if (!title) return 0;
  return measureText(title, GRID_TITLE_SCALE).height + 8;
}

/** Maps an intensity to a byte: clamped to [0,1], and NaN (a diverged model) shows as black rather than throwing. */
export function grayByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * Copies image `index` of a packed `[n, h, w]` array into `r` at (`x`, `y`),
 * each source pixel becoming a `scale`×`scale` block.
 */
export function drawGrayImage(
  r: Raster,
  images: Float32Array,
  index: number,
  h: number,
  w: number,
  x: number,
  y: number,
  scale = 1,
): void {
  const base = index * h * w;
  for (let iy = 0; iy < h; iy++) {
    for (let ix = 0; ix < w; ix++) {
      const g = grayByte(images[base + iy * w + ix]);
      fillRect(r, x + ix * scale, y + iy * scale, scale, scale, [g, g, g]);
    }
  }
}

/** Checks that a packed image array holds `n` images of `h`×`w`; a mismatch is a caller bug worth a clear error. */
export function checkImages(name: string, images: Float32Array, n: number, h: number, w: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(h) || !Number.isInteger(w) || n < 0 || h < 1 || w < 1) {
    throw new RangeError(`${name}: n, h, w must be integers with h, w >= 1 (got ${n}, ${h}, ${w})`);
  }
  if (images.length < n * h * w) {
    throw new RangeError(`${name}: expected ${n}x${h}x${w} = ${n * h * w} values, got ${images.length}`);
  }
}

/**
 * Renders `n` grayscale `h`×`w` images (values in [0,1], clamped) packed in
 * `images` as a grid with `opts.cols` columns, row-major, white-on-black.
 *
 * Image `i` sits at column `i % cols`, row `floor(i / cols)`, with its
 * top-left corner at `(pad + col*(w*scale+pad), top + pad + row*(h*scale+pad))`
 * where `top` is the title strip height ({@link titleStripHeight}); if the
 * title is wider than the grid, the grid is centred under it.
 */
export function imageGrid(
  images: Float32Array,
  n: number,
  h: number,
  w: number,
  opts: ImageGridOptions,
): Raster {
  checkImages('imageGrid', images, n, h, w);
  const cols = Math.max(1, Math.floor(opts.cols));
  const scale = Math.max(1, Math.round(opts.scale ?? 2));
  const pad = Math.max(0, Math.round(opts.pad ?? 2));
  const rows = Math.max(1, Math.ceil(n / cols));
  const top = titleStripHeight(opts.title);
  const gridW = pad + cols * (w * scale + pad);
  const gridH = pad + rows * (h * scale + pad);
  const titleW = opts.title ? measureText(opts.title, GRID_TITLE_SCALE).width + 16 : 0;
  // A long title widens the canvas instead of being clipped.
  const width = Math.max(gridW, titleW);
  const r = createRaster(width, top + gridH, GRID_BACKGROUND);
  if (opts.title) {
    const tw = measureText(opts.title, GRID_TITLE_SCALE).width;
    drawText(r, Math.floor((width - tw) / 2), 5, opts.title, GRID_TEXT, GRID_TITLE_SCALE);
  }
  const left = Math.floor((width - gridW) / 2);
  for (let i = 0; i < n; i++) {
    const col = i % cols;
    const row = Math.floor(i / cols);
    drawGrayImage(r, images, i, h, w, left + pad + col * (w * scale + pad), top + pad + row * (h * scale + pad), scale);
  }
  return r;
}
