/**
 * The sweep's results as CSV (full precision, for scripts) and as a Markdown
 * table (rounded, for the README), one row per run in `--vary` order.
 */
import type { RunMetrics } from './run-metrics.js';

/** A run's value with its metrics. */
export interface ResultRow {
  value: string;
  metrics: RunMetrics;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with a header row; numbers as JavaScript prints them (round-trip exact). */
export function resultsCsv(name: string, rows: readonly ResultRow[]): string {
  const head = [name, 'test_nelbo', 'recon', 'kl', 'iwae_bound', 'iw_samples', 'images_per_sec'];
  const body = rows.map((r) => [csvCell(r.value), r.metrics.nelbo, r.metrics.recon, r.metrics.kl, r.metrics.iwae, r.metrics.iwSamples, r.metrics.imagesPerSec].join(','));
  return `${[head.join(','), ...body].join('\n')}\n`;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** A Markdown table: value, test NELBO, recon, KL, IWAE bound, images/s (nats/image, 2 decimals). */
export function resultsMarkdown(name: string, rows: readonly ResultRow[]): string {
  const k = rows[0]?.metrics.iwSamples;
  const head = `| ${mdCell(name)} | test NELBO | recon | KL | IWAE bound (k = ${k ?? '-'}) | images/s |`;
  const rule = '|---|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${mdCell(r.value)} | ${r.metrics.nelbo.toFixed(2)} | ${r.metrics.recon.toFixed(2)} | ${r.metrics.kl.toFixed(2)} | ${r.metrics.iwae.toFixed(2)} | ${r.metrics.imagesPerSec.toFixed(0)} |`);
  return `${[head, rule, ...body].join('\n')}\n`;
}
