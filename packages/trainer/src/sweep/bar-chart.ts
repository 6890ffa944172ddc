/**
 * Bar chart, as SVG, for a metric against categorical values (recon
 * bernoulli/mse, a switch on/off). Same frame, fonts and colours as the
 * trainer's line chart (plots/chart-axes.ts); bars start at zero so their
 * lengths compare honestly.
 */
import type { ChartSvg } from '../plots/chart-axes.js';
import { CHART_BG, frameSvg, layoutPlotArea, titleSvg, toPx, toPy } from '../plots/chart-axes.js';
import type { Axis } from '../plots/ticks.js';
import { buildAxis } from '../plots/ticks.js';
import type { Rgb } from '../plots/svg.js';
import { escapeXml, hex, num, svgDocument } from '../plots/svg.js';

/** Options for {@link barChartSvg}. */
export interface BarChartOptions {
  /** Title above the chart. */
  title: string;
  /** x axis title (the varied flag). */
  xLabel: string;
  /** y axis title (the metric and its unit). */
  yLabel: string;
  /** Fill of every bar. */
  color: Rgb;
  /** Canvas width in pixels (default 640). */
  width?: number;
  /** Canvas height in pixels (default 400). */
  height?: number;
}

/** One bar per `[label, value]`, in the order given; a non-finite value leaves its slot empty. */
export function barChartSvg(bars: readonly [string, number][], opts: BarChartOptions): ChartSvg {
  const width = Math.max(160, Math.round(opts.width ?? 640));
  const height = Math.max(120, Math.round(opts.height ?? 400));
  const finite = bars.map((b) => b[1]).filter(Number.isFinite);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  const yAxis = buildAxis(lo, hi === lo ? lo + 1 : hi);
  const xAxis: Axis = { min: -0.5, max: bars.length - 0.5, ticks: bars.map((_, i) => i), labels: bars.map((b) => b[0]) };
  const title = titleSvg(width, opts.title);
  const plot = layoutPlotArea({ width, height, top: title.bottom, right: 0, xAxis, yAxis, xLabel: opts.xLabel, yLabel: opts.yLabel });
  const slot = plot.width / Math.max(1, bars.length);
  const rects = bars.map(([label, v], i) => {
    if (!Number.isFinite(v)) return '';
    // Rounded before the height is taken, so every bar's foot lands on the same pixel row.
    const y0 = Number(num(toPy(0, yAxis, plot)));
    const y1 = Number(num(toPy(v, yAxis, plot)));
    const x = toPx(i, xAxis, plot) - slot * 0.35;
    return `<rect class="bar" data-label="${escapeXml(label)}" x="${num(x)}" y="${num(Math.min(y0, y1))}" width="${num(slot * 0.7)}" height="${num(Math.abs(y1 - y0))}" fill="${hex(opts.color)}"/>`;
  });
  const body = [title.svg, frameSvg(height, plot, xAxis, yAxis, opts.xLabel, opts.yLabel), ...rects];
  return { svg: svgDocument(width, height, CHART_BG, body.join('')), width, height, plotArea: plot, xAxis, yAxis };
}
