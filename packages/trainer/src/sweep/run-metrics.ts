/**
 * A finished run's figures for the results table: the test NELBO,
 * reconstruction, KL and IWAE bound from `vae-train --evaluate`, and the
 * training speed from the run's `metrics.jsonl`.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SweepDirError, SweepRunError } from './sweep-errors.js';

/** One row of the results table. */
export interface RunMetrics {
  /** Test negative ELBO, nats/image. */
  nelbo: number;
  /** Its reconstruction term. */
  recon: number;
  /** Its KL term. */
  kl: number;
  /** Importance-weighted bound on the test NLL with `iwSamples` samples. */
  iwae: number;
  iwSamples: number;
  /** Training images per second over all epochs. */
  imagesPerSec: number;
}

// One JSON line per epoch; a million epochs would still be far below this.
const MAX_METRICS_BYTES = 256 << 20;

/**
 * Training speed over the whole run: total images over total training time.
 * Every epoch sees the same images, so that is the harmonic mean of the
 * epochs' `imagesPerSec` (which train.ts computes from training time alone,
 * evaluation excluded).
 */
export async function imagesPerSecond(runDir: string): Promise<number> {
  const path = join(runDir, 'metrics.jsonl');
  const st = await fs.stat(path);
  if (st.size > MAX_METRICS_BYTES) throw new SweepDirError(`${path} is ${st.size} bytes; expected a metrics.jsonl of at most ${MAX_METRICS_BYTES} bytes`);
  const lines = (await fs.readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  let inverse = 0;
  lines.forEach((l, i) => {
    let ips: unknown;
    try {
      ips = (JSON.parse(l) as { imagesPerSec?: unknown }).imagesPerSec;
    } catch (e) {
      throw new SweepDirError(`${path} line ${i + 1} is not JSON (${(e as Error).message}); expected one JSON object per epoch as vae-train writes`);
    }
    if (typeof ips !== 'number' || !(ips > 0) || !Number.isFinite(ips)) throw new SweepDirError(`${path} line ${i + 1}: imagesPerSec is ${String(ips)}; expected a finite number > 0`);
    inverse += 1 / ips;
  });
  if (lines.length === 0) throw new SweepDirError(`${path} holds no epoch; expected one line per finished epoch`);
  return lines.length / inverse;
}

/** Parses the JSON line `vae-train --evaluate` prints. */
export function parseEvaluation(stdout: string, runDir: string): Omit<RunMetrics, 'imagesPerSec'> {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new SweepRunError(`vae-train --evaluate --out ${runDir} printed "${line.slice(0, 200)}"; expected one JSON line with loss, recon, kl and iwNll`, 0);
  }
  const out = { nelbo: r.loss, recon: r.recon, kl: r.kl, iwae: r.iwNll, iwSamples: r.iwSamples };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SweepRunError(`vae-train --evaluate --out ${runDir} gave ${k} = ${String(v)}; expected a finite number`, 0);
  }
  return out as Omit<RunMetrics, 'imagesPerSec'>;
}
