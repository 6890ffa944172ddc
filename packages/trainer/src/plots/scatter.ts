/**
 * 2-D latent-space scatter, as SVG, coloured by label: the classic VAE
 * picture showing whether the encoder separates the classes.
 */
import type { ChartSvg } from './chart-axes.js';
import { CHART_BG, INK, LABEL_SIZE, MARGIN, frameSvg, layoutPlotArea, titleSvg, toPx, toPy } from './chart-axes.js';
import type { Rgb } from './svg.js';
import { estimateTextWidth, hex, num, svgDocument, svgText } from './svg.js';
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

/** Options for {@link latentScatterSvg}. */
export interface LatentScatterOptions {
  /** Title above the plot. */
  title?: string;
  /** Canvas width in pixels (default 560). */
  width?: number;
  /** Canvas height in pixels (default 480). */
  height?: number;
  /** x axis title (default "z[0]"). */
  xLabel?: string;
  /** y axis title (default "z[1]"). */
  yLabel?: string;
}

/** Radius of one point, in px. */
export const POINT_RADIUS = 2;
/** Opacity of scatter points: translucent so thousands of overlapping codes show density, not a solid blob. */
export const POINT_ALPHA = 0.65;
const LEGEND_SWATCH = 10;

/**
 * Plots `n` 2-D points (`points` packed as `[x0, y0, x1, y1, …]`) coloured by
 * `labels[i]` (0–9; other values wrap modulo 10), one translucent `<circle>`
 * each inside `<g class="points">`, with axes, nice ticks and a 0–9 legend
 * column on the right. Points are drawn in the given order, so pass a
 * shuffled batch to avoid one class painting over the rest. Non-finite points
 * are skipped.
 *
 * @throws RangeError when `points` has odd length or `labels` is shorter than `points.length / 2`.
 */
export function latentScatterSvg(points: Float32Array, labels: Uint8Array, opts: LatentScatterOptions = {}): ChartSvg {
  if (points.length % 2 !== 0) throw new RangeError(`latentScatter: points must hold x,y pairs (length ${points.length} is odd)`);
  const n = points.length / 2;
  if (labels.length < n) throw new RangeError(`latentScatter: ${n} points but only ${labels.length} labels; expected one label per point`);
  const width = Math.max(200, Math.round(opts.width ?? 560));
  const height = Math.max(160, Math.round(opts.height ?? 480));

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

  const title = titleSvg(width, opts.title);
  const legendW = LEGEND_SWATCH + 6 + estimateTextWidth('0', LABEL_SIZE) + MARGIN + 8;
  const plot = layoutPlotArea({ width, height, top: title.bottom, right: legendW, xAxis, yAxis, xLabel, yLabel });
  const body = [title.svg, frameSvg(height, plot, xAxis, yAxis, xLabel, yLabel)];

  // One group in the given order, not one per label: grouping would let the last label paint over all others.
  const circles: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    circles.push(`<circle cx="${num(toPx(x, xAxis, plot))}" cy="${num(toPy(y, yAxis, plot))}" r="${POINT_RADIUS}" fill="${hex(LABEL_COLORS[labels[i] % 10])}"/>`);
  }
  body.push(`<g class="points" fill-opacity="${POINT_ALPHA}">${circles.join('')}</g>`);

  // Legend column, vertically centred on the plot, right of the plot area.
  const rowH = LABEL_SIZE + 6;
  const lx = plot.x + plot.width + 14;
  let ly = plot.y + (plot.height - rowH * 10) / 2;
  body.push('<g class="legend">');
  for (let d = 0; d < 10; d++) {
    body.push(`<rect x="${num(lx)}" y="${num(ly)}" width="${LEGEND_SWATCH}" height="${LEGEND_SWATCH}" fill="${hex(LABEL_COLORS[d])}"/>`);
    body.push(svgText(lx + LEGEND_SWATCH + 6, ly + LEGEND_SWATCH / 2 + LABEL_SIZE * 0.35, String(d), { size: LABEL_SIZE, fill: INK }));
    ly += rowH;
  }
  body.push('</g>');
  return { svg: svgDocument(width, height, CHART_BG, body.join('')), width, height, plotArea: plot, xAxis, yAxis };
}
