/**
 * Shows originals directly above their VAE reconstructions, so a person can
 * compare each digit with what the model made of it at a glance.
 */
import type { Raster } from './raster.js';
import { createRaster, drawText, fillRect, measureText } from './raster.js';
import type { ImageGridOptions } from './image-grid.js';
import { GRID_BACKGROUND, GRID_TEXT, GRID_TITLE_SCALE, checkImages, drawGrayImage, titleStripHeight } from './image-grid.js';

/** Layout options for {@link reconstructionGrid}; same meaning as for the image grid. */
export type ReconstructionGridOptions = ImageGridOptions;

/** Row labels, kept short enough for the bitmap font at scale 1. */
export const ORIGINAL_LABEL = 'original';
export const RECONSTRUCTION_LABEL = 'reconstruction';

const LABEL_SCALE = 1;
const LABEL_COLOR = GRID_TEXT;
// Dimmer separator between pair blocks so the eye groups each original with
// the row right below it rather than the reconstruction row above.
const SEPARATOR = [90, 90, 90] as const;

/**
 * Renders `n` originals and their `n` reconstructions (both packed `[n, h, w]`,
 * values in [0,1]) as alternating rows: a row of up to `opts.cols` originals
 * labelled "original", then the matching reconstructions labelled
 * "reconstruction" directly beneath, repeated until all `n` are shown.
 */
export function reconstructionGrid(
  originals: Float32Array,
  recons: Float32Array,
  n: number,
  h: number,
  w: number,
  opts: ReconstructionGridOptions,
): Raster {
  checkImages('reconstructionGrid originals', originals, n, h, w);
  checkImages('reconstructionGrid recons', recons, n, h, w);
  const cols = Math.max(1, Math.floor(opts.cols));
  const scale = Math.max(1, Math.round(opts.scale ?? 2));
  const pad = Math.max(0, Math.round(opts.pad ?? 2));
  const blocks = Math.max(1, Math.ceil(n / cols));
  const cellW = w * scale + pad;
  const cellH = h * scale + pad;
  const blockGap = Math.max(6, pad * 3);

  const labelW = Math.max(measureText(ORIGINAL_LABEL, LABEL_SCALE).width, measureText(RECONSTRUCTION_LABEL, LABEL_SCALE).width) + 12;
  const gridW = labelW + pad + cols * cellW;
  const top = titleStripHeight(opts.title);
  const titleW = opts.title ? measureText(opts.title, GRID_TITLE_SCALE).width + 16 : 0;
  const width = Math.max(gridW, titleW);
  const blockH = 2 * cellH;
  const height = top + pad + blocks * blockH + (blocks - 1) * blockGap;
  const r = createRaster(width, height, GRID_BACKGROUND);

  if (opts.title) {
    const tw = measureText(opts.title, GRID_TITLE_SCALE).width;
    drawText(r, Math.floor((width - tw) / 2), 5, opts.title, GRID_TEXT, GRID_TITLE_SCALE);
  }
  const left = Math.floor((width - gridW) / 2);
  const labelH = measureText('x', LABEL_SCALE).height;
  for (let b = 0; b < blocks; b++) {
    const y0 = top + pad + b * (blockH + blockGap);
    if (b > 0) fillRect(r, left + 4, y0 - Math.ceil(blockGap / 2) - 1, gridW - 8, 1, SEPARATOR);
    // Labels are right-aligned against the images and vertically centred on their row.
    for (const [row, label] of [[0, ORIGINAL_LABEL], [1, RECONSTRUCTION_LABEL]] as const) {
      const lw = measureText(label, LABEL_SCALE).width;
      const ly = y0 + row * cellH + Math.floor((h * scale - labelH) / 2);
      drawText(r, left + labelW - 6 - lw, ly, label, LABEL_COLOR, LABEL_SCALE);
    }
    for (let c = 0; c < cols; c++) {
      const i = b * cols + c;
      if (i >= n) break;
      const x = left + labelW + pad + c * cellW;
      drawGrayImage(r, originals, i, h, w, x, y0, scale);
      drawGrayImage(r, recons, i, h, w, x, y0 + cellH, scale);
    }
  }
  return r;
}
