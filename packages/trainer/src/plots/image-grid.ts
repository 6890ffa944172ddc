/**
 * Tiles model images (MNIST digits, VAE samples, RGB faces or emoji) into one
 * PNG, so a person can eyeball sample quality epoch by epoch.
 */
import type { ImageShape } from './grid-canvas.js';
import { checkImages, createCanvas, drawImage, encodeCanvas } from './grid-canvas.js';
import type { Rgb } from './svg.js';
import { estimateTextWidth, svgDocument, svgText } from './svg.js';

/** Layout options for {@link imageGridPng}. */
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

/** Background between tiles: dark grey rather than black so each digit's own black border stays visible. */
export const GRID_BACKGROUND: Rgb = [48, 48, 48];
/** Caption colour on the dark background. */
export const GRID_TEXT: Rgb = [235, 235, 235];
/** Font size of grid titles, in px. */
export const GRID_TITLE_SIZE = 15;

/** Height of the title strip for a given caption (0 when there is none). */
export function titleStripHeight(title: string | undefined): number {
  return title ? GRID_TITLE_SIZE + 11 : 0;
}

/** Width a title needs, margins included (0 when there is none). */
export function titleWidth(title: string | undefined): number {
  return title ? Math.ceil(estimateTextWidth(title, GRID_TITLE_SIZE)) + 16 : 0;
}

/** SVG text for a grid title centred across `width`. */
export function gridTitleSvg(width: number, title: string): string {
  return svgText(width / 2, 5 + GRID_TITLE_SIZE * 0.85, title, { size: GRID_TITLE_SIZE, fill: GRID_TEXT, anchor: 'middle', cls: 'title' });
}

/** Where everything of an image grid goes. */
export interface ImageGridLayout {
  /** Canvas size in px. */
  readonly width: number;
  readonly height: number;
  /** Top-left corner of image `i`, in px. */
  origin(i: number): [number, number];
}

/**
 * The layout of {@link imageGridPng}: image `i` sits at column `i % cols`,
 * row `floor(i / cols)`, with its top-left corner at
 * `(left + pad + col*(w*scale+pad), top + pad + row*(h*scale+pad))`, where
 * `top` is the title strip height ({@link titleStripHeight}) and `left` is
 * non-zero only when the title is wider than the grid, which is then centred
 * under it.
 */
export function imageGridLayout(n: number, shape: ImageShape, opts: ImageGridOptions): ImageGridLayout & { scale: number } {
  const [h, w] = shape;
  const cols = Math.max(1, Math.floor(opts.cols));
  const scale = Math.max(1, Math.round(opts.scale ?? 2));
  const pad = Math.max(0, Math.round(opts.pad ?? 2));
  const rows = Math.max(1, Math.ceil(n / cols));
  const top = titleStripHeight(opts.title);
  const gridW = pad + cols * (w * scale + pad);
  const gridH = pad + rows * (h * scale + pad);
  // A long title widens the canvas instead of being clipped.
  const width = Math.max(gridW, titleWidth(opts.title));
  const left = Math.floor((width - gridW) / 2);
  return {
    width,
    height: top + gridH,
    scale,
    origin: (i) => [left + pad + (i % cols) * (w * scale + pad), top + pad + Math.floor(i / cols) * (h * scale + pad)],
  };
}

/**
 * Renders `n` images of `shape` (`[h, w, 1]` grey or `[h, w, 3]` RGB, values
 * in [0,1], clamped) packed NHWC in `images` as a PNG grid with `opts.cols`
 * columns, row-major, laid out by {@link imageGridLayout}.
 *
 * @throws RangeError when `images` holds fewer than `n` images of `shape`, or `shape` has 2 or 4+ channels.
 */
export async function imageGridPng(images: Float32Array, n: number, shape: ImageShape, opts: ImageGridOptions): Promise<Uint8Array> {
  checkImages('imageGrid', images, n, shape);
  const layout = imageGridLayout(n, shape, opts);
  const canvas = createCanvas(layout.width, layout.height, GRID_BACKGROUND);
  for (let i = 0; i < n; i++) {
    const [x, y] = layout.origin(i);
    drawImage(canvas, images, i, shape, x, y, layout.scale);
  }
  const overlay = opts.title ? svgDocument(layout.width, layout.height, null, gridTitleSvg(layout.width, opts.title)) : null;
  return encodeCanvas(canvas, overlay);
}
