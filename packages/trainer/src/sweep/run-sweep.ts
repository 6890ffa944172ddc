/**
 * Runs a validated sweep: trains every value's run (skipping finished ones,
 * resuming unfinished ones), N at a time, then evaluates each, writes the
 * results table and the plots.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@vae/format/checkpoint';
import type { SweepPlan, SweepRun } from './validate-sweep.js';
import type { TrainerFiles } from './run-child.js';
import { runTrainer } from './run-child.js';
import { runState } from './run-state.js';
import { claimSweepDir } from './sweep-manifest.js';
import { clearChild, lockSweepDir, recordChild, waitForOrphan } from './sweep-lock.js';
import { SweepRunError } from './sweep-errors.js';
import type { RunMetrics } from './run-metrics.js';
import { imagesPerSecond, parseEvaluation } from './run-metrics.js';
import type { ResultRow } from './results-table.js';
import { resultsCsv, resultsMarkdown } from './results-table.js';
import { writeMetricPlots, writeSampleStrip } from './sweep-plots.js';
import { runPool } from './run-pool.js';

/** Options of {@link runSweep}. */
export interface RunSweepOptions {
  /** The command as typed, recorded in sweep.json. */
  command: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Once aborted, no new run starts (the CLI has forwarded the signal to the running ones). */
  signal: AbortSignal;
}

/** What a finished sweep wrote. */
export interface SweepResult {
  rows: ResultRow[];
  /** Runs trained (or resumed) by this invocation; 0 on a rerun of a finished sweep. */
  trained: number;
  files: string[];
}

/** Thrown when the sweep stopped because of SIGINT/SIGTERM; rerunning the command continues it. */
export class SweepInterruptedError extends Error {
  override name = 'SweepInterruptedError';
}

/** Per-run cache of the final evaluation, keyed by the checkpoint it evaluated. */
const EVAL_CACHE = 'sweep-eval.json';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Trains, evaluates and tabulates `plan`; see the module comment. */
export async function runSweep(plan: SweepPlan, files: TrainerFiles, opts: RunSweepOptions): Promise<SweepResult> {
  await claimSweepDir(plan, opts.command);
  const release = await lockSweepDir(plan.out);
  try {
    return await sweepLocked(plan, files, opts);
  } finally {
    await release();
  }
}

async function sweepLocked(plan: SweepPlan, files: TrainerFiles, opts: RunSweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const n = plan.runs.length;
  const at = (): string => `+${seconds(performance.now() - t0)}`;
  const dirOf = (r: SweepRun): string => join(plan.out, 'runs', r.folder);
  let trained = 0;

  const trainOne = async (r: SweepRun, i: number): Promise<void> => {
    const dir = dirOf(r);
    const tag = `[${i + 1}/${n}] ${plan.name}=${r.value}`;
    await fs.mkdir(dir, { recursive: true });
    await waitForOrphan(dir, opts.log);
    const state = await runState(dir);
    if (state.kind === 'finished') {
      opts.log(`${tag}: already finished (${state.epochs} epochs); skipped (${at()})`);
      return;
    }
    if (opts.signal.aborted) return;
    const args = [...plan.passthrough, ...r.flag, '--out', dir, ...(state.kind === 'unfinished' ? ['--resume'] : [])];
    const how = state.kind === 'unfinished' ? `resuming at epoch ${state.epoch}/${state.epochs}` : 'starting';
    opts.log(`${tag}: ${how} (${at()})`);
    const started = performance.now();
    const exit = await runTrainer(files, args, join(dir, 'train.log'), { onStart: (pid) => recordChild(dir, pid) });
    await clearChild(dir);
    trained++;
    if (exit.code === 0) {
      opts.log(`${tag}: finished in ${seconds(performance.now() - started)} (${at()})`);
      return;
    }
    if (opts.signal.aborted) {
      opts.log(`${tag}: stopped after ${seconds(performance.now() - started)}; rerun the same command to continue it (${at()})`);
      return;
    }
    const why = exit.code !== null ? `exit status ${exit.code}` : `signal ${exit.signal}`;
    throw new SweepRunError(`run ${plan.name}=${r.value} failed (${why}); vae-train said:\n${exit.tail.trim().split('\n').slice(-5).join('\n')}\n(full log: ${join(dir, 'train.log')})`, exit.code);
  };
  await runPool(plan.runs, plan.parallel, trainOne, () => opts.signal.aborted);
  if (opts.signal.aborted) throw new SweepInterruptedError(`interrupted by ${String(opts.signal.reason)}; rerun the same command to continue where it stopped`);

  const rows: ResultRow[] = [];
  for (const [i, r] of plan.runs.entries()) rows.push({ value: r.value, metrics: await evaluateRun(plan, files, r, dirOf(r), `[${i + 1}/${n}] ${plan.name}=${r.value}`, opts, at) });
  if (opts.signal.aborted) throw new SweepInterruptedError(`interrupted by ${String(opts.signal.reason)}; rerun the same command to continue where it stopped`);

  const csv = join(plan.out, 'results.csv');
  const md = join(plan.out, 'results.md');
  await writeFileAtomic(csv, resultsCsv(plan.name, rows));
  await writeFileAtomic(md, resultsMarkdown(plan.name, rows));
  const plots = await writeMetricPlots(join(plan.out, 'plots'), plan.name, rows);
  const strip = join(plan.out, 'plots', 'samples.png');
  await writeSampleStrip(strip, plan.name, plan.runs.map((r) => ({ value: r.value, dir: dirOf(r) })));
  opts.log(`results: ${md} (${at()})`);
  return { rows, trained, files: [csv, md, ...plots, strip] };
}

interface EvalCache {
  createdAt: string;
  step: number;
  args: string[];
  metrics: Omit<RunMetrics, 'imagesPerSec'>;
}

async function evaluateRun(plan: SweepPlan, files: TrainerFiles, r: SweepRun, dir: string, tag: string, opts: RunSweepOptions, at: () => string): Promise<RunMetrics> {
  const state = await runState(dir);
  if (state.kind !== 'finished') throw new SweepRunError(`run ${plan.name}=${r.value} in ${dir} is not finished after training (${state.kind}); expected a checkpoint with all its epochs`, null);
  const args = [...plan.passthrough, ...r.flag, '--evaluate', '--out', dir, '--iw-samples', String(plan.iwSamples)];
  const cachePath = join(dir, EVAL_CACHE);
  // A torn or foreign cache only costs a re-evaluation.
  const cached = await fs.readFile(cachePath, 'utf8').then((t) => {
    try {
      return JSON.parse(t) as EvalCache;
    } catch {
      return null;
    }
  }, () => null);
  let metrics: Omit<RunMetrics, 'imagesPerSec'>;
  if (cached && cached.createdAt === state.createdAt && cached.step === state.step && JSON.stringify(cached.args) === JSON.stringify(args)) {
    metrics = parseEvaluation(JSON.stringify({ loss: cached.metrics.nelbo, recon: cached.metrics.recon, kl: cached.metrics.kl, iwNll: cached.metrics.iwae, iwSamples: cached.metrics.iwSamples }), dir);
    opts.log(`${tag}: evaluation of this checkpoint already done; reused (${at()})`);
  } else {
    opts.log(`${tag}: evaluating with --iw-samples ${plan.iwSamples} (${at()})`);
    const started = performance.now();
    const exit = await runTrainer(files, args, join(dir, 'evaluate.log'), { captureStdout: true });
    if (exit.code !== 0) {
      if (opts.signal.aborted) throw new SweepInterruptedError(`interrupted by ${String(opts.signal.reason)} while evaluating ${plan.name}=${r.value}; rerun the same command to continue`);
      throw new SweepRunError(`evaluating ${plan.name}=${r.value} failed (exit status ${exit.code}); vae-train said:\n${exit.tail.trim().split('\n').slice(-5).join('\n')}`, exit.code);
    }
    metrics = parseEvaluation(exit.stdout, dir);
    await writeFileAtomic(cachePath, `${JSON.stringify({ createdAt: state.createdAt, step: state.step, args, metrics } satisfies EvalCache)}\n`);
    opts.log(`${tag}: evaluated in ${seconds(performance.now() - started)}: test NELBO ${metrics.nelbo.toFixed(2)}, IWAE bound ${metrics.iwae.toFixed(2)} (${at()})`);
  }
  return { ...metrics, imagesPerSec: await imagesPerSecond(dir) };
}
