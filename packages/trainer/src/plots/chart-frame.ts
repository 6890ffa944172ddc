/**
 * Shared layout and axis drawing for the line chart and latent scatter, so
 * both plots have identical margins, fonts, gridlines and tick styling.
 */
import type { Raster, Rect, Rgb } from './raster.js';
import { drawText, drawTextVertical, fillRect, measureText } from './raster.js';
import type { Axis } from './ticks.js';

/** Text and line colours for white-background charts. */
export const INK: Rgb = [40, 40, 40];
export const MUTED_INK: Rgb = [90, 90, 90];
export const GRIDLINE: Rgb = [228, 228, 228];
export const AXIS_LINE: Rgb = [120, 120, 120];
export const CHART_BG: Rgb = [255, 255, 255];

/** Font scales: a bold title, and everything else at a size that still fits 6 tick labels. */
export const TITLE_SCALE = 2;
export const LABEL_SCALE = 1;

/** Outer margin around everything, in pixels. */
export const MARGIN = 14;
const TICK_LEN = 4;
const GAP = 6;

/** A raster that also reports where the data area is, so callers and tests can reason about it. */
export interface ChartRaster extends Raster {
  /** The plotting area inside the axes; data marks are drawn only here. */
  readonly plotArea: Rect;
}

/** Inputs that decide how much room the axes need. */
export interface FrameLayoutInput {
  width: number;
  height: number;
  /** Pixels already used at the top (title, legend). */
  top: number;
  /** Pixels reserved on the right (e.g. a legend column). */
  right: number;
  xAxis: Axis;
  yAxis: Axis;
  xLabel?: string;
  yLabel?: string;
}

const labelHeight = (): number => measureText('0', LABEL_SCALE).height;
// Capital/digit ink spans the first 7 of 9 glyph rows; centre on those, not the descenders.
const capCentre = (): number => Math.floor((7 * LABEL_SCALE) / 2);

/**
 * Computes the plot area from the canvas size and the space the tick labels
 * and axis titles really need, measured with the bitmap font, so long tick
 * labels like "1.25e6" never run into the axis title.
 */
export function layoutPlotArea(l: FrameLayoutInput): Rect {
  const maxYTick = Math.max(0, ...l.yAxis.labels.map((s) => measureText(s, LABEL_SCALE).width));
  const lastXTick = l.xAxis.labels.length > 0 ? measureText(l.xAxis.labels[l.xAxis.labels.length - 1], LABEL_SCALE).width : 0;
  const left = MARGIN + (l.yLabel ? labelHeight() + GAP + 2 : 0) + maxYTick + GAP + TICK_LEN;
  const right = l.width - l.right - Math.max(MARGIN, Math.ceil(lastXTick / 2) + 4);
  // The top tick label is centred on the frame edge, so leave half its height free above.
  const top = l.top + Math.max(GAP, capCentre() + 2);
  const bottom = l.height - MARGIN - (l.xLabel ? labelHeight() + GAP : 0) - labelHeight() - GAP - TICK_LEN;
  return { x: left, y: top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

/** Maps a data x to a pixel column inside `plot`. */
export function toPx(v: number, axis: Axis, plot: Rect): number {
  return plot.x + ((v - axis.min) / (axis.max - axis.min)) * (plot.width - 1);
}

/** Maps a data y to a pixel row inside `plot` (y grows upwards in data space). */
export function toPy(v: number, axis: Axis, plot: Rect): number {
  return plot.y + plot.height - 1 - ((v - axis.min) / (axis.max - axis.min)) * (plot.height - 1);
}

/**
 * Draws gridlines, axis lines, ticks, tick labels and axis titles around
 * `plot`. Gridlines go first so data drawn afterwards sits on top of them.
 */
export function drawFrame(r: Raster, plot: Rect, xAxis: Axis, yAxis: Axis, xLabel?: string, yLabel?: string): void {
  const bottom = plot.y + plot.height - 1;
  const lh = labelHeight();

  for (const t of yAxis.ticks) {
    const py = Math.round(toPy(t, yAxis, plot));
    fillRect(r, plot.x, py, plot.width, 1, GRIDLINE);
  }
  for (const t of xAxis.ticks) {
    const px = Math.round(toPx(t, xAxis, plot));
    fillRect(r, px, plot.y, 1, plot.height, GRIDLINE);
  }

  // Left and bottom axis lines only: a full box adds ink without information.
  fillRect(r, plot.x - 1, plot.y, 1, plot.height + 1, AXIS_LINE);
  fillRect(r, plot.x - 1, bottom + 1, plot.width + 1, 1, AXIS_LINE);

  yAxis.ticks.forEach((t, i) => {
    const py = Math.round(toPy(t, yAxis, plot));
    fillRect(r, plot.x - 1 - TICK_LEN, py, TICK_LEN, 1, AXIS_LINE);
    const label = yAxis.labels[i];
    const w = measureText(label, LABEL_SCALE).width;
    drawText(r, plot.x - 1 - TICK_LEN - GAP + 2 - w, py - capCentre(), label, MUTED_INK, LABEL_SCALE);
  });

  // Skip every other x label if neighbours would touch (narrow charts, long labels).
  const xs = xAxis.ticks.map((t) => Math.round(toPx(t, xAxis, plot)));
  const widths = xAxis.labels.map((s) => measureText(s, LABEL_SCALE).width);
  let every = 1;
  while (every < xs.length && !labelsFit(xs, widths, every)) every++;
  xAxis.ticks.forEach((_, i) => {
    fillRect(r, xs[i], bottom + 2, 1, TICK_LEN, AXIS_LINE);
    if (i % every !== 0) return;
    drawText(r, xs[i] - Math.floor(widths[i] / 2), bottom + 2 + TICK_LEN + GAP - 2, xAxis.labels[i], MUTED_INK, LABEL_SCALE);
  });

  if (xLabel) {
    const w = measureText(xLabel, LABEL_SCALE).width;
    drawText(r, plot.x + Math.floor((plot.width - w) / 2), r.height - MARGIN - lh + 2, xLabel, INK, LABEL_SCALE);
  }
  if (yLabel) {
    const len = measureText(yLabel, LABEL_SCALE).width;
    drawTextVertical(r, MARGIN, plot.y + Math.floor((plot.height - len) / 2), yLabel, INK, LABEL_SCALE);
  }
}

function labelsFit(xs: number[], widths: number[], every: number): boolean {
  for (let i = every; i < xs.length; i += every) {
    const prevRight = xs[i - every] + widths[i - every] / 2;
    const left = xs[i] - widths[i] / 2;
    if (left - prevRight < 8) return false;
  }
  return true;
}

/** Draws a title centred across the canvas; returns the y just below it. */
export function drawTitle(r: Raster, title: string | undefined): number {
  if (!title) return MARGIN;
  const { width, height } = measureText(title, TITLE_SCALE);
  drawText(r, Math.floor((r.width - width) / 2), MARGIN, title, INK, TITLE_SCALE);
  return MARGIN + height + 4;
}
