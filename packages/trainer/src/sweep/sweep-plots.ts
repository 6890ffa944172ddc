/**
 * The sweep's PNGs in `DIR/plots/`: each metric against the varied value
 * (a line for numeric values, bars otherwise), and every run's sample grid
 * side by side under its value. Drawn the trainer's way: SVG text rasterised
 * by sharp (plots/rasterise.ts), written atomically.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '@vae/format/checkpoint';
import { lineChartSvg, svgToPng } from '../plots/index.js';
import { CHART_BG, INK, LABEL_SIZE, MARGIN, MUTED_INK, titleSvg } from '../plots/chart-axes.js';
import { estimateTextWidth, num, svgDocument, svgText } from '../plots/svg.js';
import type { Rgb } from '../plots/svg.js';
import { barChartSvg } from './bar-chart.js';
import type { ResultRow } from './results-table.js';
import type { RunMetrics } from './run-metrics.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BLUE: Rgb = [31, 119, 180];

/** The metrics plotted, with their file names and axis titles. */
export const SWEEP_METRIC_PLOTS: readonly { file: string; key: keyof RunMetrics; label: string }[] = [
  { file: 'test-nelbo.png', key: 'nelbo', label: 'test NELBO (nats/image)' },
  { file: 'recon.png', key: 'recon', label: 'reconstruction (nats/image)' },
  { file: 'kl.png', key: 'kl', label: 'KL (nats/image)' },
  { file: 'iwae-bound.png', key: 'iwae', label: 'IWAE bound (nats/image)' },
  { file: 'images-per-sec.png', key: 'imagesPerSec', label: 'training images/s' },
];

/** Whether every value is a finite decimal number, so the metric can be drawn as a line over it. */
export function numericValues(values: readonly string[]): boolean {
  return values.every((v) => DECIMAL.test(v) && Number.isFinite(Number(v)));
}

/** Writes one chart per metric into `dir`; returns the paths written. */
export async function writeMetricPlots(dir: string, name: string, rows: readonly ResultRow[]): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const numeric = numericValues(rows.map((r) => r.value));
  const written: string[] = [];
  for (const p of SWEEP_METRIC_PLOTS) {
    const title = `${p.label.replace(/ \(.*\)$/, '')} against --${name}`;
    const svg = numeric
      ? lineChartSvg([{ name: p.label, color: BLUE, points: rows.map((r) => [Number(r.value), r.metrics[p.key]]) }], { title, xLabel: `--${name}`, yLabel: p.label }).svg
      : barChartSvg(rows.map((r) => [r.value, r.metrics[p.key]]), { title, xLabel: `--${name}`, yLabel: p.label, color: BLUE }).svg;
    const path = join(dir, p.file);
    await writeFileAtomic(path, await svgToPng(svg));
    written.push(path);
  }
  return written;
}

/** A run's sample grid as vae-train drew it: `samples.png`, or `class-grid.png` for a conditional run. */
async function sampleGridOf(runDir: string): Promise<Buffer | null> {
  for (const f of ['samples.png', 'class-grid.png']) {
    try {
      return await fs.readFile(join(runDir, 'plots', f));
    } catch {
      // try the next
    }
  }
  return null;
}

/**
 * Writes `samples.png`: each run's sample grid, left to right in `--vary`
 * order, under a label `NAME=value`. A run trained with `--no-plots` has no
 * grid; its slot says so instead of silently missing.
 */
export async function writeSampleStrip(path: string, name: string, runs: readonly { value: string; dir: string }[]): Promise<void> {
  const grids = await Promise.all(runs.map(async (r) => {
    const png = await sampleGridOf(r.dir);
    if (!png) return { ...r, png, w: 200, h: 120 };
    const meta = await sharp(png).metadata();
    return { ...r, png, w: meta.width ?? 200, h: meta.height ?? 120 };
  }));
  const gap = 16;
  const title = titleSvg(0, `Prior samples per run, --${name}`);
  const labelH = LABEL_SIZE + 8;
  const top = title.bottom + labelH;
  const width = Math.ceil(Math.max(MARGIN * 2 + grids.reduce((a, g) => a + g.w, 0) + gap * (grids.length - 1), estimateTextWidth(`Prior samples per run, --${name}`, 16) + 2 * MARGIN));
  const height = Math.ceil(top + Math.max(...grids.map((g) => g.h)) + MARGIN);
  const body = [titleSvg(width, `Prior samples per run, --${name}`).svg];
  let x = MARGIN;
  for (const g of grids) {
    body.push(svgText(x + g.w / 2, title.bottom + LABEL_SIZE, `${name}=${g.value}`, { size: LABEL_SIZE, fill: INK, anchor: 'middle', weight: 'bold', cls: 'run-label' }));
    if (g.png) {
      body.push(`<image x="${num(x)}" y="${num(top)}" width="${g.w}" height="${g.h}" href="data:image/png;base64,${g.png.toString('base64')}"/>`);
    } else {
      body.push(`<rect x="${num(x)}" y="${num(top)}" width="${g.w}" height="${g.h}" fill="none" stroke="#bbbbbb"/>`);
      body.push(svgText(x + g.w / 2, top + g.h / 2, 'no sample grid (--no-plots)', { size: 11, fill: MUTED_INK, anchor: 'middle', cls: 'note' }));
    }
    x += g.w + gap;
  }
  await writeFileAtomic(path, await svgToPng(svgDocument(width, height, CHART_BG, body.join(''))));
}
