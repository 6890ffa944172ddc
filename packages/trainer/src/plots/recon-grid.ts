/**
 * Shows originals directly above their VAE reconstructions, so a person can
 * compare each image with what the model made of it at a glance.
 */
import type { ImageShape } from './grid-canvas.js';
import { checkImages, createCanvas, drawImage, encodeCanvas } from './grid-canvas.js';
import type { ImageGridOptions } from './image-grid.js';
import { GRID_BACKGROUND, GRID_TEXT, gridTitleSvg, titleStripHeight, titleWidth } from './image-grid.js';
import { estimateTextWidth, hex, svgDocument, svgText } from './svg.js';

/** Layout options for {@link reconstructionGridPng}; same meaning as for the image grid. */
export type ReconstructionGridOptions = ImageGridOptions;

/** Label of the rows of originals. */
export const ORIGINAL_LABEL = 'original';
/** Label of the rows of reconstructions. */
export const RECONSTRUCTION_LABEL = 'reconstruction';

const LABEL_SIZE = 12;
// Dimmer separator between pair blocks so the eye groups each original with
// the row right below it rather than the reconstruction row above.
const SEPARATOR = [90, 90, 90] as const;

/** Where everything of a reconstruction grid goes. */
export interface ReconstructionGridLayout {
  /** Canvas size in px. */
  readonly width: number;
  readonly height: number;
  /** Top-left corner of original `i`; its reconstruction is `cellH` px below. */
  origin(i: number): [number, number];
  /** Vertical distance from an original to its reconstruction, in px. */
  readonly cellH: number;
  /** Screen pixels per image pixel. */
  readonly scale: number;
  /** Column where the images start (the labels are right-aligned against it). */
  readonly imagesLeft: number;
  /** Top of each block of two rows. */
  readonly blockTops: readonly number[];
  /** Vertical gap between blocks, where the separator line runs. */
  readonly blockGap: number;
  /** Left edge and width of the labels-plus-images grid (narrower than the canvas under a long title). */
  readonly gridLeft: number;
  readonly gridW: number;
}

/**
 * The layout of {@link reconstructionGridPng}: blocks of two rows, up to
 * `cols` originals above their reconstructions, a label column on the left,
 * the title strip on top.
 */
export function reconstructionGridLayout(n: number, shape: ImageShape, opts: ReconstructionGridOptions): ReconstructionGridLayout {
  const [h, w] = shape;
  const cols = Math.max(1, Math.floor(opts.cols));
  const scale = Math.max(1, Math.round(opts.scale ?? 2));
  const pad = Math.max(0, Math.round(opts.pad ?? 2));
  const blocks = Math.max(1, Math.ceil(n / cols));
  const cellW = w * scale + pad;
  const cellH = h * scale + pad;
  const blockGap = Math.max(6, pad * 3);
  const labelW = Math.ceil(Math.max(estimateTextWidth(ORIGINAL_LABEL, LABEL_SIZE), estimateTextWidth(RECONSTRUCTION_LABEL, LABEL_SIZE))) + 12;
  const gridW = labelW + pad + cols * cellW;
  const top = titleStripHeight(opts.title);
  const width = Math.max(gridW, titleWidth(opts.title));
  const blockH = 2 * cellH;
  const height = top + pad + blocks * blockH + (blocks - 1) * blockGap;
  const gridLeft = Math.floor((width - gridW) / 2);
  const blockTops = Array.from({ length: blocks }, (_, b) => top + pad + b * (blockH + blockGap));
  const imagesLeft = gridLeft + labelW + pad;
  return {
    width,
    height,
    cellH,
    scale,
    imagesLeft,
    blockTops,
    blockGap,
    gridLeft,
    gridW,
    origin: (i) => [imagesLeft + (i % cols) * cellW, blockTops[Math.floor(i / cols)]],
  };
}

/**
 * Renders `n` originals and their `n` reconstructions (both packed NHWC of
 * `shape`, grey or RGB, values in [0,1]) as a PNG of alternating rows: a row
 * of up to `opts.cols` originals labelled "original", then the matching
 * reconstructions labelled "reconstruction" directly beneath, repeated until
 * all `n` are shown.
 *
 * @throws RangeError when either buffer holds fewer than `n` images of `shape`.
 */
export async function reconstructionGridPng(
  originals: Float32Array,
  recons: Float32Array,
  n: number,
  shape: ImageShape,
  opts: ReconstructionGridOptions,
): Promise<Uint8Array> {
  checkImages('reconstructionGrid originals', originals, n, shape);
  checkImages('reconstructionGrid recons', recons, n, shape);
  const l = reconstructionGridLayout(n, shape, opts);
  const canvas = createCanvas(l.width, l.height, GRID_BACKGROUND);
  for (let i = 0; i < n; i++) {
    const [x, y] = l.origin(i);
    drawImage(canvas, originals, i, shape, x, y, l.scale);
    drawImage(canvas, recons, i, shape, x, y + l.cellH, l.scale);
  }
  const svg: string[] = [];
  if (opts.title) svg.push(gridTitleSvg(l.width, opts.title));
  const imageH = shape[0] * l.scale;
  l.blockTops.forEach((y0, b) => {
    if (b > 0) svg.push(`<path d="M${l.gridLeft + 4} ${y0 - Math.ceil(l.blockGap / 2) - 0.5}h${l.gridW - 8}" stroke="${hex(SEPARATOR)}" stroke-width="1"/>`);
    // Labels are right-aligned against the images and vertically centred on their row.
    for (const [row, label] of [[0, ORIGINAL_LABEL], [1, RECONSTRUCTION_LABEL]] as const) {
      svg.push(svgText(l.imagesLeft - 8, y0 + row * l.cellH + imageH / 2 + LABEL_SIZE * 0.35, label, { size: LABEL_SIZE, fill: GRID_TEXT, anchor: 'end', cls: 'row-label' }));
    }
  });
  return encodeCanvas(canvas, svgDocument(l.width, l.height, null, svg.join('')));
}
