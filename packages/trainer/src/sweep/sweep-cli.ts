#!/usr/bin/env node
/**
 * `vae-sweep`: trains one vae-train run per value of one flag, then tabulates
 * and plots them. See HELP.
 */
import { fileURLToPath } from 'node:url';
import { parseSweepArgs } from './sweep-args.js';
import { validateSweep } from './validate-sweep.js';
import { SweepInterruptedError, runSweep } from './run-sweep.js';
import { liveChildren, signalChildren } from './run-child.js';
import { SweepRunError } from './sweep-errors.js';

const HELP = `vae-sweep: one vae-train run per value of one flag, then a results table and plots

Usage:
  vae-sweep --vary NAME=v1,v2,... --out DIR [--parallel N] [--iw-samples K] [vae-train flags]

  --vary NAME=v1,v2,...   a vae-train flag without dashes and its values, e.g.
                          latent=2,10,20 or recon=bernoulli,mse; a switch takes
                          true,false (present or absent)
  --out DIR               sweep folder: sweep.json, runs/NAME=value/, results.csv,
                          results.md, plots/
  --parallel N            runs at a time (default 1)
  --iw-samples K          importance samples of the final evaluation (default 100)
  any other flag          passed to every vae-train run (not --out, --resume, --evaluate)

Rerunning the same command skips finished runs, resumes unfinished ones and
reuses finished evaluations. Ctrl-C or SIGTERM is forwarded to the running
trainings, which write a mid-epoch checkpoint (exit 130 or 143).
`;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const controller = new AbortController();

function onSignal(sig: NodeJS.Signals): void {
  if (controller.signal.aborted) {
    // A second signal: the children take it as "exit now" too (their checkpoints are written atomically).
    signalChildren(sig);
    process.stderr.write(`\nvae-sweep: second ${sig}: exiting now\n`);
    process.exit(SIGNAL_EXIT[sig] ?? 1);
  }
  process.stderr.write(`\nvae-sweep: ${sig} received; stopping ${liveChildren()} running training(s) after their current step\n`);
  controller.abort(sig);
  signalChildren(sig);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main(argv: string[]): Promise<number> {
  const args = parseSweepArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // The trainer built beside this file: the sweep always drives the vae-train of its own build.
  const files = { cli: fileURLToPath(new URL('./cli.js', import.meta.url)), parentWatch: new URL('./sweep-parent-watch.js', import.meta.url).href };
  const plan = await validateSweep(files.cli, args);
  const log = (l: string): void => {
    process.stderr.write(`vae-sweep: ${l}\n`);
  };
  const result = await runSweep(plan, files, { command: `vae-sweep ${argv.join(' ')}`, log, signal: controller.signal });
  log(`done: ${result.rows.length} runs (${result.trained} trained now); ${result.files.join(', ')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    if (e instanceof SweepInterruptedError) {
      process.stderr.write(`vae-sweep: ${e.message}\n`);
      process.exit(SIGNAL_EXIT[String(controller.signal.reason)] ?? 1);
    }
    const typed = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    process.stderr.write(`vae-sweep: ${typed}${e.message}\n`);
    if (process.env.VAE_DEBUG) process.stderr.write(`${e.stack}\n`);
    const usage = e.name === 'SweepArgsError' || e.name === 'SweepDirError' || (e instanceof SweepRunError && e.exitCode === 2);
    process.exit(usage ? 2 : 1);
  },
);
