/**
 * Shared layout and axes for the SVG line chart and latent scatter, so both
 * plots have the same margins, fonts, gridlines and tick styling.
 */
import type { Axis } from './ticks.js';
import type { Rect, Rgb } from './svg.js';
import { estimateTextWidth, hex, num, svgText } from './svg.js';

/** Text and line colours for white-background charts. */
export const INK: Rgb = [40, 40, 40];
/** Tick labels and notes: readable but quieter than titles. */
export const MUTED_INK: Rgb = [90, 90, 90];
/** Gridlines: just visible enough to read a value off. */
export const GRIDLINE: Rgb = [228, 228, 228];
/** Axis lines and tick marks. */
export const AXIS_LINE: Rgb = [120, 120, 120];
/** Chart background. */
export const CHART_BG: Rgb = [255, 255, 255];

/** Font sizes in px: title, axis titles and legend, tick labels. */
export const TITLE_SIZE = 16;
/** Axis titles and legend entries. */
export const LABEL_SIZE = 13;
/** Tick labels. */
export const TICK_SIZE = 11;

/** Outer margin around everything, in pixels. */
export const MARGIN = 14;
const TICK_LEN = 4;
const GAP = 6;

/** A chart as SVG text, with where its data area and axes are, so callers and tests can map data to pixels. */
export interface ChartSvg {
  /** The complete SVG document. */
  readonly svg: string;
  /** Canvas width in px. */
  readonly width: number;
  /** Canvas height in px. */
  readonly height: number;
  /** The plotting area inside the axes; data marks are drawn only here. */
  readonly plotArea: Rect;
  /** The x axis (range, ticks, labels). */
  readonly xAxis: Axis;
  /** The y axis (range, ticks, labels). */
  readonly yAxis: Axis;
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

/**
 * Computes the plot area from the canvas size and the room the tick labels
 * and axis titles need, so a long tick label like "1.25e6" never runs into
 * the axis title.
 */
export function layoutPlotArea(l: FrameLayoutInput): Rect {
  const maxYTick = Math.max(0, ...l.yAxis.labels.map((s) => estimateTextWidth(s, TICK_SIZE)));
  const lastXTick = l.xAxis.labels.length > 0 ? estimateTextWidth(l.xAxis.labels[l.xAxis.labels.length - 1], TICK_SIZE) : 0;
  const left = Math.ceil(MARGIN + (l.yLabel ? LABEL_SIZE + GAP : 0) + maxYTick + GAP + TICK_LEN);
  const right = Math.floor(l.width - l.right - Math.max(MARGIN, lastXTick / 2 + 4));
  // The top tick label is centred on the frame edge, so leave half its height free above.
  const top = Math.ceil(l.top + TICK_SIZE / 2 + 2);
  const bottom = Math.floor(l.height - MARGIN - (l.xLabel ? LABEL_SIZE + GAP : 0) - TICK_SIZE - GAP - TICK_LEN);
  return { x: left, y: top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

/** Maps a data x to a pixel x inside `plot`. */
export function toPx(v: number, axis: Axis, plot: Rect): number {
  return plot.x + ((v - axis.min) / (axis.max - axis.min)) * plot.width;
}

/** Maps a data y to a pixel y inside `plot` (y grows upwards in data space). */
export function toPy(v: number, axis: Axis, plot: Rect): number {
  return plot.y + plot.height - ((v - axis.min) / (axis.max - axis.min)) * plot.height;
}

/**
 * SVG for gridlines, axis lines, ticks, tick labels and axis titles around
 * `plot`. It goes first in the document so data drawn afterwards sits on top.
 */
export function frameSvg(height: number, plot: Rect, xAxis: Axis, yAxis: Axis, xLabel?: string, yLabel?: string): string {
  const bottom = plot.y + plot.height;
  const out: string[] = [];
  const grid: string[] = [];
  for (const t of yAxis.ticks) grid.push(`M${num(plot.x)} ${num(toPy(t, yAxis, plot))}h${num(plot.width)}`);
  for (const t of xAxis.ticks) grid.push(`M${num(toPx(t, xAxis, plot))} ${num(plot.y)}v${num(plot.height)}`);
  out.push(`<path class="grid" d="${grid.join('')}" stroke="${hex(GRIDLINE)}" stroke-width="1" fill="none"/>`);

  // Left and bottom axis lines only: a full box adds ink without information.
  const ticks: string[] = [`M${num(plot.x)} ${num(plot.y)}V${num(bottom)}H${num(plot.x + plot.width)}`];
  for (const t of yAxis.ticks) ticks.push(`M${num(plot.x - TICK_LEN)} ${num(toPy(t, yAxis, plot))}h${TICK_LEN}`);
  for (const t of xAxis.ticks) ticks.push(`M${num(toPx(t, xAxis, plot))} ${num(bottom)}v${TICK_LEN}`);
  out.push(`<path class="axes" d="${ticks.join('')}" stroke="${hex(AXIS_LINE)}" stroke-width="1" fill="none"/>`);

  yAxis.ticks.forEach((t, i) => {
    // 0.35em below the tick centres a digit's cap height on it.
    out.push(svgText(plot.x - TICK_LEN - GAP + 2, toPy(t, yAxis, plot) + TICK_SIZE * 0.35, yAxis.labels[i], { size: TICK_SIZE, fill: MUTED_INK, anchor: 'end', cls: 'y-tick' }));
  });
  // Skip every other x label if neighbours would touch (narrow charts, long labels).
  const xs = xAxis.ticks.map((t) => toPx(t, xAxis, plot));
  const widths = xAxis.labels.map((s) => estimateTextWidth(s, TICK_SIZE));
  let every = 1;
  while (every < xs.length && !labelsFit(xs, widths, every)) every++;
  xAxis.ticks.forEach((_, i) => {
    if (i % every !== 0) return;
    out.push(svgText(xs[i], bottom + TICK_LEN + GAP - 2 + TICK_SIZE, xAxis.labels[i], { size: TICK_SIZE, fill: MUTED_INK, anchor: 'middle', cls: 'x-tick' }));
  });

  if (xLabel) out.push(svgText(plot.x + plot.width / 2, height - MARGIN, xLabel, { size: LABEL_SIZE, fill: INK, anchor: 'middle', cls: 'x-label' }));
  if (yLabel) out.push(svgText(MARGIN + LABEL_SIZE * 0.8, plot.y + plot.height / 2, yLabel, { size: LABEL_SIZE, fill: INK, anchor: 'middle', rotate: -90, cls: 'y-label' }));
  return out.join('');
}

function labelsFit(xs: number[], widths: number[], every: number): boolean {
  for (let i = every; i < xs.length; i += every) {
    const prevRight = xs[i - every] + widths[i - every] / 2;
    const left = xs[i] - widths[i] / 2;
    if (left - prevRight < 8) return false;
  }
  return true;
}

/** SVG for a title centred across the canvas, and the y just below it. */
export function titleSvg(width: number, title: string | undefined): { svg: string; bottom: number } {
  if (!title) return { svg: '', bottom: MARGIN };
  return { svg: svgText(width / 2, MARGIN + TITLE_SIZE * 0.8, title, { size: TITLE_SIZE, fill: INK, anchor: 'middle', weight: 'bold', cls: 'title' }), bottom: MARGIN + TITLE_SIZE + 6 };
}
