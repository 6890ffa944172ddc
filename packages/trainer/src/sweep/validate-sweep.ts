/**
 * Checks a sweep's flags against vae-train before anything runs: the varied
 * name must be a vae-train flag, boolean values must be true/false, and the
 * passthrough must get through vae-train's parser. Values themselves (a
 * latent of "abc") are checked by vae-train when their run starts: it has no
 * mode that checks values without training.
 */
import type { SweepArgs } from './sweep-args.js';
import { SweepArgsError } from './sweep-errors.js';
import type { FlagKind } from './trainer-flags.js';
import { classifyFlag, flagsInHelp, probeTrainer } from './trainer-flags.js';

/** One run of the sweep: its value and the vae-train flags that set it. */
export interface SweepRun {
  /** The value as given in `--vary`. */
  value: string;
  /** e.g. `['--latent=10']`, `['--conditional']`, or `[]` for a switch set to false. */
  flag: string[];
  /** Folder name under `runs/`: `NAME=value`, with characters a path cannot hold percent-encoded. */
  folder: string;
}

/** A validated sweep. */
export interface SweepPlan extends SweepArgs {
  /** Whether the varied flag takes a value or is a switch. */
  kind: FlagKind;
  /** One per value, in `--vary` order. */
  runs: SweepRun[];
}

/** `NAME=value` made safe as one path segment (`/` and `%` encoded; `.`/`..` cannot occur after the `NAME=` prefix). */
export function runFolderName(name: string, value: string): string {
  return `${name}=${value.replace(/[%/\\\0:*?"<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)}`;
}

function passedFlagNames(passthrough: readonly string[]): string[] {
  return passthrough.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]);
}

/** Asks vae-train (the built `cli`) about every flag of the sweep; throws {@link SweepArgsError}. */
export async function validateSweep(cli: string, args: SweepArgs): Promise<SweepPlan> {
  const [kind, base] = await Promise.all([classifyFlag(cli, args.name), probeTrainer(cli, args.passthrough)]);
  if (!base.ok) {
    throw new SweepArgsError(`vae-train refuses the flags passed through (${args.passthrough.join(' ') || 'none'}): ${base.message}; expected vae-train flags (see vae-train --help)`);
  }
  if (kind === null) {
    throw new SweepArgsError(`--vary ${args.name}: vae-train has no flag --${args.name}; expected one of ${flagsInHelp(base.help).filter((f) => !['out', 'resume', 'evaluate', 'help', 'iw-samples'].includes(f)).join(', ')}`);
  }
  if (passedFlagNames(args.passthrough).includes(args.name)) {
    throw new SweepArgsError(`--${args.name} is both varied (--vary ${args.name}=...) and passed through; expected it only in --vary`);
  }
  const runs = args.values.map((value): SweepRun => {
    if (kind === 'boolean' && value !== 'true' && value !== 'false') {
      throw new SweepArgsError(`--vary ${args.name}: --${args.name} is a switch, so its values are true or false (present or absent); got "${value}"`);
    }
    const flag = kind === 'boolean' ? (value === 'true' ? [`--${args.name}`] : []) : [`--${args.name}=${value}`];
    return { value, flag, folder: runFolderName(args.name, value) };
  });
  return { ...args, kind, runs };
}
