/**
 * Parses `vae-sweep`'s own flags (`--vary`, `--out`, `--parallel`,
 * `--iw-samples`) and keeps every other argument, in order, as the
 * passthrough given to each `vae-train` run. Checks that need vae-train
 * itself (is a flag known, does it take a value) are in validate-sweep.ts.
 */
import { SweepArgsError } from './sweep-errors.js';

/** The sweep's arguments, before vae-train has been asked about them. */
export interface SweepArgs {
  /** The varied vae-train flag, without dashes. */
  name: string;
  /** Its values, in the order given. */
  values: string[];
  /** The sweep folder. */
  out: string;
  /** Runs at a time (default 1). */
  parallel: number;
  /** Importance samples of the final evaluation (default {@link DEFAULT_SWEEP_IW_SAMPLES}). */
  iwSamples: number;
  /** vae-train flags given to every run, as typed. */
  passthrough: string[];
  /** `--help`/`-h` was given: print the usage, check nothing else. */
  help: boolean;
}

/** IWAE samples of the sweep's final evaluation when `--iw-samples` is not given. */
export const DEFAULT_SWEEP_IW_SAMPLES = 100;

/** Flags the sweep sets per run itself; a user value would fight it. */
const OWNED_BY_SWEEP = new Set(['out', 'resume', 'evaluate', 'help']);
const NAME = /^[a-z][a-z0-9-]*$/;

function takeValue(argv: readonly string[], i: number, flag: string, expected: string): [string, number] {
  const a = argv[i];
  const eq = a.indexOf('=');
  if (eq >= 0) return [a.slice(eq + 1), i];
  const next = argv[i + 1];
  if (next === undefined || (next.startsWith('--') && flag !== 'vary')) throw new SweepArgsError(`--${flag} needs a value: expected ${expected}`);
  return [next, i + 1];
}

function positiveInt(flag: string, v: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new SweepArgsError(`--${flag} expects a decimal integer in [1, ${max}], got "${v}"`);
  return Number(v);
}

/** Parses the `--vary NAME=v1,v2,...` specification. */
export function parseVary(spec: string): { name: string; values: string[] } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new SweepArgsError(`--vary "${spec}": expected NAME=v1,v2,... (a vae-train flag without dashes, e.g. latent=2,10,20)`);
  const name = spec.slice(0, eq).replace(/^--/, '');
  if (!NAME.test(name)) throw new SweepArgsError(`--vary "${spec}": "${name}" is not a flag name; expected a vae-train flag without dashes such as latent, beta, recon or kl-warmup`);
  if (OWNED_BY_SWEEP.has(name) || name === 'iw-samples') {
    throw new SweepArgsError(`--vary ${name}: the sweep sets --${name} itself; expected a training flag such as latent, beta, recon or kl-warmup`);
  }
  const values = spec.slice(eq + 1).split(',');
  const empty = values.findIndex((v) => v.trim() === '');
  if (empty >= 0) throw new SweepArgsError(`--vary ${name}: value ${empty + 1} of ${values.length} is empty in "${spec}"; expected a comma-separated list of non-empty values`);
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new SweepArgsError(`--vary ${name}: the value "${v}" is given twice; expected each value once`);
    seen.add(v);
  }
  return { name, values };
}

/** Splits `argv` into the sweep's flags and the vae-train passthrough. */
export function parseSweepArgs(argv: readonly string[]): SweepArgs {
  let vary: { name: string; values: string[] } | undefined;
  let out: string | undefined;
  let parallel = 1;
  let iwSamples = DEFAULT_SWEEP_IW_SAMPLES;
  let help = false;
  const passthrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const flag = a.startsWith('--') ? a.slice(2).split('=')[0] : null;
    let v: string;
    if (a === '-h' || flag === 'help') {
      help = true;
    } else if (flag === 'vary') {
      if (vary) throw new SweepArgsError('--vary is given twice; a sweep varies one flag: expected a single --vary NAME=v1,v2,...');
      [v, i] = takeValue(argv, i, 'vary', 'NAME=v1,v2,...');
      vary = parseVary(v);
    } else if (flag === 'out') {
      [v, i] = takeValue(argv, i, 'out', 'the sweep folder DIR');
      if (out !== undefined) throw new SweepArgsError('--out is given twice: expected one sweep folder');
      out = v;
    } else if (flag === 'parallel') {
      [v, i] = takeValue(argv, i, 'parallel', 'the number of runs at a time');
      parallel = positiveInt('parallel', v, 64);
    } else if (flag === 'iw-samples') {
      [v, i] = takeValue(argv, i, 'iw-samples', 'the importance samples of the final evaluation');
      iwSamples = positiveInt('iw-samples', v, 1_000_000);
    } else if (flag === 'resume' || flag === 'evaluate') {
      throw new SweepArgsError(`--${flag} cannot be passed through: the sweep resumes unfinished runs and evaluates finished ones itself; rerun the same vae-sweep command instead`);
    } else if (flag !== null) {
      passthrough.push(a);
      // A value flag's value is the next argument unless given with "="; vae-train's parser decides which later.
      if (!a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) passthrough.push(argv[++i]);
    } else {
      throw new SweepArgsError(`unexpected argument "${a}": vae-sweep takes only flags (--vary NAME=v1,v2,... --out DIR [--parallel N] [vae-train flags])`);
    }
  }
  if (help) return { name: '', values: [], out: '', parallel, iwSamples, passthrough, help };
  if (!vary) throw new SweepArgsError('--vary NAME=v1,v2,... is required: the vae-train flag to vary and its values');
  if (out === undefined || out === '') throw new SweepArgsError('--out DIR is required: the sweep folder (runs/, sweep.json, results)');
  return { ...vary, out, parallel, iwSamples, passthrough, help };
}
