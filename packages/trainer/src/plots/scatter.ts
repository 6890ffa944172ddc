/**
 * 2-D latent-space scatter coloured by digit label: the classic VAE picture
 * showing whether the encoder separates the classes.
 */
import type { Rgb } from './raster.js';
import { createRaster, drawText, fillCircle, fillRect, measureText } from './raster.js';
import type { ChartRaster } from './chart-frame.js';
import { CHART_BG, INK, LABEL_SCALE, MARGIN, drawFrame, drawTitle, layoutPlotArea, toPx, toPy } from './chart-frame.js';
import { buildAxis } from './ticks.js';

/**
 * Ten well-separated label colours (Tableau 10): distinguishable from one
 * another, on white, and for the common forms of colour blindness better than
 * a rainbow ramp, which would also wrongly suggest an ordering of digits.
 */
export const LABEL_COLORS: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/** Options for {@link latentScatter}. */
export interface LatentScatterOptions {
  title?: string;
  /** Canvas width in pixels (default 560). */
  width?: number;
  /** Canvas height in pixels (default 480). */
  height?: number;
  /** Axis titles (default "z[0]" and "z[1]"). */
  xLabel?: string;
  yLabel?: string;
}

const POINT_RADIUS = 1.8;
/** Opacity of scatter points: translucent so thousands of overlapping codes show density, not a solid blob. */
export const POINT_ALPHA = 0.65;
const LEGEND_SWATCH = 9;

/**
 * Plots `n` 2-D points (`points` packed as `[x0, y0, x1, y1, …]`) coloured by
 * `labels[i]` (0–9; other values wrap modulo 10), with axes, nice ticks and a
 * 0–9 legend column on the right. Points are drawn in the given order, so pass
 * a shuffled batch to avoid one class painting over the rest. Non-finite
 * points are skipped.
 *
 * @throws RangeError when `points` has odd length or `labels` is shorter than `points.length / 2`.
 */
export function latentScatter(points: Float32Array, labels: Uint8Array, opts: LatentScatterOptions = {}): ChartRaster {
  if (points.length % 2 !== 0) throw new RangeError(`latentScatter: points must hold x,y pairs (length ${points.length} is odd)`);
  const n = points.length / 2;
  if (labels.length < n) throw new RangeError(`latentScatter: ${n} points but only ${labels.length} labels`);
  const width = Math.max(200, Math.round(opts.width ?? 560));
  const height = Math.max(160, Math.round(opts.height ?? 480));
  const r = createRaster(width, height, CHART_BG);

  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  const hasData = xMin <= xMax;
  const xAxis = hasData ? buildAxis(xMin, xMax) : buildAxis(-1, 1, { pad: 0 });
  const yAxis = hasData ? buildAxis(yMin, yMax) : buildAxis(-1, 1, { pad: 0 });
  const xLabel = opts.xLabel ?? 'z[0]';
  const yLabel = opts.yLabel ?? 'z[1]';

  const top = drawTitle(r, opts.title);
  const legendW = LEGEND_SWATCH + 6 + measureText('0', LABEL_SCALE).width + MARGIN + 8;
  const plot = layoutPlotArea({ width, height, top, right: legendW, xAxis, yAxis, xLabel, yLabel });
  drawFrame(r, plot, xAxis, yAxis, xLabel, yLabel);

  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    fillCircle(r, toPx(x, xAxis, plot), toPy(y, yAxis, plot), POINT_RADIUS, LABEL_COLORS[labels[i] % 10], POINT_ALPHA);
  }

  // Legend column, vertically centred on the plot, right of the plot area.
  const rowH = measureText('0', LABEL_SCALE).height + 6;
  const lx = plot.x + plot.width + 14;
  let ly = plot.y + Math.floor((plot.height - rowH * 10) / 2);
  for (let d = 0; d < 10; d++) {
    fillRect(r, lx, ly, LEGEND_SWATCH, LEGEND_SWATCH, LABEL_COLORS[d]);
    drawText(r, lx + LEGEND_SWATCH + 6, ly + 1, String(d), INK, LABEL_SCALE);
    ly += rowH;
  }
  return { ...r, plotArea: plot };
}
