/**
 * The pieces of vae-sweep's output that need no training: the results
 * table, images/s from metrics.jsonl, and the choice between a line and bars.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultsCsv, resultsMarkdown } from '../src/sweep/results-table.js';
import { imagesPerSecond, parseEvaluation } from '../src/sweep/run-metrics.js';
import { barChartSvg } from '../src/sweep/bar-chart.js';
import { numericValues } from '../src/sweep/sweep-plots.js';
import { SweepDirError, SweepRunError } from '../src/sweep/sweep-errors.js';

const m = (nelbo: number) => ({ nelbo, recon: nelbo - 10, kl: 10, iwae: nelbo - 2, iwSamples: 100, imagesPerSec: 1234.4 });

describe('vae-sweep results', () => {
  it('writes the CSV at full precision and the Markdown table rounded, in --vary order', () => {
    const rows = [{ value: 'mse', metrics: m(101.123456) }, { value: 'a|b,"c"', metrics: m(99.5) }];
    expect(resultsCsv('recon', rows)).toBe(
      'recon,test_nelbo,recon,kl,iwae_bound,iw_samples,images_per_sec\n' +
        'mse,101.123456,91.123456,10,99.123456,100,1234.4\n' +
        '"a|b,""c""",99.5,89.5,10,97.5,100,1234.4\n',
    );
    expect(resultsMarkdown('recon', rows)).toBe(
      '| recon | test NELBO | recon | KL | IWAE bound (k = 100) | images/s |\n' +
        '|---|---:|---:|---:|---:|---:|\n' +
        '| mse | 101.12 | 91.12 | 10.00 | 99.12 | 1234 |\n' +
        '| a\\|b,"c" | 99.50 | 89.50 | 10.00 | 97.50 | 1234 |\n',
    );
  });

  it('takes images/s over the whole run: total images over total training time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-sweep-m-'));
    // Equal epochs at 100 and 300 img/s: 2 epochs in 1/100 + 1/300 s per image, i.e. 150 img/s, not the mean 200.
    writeFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ epoch: 1, imagesPerSec: 100 })}\n${JSON.stringify({ epoch: 2, imagesPerSec: 300 })}\n`);
    expect(await imagesPerSecond(dir)).toBeCloseTo(150, 10);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"epoch":1,"imagesPerSec":100}\n{"epoch":2,\n');
    const e = await imagesPerSecond(dir).catch((x) => x);
    expect(e).toBeInstanceOf(SweepDirError);
    expect(e.message).toMatch(/metrics\.jsonl line 2 is not JSON \(.*\); expected one JSON object per epoch as vae-train writes$/);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"epoch":1,"imagesPerSec":null}\n');
    expect((await imagesPerSecond(dir).catch((x) => x)).message).toMatch(/metrics\.jsonl line 1: imagesPerSec is null; expected a finite number > 0$/);
  });

  it('refuses an evaluation line without finite figures', () => {
    expect(parseEvaluation('{"loss":1,"recon":0.5,"kl":0.5,"iwNll":0.9,"iwSamples":5}\n', 'R')).toEqual({ nelbo: 1, recon: 0.5, kl: 0.5, iwae: 0.9, iwSamples: 5 });
    const e = (() => {
      try {
        parseEvaluation('{"loss":1,"recon":0.5,"kl":0.5,"iwSamples":5}', 'R');
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e).toBeInstanceOf(SweepRunError);
    expect(e!.message).toBe('vae-train --evaluate --out R gave iwae = undefined; expected a finite number');
  });

  it('draws a line over numeric values and bars, from zero, over categorical ones', () => {
    expect(numericValues(['2', '10', '0.5', '1e-3', '-1'])).toBe(true);
    expect(numericValues(['bernoulli', 'mse'])).toBe(false);
    expect(numericValues(['true', 'false'])).toBe(false);
    const c = barChartSvg([['bernoulli', 100], ['mse', 50]], { title: 't', xLabel: 'x', yLabel: 'y', color: [0, 0, 255] });
    const bars = [...c.svg.matchAll(/<rect class="bar" data-label="([^"]+)" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)];
    expect(bars.map((b) => b[1])).toEqual(['bernoulli', 'mse']);
    const [h1, h2] = bars.map((b) => Number(b[3]));
    expect(h1 / h2).toBeCloseTo(2, 1);
    // Both stand on the zero line.
    expect(Number(bars[0][2]) + h1).toBeCloseTo(Number(bars[1][2]) + h2, 9);
    expect(c.xAxis.labels).toEqual(['bernoulli', 'mse']);
    expect(c.yAxis.min).toBeLessThanOrEqual(0);
  });
});

describe('vae-sweep run pool', () => {
  it('runs at most --parallel jobs at once, in order, and starts none after a failure', async () => {
    const { runPool } = await import('../src/sweep/run-pool.js');
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await runPool([0, 1, 2, 3, 4], 2, async (_, i) => {
      started.push(i);
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    }, () => false);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    const seen: number[] = [];
    const err = await runPool([0, 1, 2, 3], 1, async (_, i) => {
      seen.push(i);
      if (i === 1) throw new Error('run 1 failed');
    }, () => false).catch((e) => e);
    expect(err.message).toBe('run 1 failed');
    expect(seen).toEqual([0, 1]);
  });
});
