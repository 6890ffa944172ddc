/**
 * Line chart for per-epoch training curves (train/test NELBO, recon vs KL).
 * Robust to what training really produces: one epoch so far, a series with no
 * points yet, and NaN/Infinity from a diverging step.
 */
import type { Rgb } from './raster.js';
import { createRaster, drawLine, drawText, fillCircle, fillRect, measureText } from './raster.js';
import type { ChartRaster } from './chart-frame.js';
import { CHART_BG, INK, LABEL_SCALE, MUTED_INK, drawFrame, drawTitle, layoutPlotArea, toPx, toPy } from './chart-frame.js';
import { buildAxis, formatValue } from './ticks.js';

/** One named curve. Points need not be sorted; they are drawn in x order. */
export interface LineSeries {
  name: string;
  color: Rgb | [number, number, number];
  points: [number, number][];
}

/** Options for {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Canvas width in pixels (default 640). */
  width?: number;
  /** Canvas height in pixels (default 400). */
  height?: number;
}

// Markers make individual epochs countable; past this many points they only add clutter.
const MARKER_MAX_POINTS = 40;
const LINE_THICKNESS = 2;
const MARKER_RADIUS = 3;
const SWATCH_W = 18;

const finitePoints = (s: LineSeries): [number, number][] =>
  s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));

/**
 * Renders `series` as a line chart with a title, axis labels, 4–6 nice ticks
 * per axis, light gridlines and a legend (with each series' latest value)
 * between the title and the plot, where it can never cover a curve.
 *
 * The y-range fits all finite points plus 5% padding; x ticks are integers
 * when every x is an integer (epochs). Non-finite points are skipped and break
 * the line, a lone point is drawn as a marker, and empty input draws the axes
 * with a "no data yet" note instead of throwing.
 */
export function lineChart(series: LineSeries[], opts: LineChartOptions): ChartRaster {
  const width = Math.max(160, Math.round(opts.width ?? 640));
  const height = Math.max(120, Math.round(opts.height ?? 400));
  const r = createRaster(width, height, CHART_BG);

  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  let allIntX = true;
  for (const s of series) {
    for (const [x, y] of finitePoints(s)) {
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
      if (!Number.isInteger(x)) allIntX = false;
    }
  }
  const hasData = xMin <= xMax;
  const xAxis = hasData ? buildAxis(xMin, xMax, { integer: allIntX, pad: 0.03 }) : buildAxis(0, 1, { pad: 0 });
  const yAxis = hasData ? buildAxis(yMin, yMax) : buildAxis(0, 1, { pad: 0 });

  let top = drawTitle(r, opts.title);
  top = drawLegend(r, series, top + 2);
  const plot = layoutPlotArea({ width, height, top, right: 0, xAxis, yAxis, xLabel: opts.xLabel, yLabel: opts.yLabel });
  drawFrame(r, plot, xAxis, yAxis, opts.xLabel, opts.yLabel);

  if (!hasData) {
    const msg = 'no data yet';
    const { width: mw, height: mh } = measureText(msg, LABEL_SCALE);
    const mx = plot.x + Math.floor((plot.width - mw) / 2);
    const my = plot.y + Math.floor((plot.height - mh) / 2);
    // Blank out the gridlines behind the note so it reads cleanly.
    fillRect(r, mx - 6, my - 4, mw + 12, mh + 6, CHART_BG);
    drawText(r, mx, my, msg, MUTED_INK, LABEL_SCALE);
    return { ...r, plotArea: plot };
  }

  for (const s of series) {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const finiteCount = finitePoints(s).length;
    let prev: [number, number] | undefined;
    for (const [x, y] of pts) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        prev = undefined; // a gap is more honest than bridging a NaN epoch
        continue;
      }
      const p: [number, number] = [toPx(x, xAxis, plot), toPy(y, yAxis, plot)];
      if (prev) drawLine(r, prev[0], prev[1], p[0], p[1], s.color, LINE_THICKNESS);
      // Lone points (first epoch, or isolated by NaNs) would be invisible without a marker.
      if (finiteCount <= MARKER_MAX_POINTS || !prev) fillCircle(r, p[0], p[1], MARKER_RADIUS, s.color);
      prev = p;
    }
  }
  return { ...r, plotArea: plot };
}

/**
 * Draws the legend as centred rows of "swatch name (latest)" entries starting
 * at `y`, wrapping when the row is full. Returns the y below the legend.
 */
function drawLegend(r: ReturnType<typeof createRaster>, series: LineSeries[], y: number): number {
  if (series.length === 0) return y;
  const items = series.map((s) => {
    const pts = finitePoints(s);
    const last = pts.length > 0 ? [...pts].sort((a, b) => a[0] - b[0])[pts.length - 1][1] : undefined;
    const label = last === undefined ? s.name : `${s.name} (${formatValue(last)})`;
    return { s, label, w: SWATCH_W + 5 + measureText(label, LABEL_SCALE).width };
  });
  const itemGap = 18;
  const rowH = measureText('0', LABEL_SCALE).height + 5;
  const maxRow = r.width - 2 * 14;
  const rows: (typeof items)[] = [[]];
  let rowW = 0;
  for (const it of items) {
    const cur = rows[rows.length - 1];
    if (cur.length > 0 && rowW + itemGap + it.w > maxRow) {
      rows.push([it]);
      rowW = it.w;
    } else {
      rowW += (cur.length > 0 ? itemGap : 0) + it.w;
      cur.push(it);
    }
  }
  let yy = y;
  for (const row of rows) {
    const total = row.reduce((a, it) => a + it.w, 0) + itemGap * (row.length - 1);
    let x = Math.floor((r.width - total) / 2);
    for (const it of row) {
      const mid = yy + 3; // centre of the digit/capital ink
      fillRect(r, x, mid - 1, SWATCH_W, 2, it.s.color);
      fillCircle(r, x + SWATCH_W / 2, mid, MARKER_RADIUS - 0.5, it.s.color);
      drawText(r, x + SWATCH_W + 5, yy, it.label, INK, LABEL_SCALE);
      x += it.w + itemGap;
    }
    yy += rowH;
  }
  return yy;
}
