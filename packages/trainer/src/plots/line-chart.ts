/**
 * Line chart, as SVG, for per-epoch training curves (train/test NELBO, recon
 * vs KL). Robust to what training really produces: one epoch so far, a series
 * with no points yet, and NaN/Infinity from a diverging step.
 */
import type { ChartSvg } from './chart-axes.js';
import { CHART_BG, INK, LABEL_SIZE, MUTED_INK, frameSvg, layoutPlotArea, titleSvg, toPx, toPy } from './chart-axes.js';
import type { Rgb } from './svg.js';
import { escapeXml, estimateTextWidth, hex, num, svgDocument, svgText } from './svg.js';
import { buildAxis, formatValue } from './ticks.js';

/** One named curve. Points need not be sorted; they are drawn in x order. */
export interface LineSeries {
  /** Legend name. */
  name: string;
  /** Stroke colour. */
  color: Rgb;
  /** (x, y) points. */
  points: [number, number][];
}

/** Options for {@link lineChartSvg}. */
export interface LineChartOptions {
  /** Title above the legend. */
  title: string;
  /** x axis title. */
  xLabel: string;
  /** y axis title. */
  yLabel: string;
  /** Canvas width in pixels (default 640). */
  width?: number;
  /** Canvas height in pixels (default 400). */
  height?: number;
}

// Markers make individual epochs countable; past this many points they only add clutter.
const MARKER_MAX_POINTS = 40;
const LINE_WIDTH = 2;
/** Radius of the per-point markers, in px. */
export const MARKER_RADIUS = 3;
const SWATCH_W = 18;
const ITEM_GAP = 18;

const isFinitePoint = ([x, y]: [number, number]): boolean => Number.isFinite(x) && Number.isFinite(y);

/**
 * Draws `series` as an SVG line chart with a title, axis titles, 4–6 nice
 * ticks per axis, light gridlines and a legend (with each series' latest
 * value) between the title and the plot, where it can never cover a curve.
 *
 * Each series with a finite point is one `<path class="series">` (non-finite points break it into
 * several subpaths, since a gap is more honest than bridging a NaN epoch),
 * plus `<circle>` markers while there are few points. The y range fits all
 * finite points plus 5%; x ticks are integers when every x is (epochs). Empty
 * input draws the axes with a "no data yet" note instead of throwing.
 */
export function lineChartSvg(series: LineSeries[], opts: LineChartOptions): ChartSvg {
  const width = Math.max(160, Math.round(opts.width ?? 640));
  const height = Math.max(120, Math.round(opts.height ?? 400));

  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  let allIntX = true;
  for (const s of series) {
    for (const p of s.points) {
      if (!isFinitePoint(p)) continue;
      xMin = Math.min(xMin, p[0]);
      xMax = Math.max(xMax, p[0]);
      yMin = Math.min(yMin, p[1]);
      yMax = Math.max(yMax, p[1]);
      if (!Number.isInteger(p[0])) allIntX = false;
    }
  }
  const hasData = xMin <= xMax;
  const xAxis = hasData ? buildAxis(xMin, xMax, { integer: allIntX, pad: 0.03 }) : buildAxis(0, 1, { pad: 0 });
  const yAxis = hasData ? buildAxis(yMin, yMax) : buildAxis(0, 1, { pad: 0 });

  const title = titleSvg(width, opts.title);
  const legend = legendSvg(series, width, title.bottom + 2);
  const plot = layoutPlotArea({ width, height, top: legend.bottom, right: 0, xAxis, yAxis, xLabel: opts.xLabel, yLabel: opts.yLabel });
  const body = [title.svg, legend.svg, frameSvg(height, plot, xAxis, yAxis, opts.xLabel, opts.yLabel)];

  if (!hasData) {
    body.push(svgText(plot.x + plot.width / 2, plot.y + plot.height / 2, 'no data yet', { size: LABEL_SIZE, fill: MUTED_INK, anchor: 'middle', cls: 'note' }));
  } else {
    // Data outside the plot (it cannot be, but a rounding slip should not paint the margins).
    body.push(`<defs><clipPath id="plot"><rect x="${plot.x - MARKER_RADIUS}" y="${plot.y - MARKER_RADIUS}" width="${plot.width + 2 * MARKER_RADIUS}" height="${plot.height + 2 * MARKER_RADIUS}"/></clipPath></defs>`);
    body.push('<g clip-path="url(#plot)">');
    for (const s of series) {
      const pts = [...s.points].sort((a, b) => a[0] - b[0]);
      const finite = pts.filter(isFinitePoint);
      let d = '';
      let pen = false;
      const markers: string[] = [];
      for (const p of pts) {
        if (!isFinitePoint(p)) {
          pen = false;
          continue;
        }
        const px = toPx(p[0], xAxis, plot);
        const py = toPy(p[1], yAxis, plot);
        d += `${pen ? 'L' : 'M'}${num(px)} ${num(py)}`;
        // Lone points (first epoch, or isolated by NaNs) would be invisible without a marker.
        if (finite.length <= MARKER_MAX_POINTS || !pen) markers.push(`<circle cx="${num(px)}" cy="${num(py)}" r="${MARKER_RADIUS}"/>`);
        pen = true;
      }
      if (d === '') continue; // a series with no finite point yet has nothing to draw
      const color = hex(s.color);
      body.push(`<path class="series" data-name="${escapeXml(s.name)}" d="${d}" stroke="${color}" stroke-width="${LINE_WIDTH}" stroke-linejoin="round" stroke-linecap="round" fill="none"/>`);
      if (markers.length > 0) body.push(`<g class="markers" fill="${color}">${markers.join('')}</g>`);
    }
    body.push('</g>');
  }
  return { svg: svgDocument(width, height, CHART_BG, body.join('')), width, height, plotArea: plot, xAxis, yAxis };
}

/**
 * The legend as centred rows of "swatch name (latest)" entries starting at
 * `y`, wrapping when a row is full; returns its SVG and the y below it.
 */
function legendSvg(series: LineSeries[], width: number, y: number): { svg: string; bottom: number } {
  if (series.length === 0) return { svg: '', bottom: y };
  const items = series.map((s) => {
    const pts = s.points.filter(isFinitePoint).sort((a, b) => a[0] - b[0]);
    const label = pts.length > 0 ? `${s.name} (${formatValue(pts[pts.length - 1][1])})` : s.name;
    return { s, label, w: SWATCH_W + 5 + estimateTextWidth(label, LABEL_SIZE) };
  });
  const rowH = LABEL_SIZE + 7;
  const maxRow = width - 2 * 14;
  const rows: (typeof items)[] = [[]];
  let rowW = 0;
  for (const it of items) {
    const cur = rows[rows.length - 1];
    if (cur.length > 0 && rowW + ITEM_GAP + it.w > maxRow) {
      rows.push([it]);
      rowW = it.w;
    } else {
      rowW += (cur.length > 0 ? ITEM_GAP : 0) + it.w;
      cur.push(it);
    }
  }
  const out: string[] = ['<g class="legend">'];
  let yy = y;
  for (const row of rows) {
    const total = row.reduce((a, it) => a + it.w, 0) + ITEM_GAP * (row.length - 1);
    let x = (width - total) / 2;
    const mid = yy + rowH / 2;
    for (const it of row) {
      const c = hex(it.s.color);
      out.push(`<path d="M${num(x)} ${num(mid)}h${SWATCH_W}" stroke="${c}" stroke-width="${LINE_WIDTH}"/>`);
      out.push(`<circle cx="${num(x + SWATCH_W / 2)}" cy="${num(mid)}" r="${MARKER_RADIUS}" fill="${c}"/>`);
      out.push(svgText(x + SWATCH_W + 5, mid + LABEL_SIZE * 0.35, it.label, { size: LABEL_SIZE, fill: INK }));
      x += it.w + ITEM_GAP;
    }
    yy += rowH;
  }
  out.push('</g>');
  return { svg: out.join(''), bottom: yy };
}
