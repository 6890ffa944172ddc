#!/usr/bin/env node
/**
 * `vae-train`: trains, resumes or evaluates a VAE from the command line.
 */
import { parseArgs } from 'node:util';
import type { ArchName } from '@vae/format';
import type { BackendRequest } from './backend/select-backend.js';
import { BACKEND_NAMES, selectBackend } from './backend/select-backend.js';
import { TRAIN_DEFAULTS, TrainOptionsError, loadModel, train } from './train/train.js';
import { evaluate } from './train/evaluate.js';
import { idxFilesSpec, limitSplit, loadDataset } from './data/datasets.js';

const HELP = `vae-train: train a convolutional VAE on MNIST with TensorFlow.js

Usage:
  vae-train [options] --out DIR            train (or --resume) into DIR
  vae-train --evaluate --out DIR [--iw-samples 1000]
                                           evaluate DIR's checkpoint on the test set

Model:
  --arch small|base|mlp     architecture (default ${TRAIN_DEFAULTS.arch})
  --latent N                latent size (default: 32 for conv archs, 20 for mlp)
  --channels A,B,C          conv channel widths (or mlp hidden widths)
  --kernel K                conv kernel size (default 3 for small, 4 for base)
Training:
  --epochs N                total epochs (default ${TRAIN_DEFAULTS.epochs})
  --batch N                 batch size (default ${TRAIN_DEFAULTS.batch})
  --lr X                    Adam learning rate (default ${TRAIN_DEFAULTS.lr})
  --beta X                  KL weight (default ${TRAIN_DEFAULTS.beta})
  --kl-warmup E             linear KL warm-up over E epochs (default ${TRAIN_DEFAULTS.klWarmup})
  --recon bernoulli|mse     reconstruction likelihood (default bernoulli)
  --seed N                  seed for init, data order and noise (default ${TRAIN_DEFAULTS.seed})
  --dataset mnist|fashion|DIR   DIR holds train-/t10k- IDX image and label files
  --train-images F --train-labels F --test-images F --test-labels F
                            any IDX image/label pairs, instead of --dataset
  --train-limit N           train on the first N images only (quick runs)
  --test-limit N            evaluate on the first N test images only
  --iw-samples K            importance samples for the IWAE bound (default 0: off)
  --backend ${BACKEND_NAMES.join('|')}   (default auto: a real GPU if present)
  --out DIR                 run directory: checkpoint, metrics.jsonl, plots/
  --resume                  continue DIR's checkpoint where it stopped
  --allow-data-change       resume even if the data files changed since the checkpoint
  --no-plots                skip the per-epoch PNGs
  -h, --help
`;

function num(name: string, v: string | undefined, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new TrainOptionsError(`--${name} expects ${int ? 'an integer' : 'a number'}, got "${v}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      arch: { type: 'string' },
      latent: { type: 'string' },
      channels: { type: 'string' },
      kernel: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      beta: { type: 'string' },
      'kl-warmup': { type: 'string' },
      recon: { type: 'string' },
      seed: { type: 'string' },
      dataset: { type: 'string' },
      'train-images': { type: 'string' },
      'train-labels': { type: 'string' },
      'test-images': { type: 'string' },
      'test-labels': { type: 'string' },
      'train-limit': { type: 'string' },
      'test-limit': { type: 'string' },
      'iw-samples': { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'boolean' },
      'allow-data-change': { type: 'boolean' },
      'no-plots': { type: 'boolean' },
      evaluate: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.out) throw new TrainOptionsError('--out DIR is required (the run directory for checkpoint, metrics and plots)');
  if (values.arch && !['small', 'base', 'mlp'].includes(values.arch)) throw new TrainOptionsError(`--arch "${values.arch}": expected small, base or mlp`);
  if (values.recon && !['bernoulli', 'mse'].includes(values.recon)) throw new TrainOptionsError(`--recon "${values.recon}": expected bernoulli or mse`);
  if (values.backend && !(BACKEND_NAMES as readonly string[]).includes(values.backend)) {
    throw new TrainOptionsError(`--backend "${values.backend}": expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  const idxFlags = [values['train-images'], values['train-labels'], values['test-images'], values['test-labels']];
  if (idxFlags.some(Boolean) && values.dataset) throw new TrainOptionsError('give either --dataset or the four --train-/--test- IDX file flags, not both');
  const dataset = idxFlags.some(Boolean)
    ? idxFilesSpec({ trainImages: idxFlags[0], trainLabels: idxFlags[1], testImages: idxFlags[2], testLabels: idxFlags[3] })
    : values.dataset;
  const channels = values.channels?.split(',').map((c) => num('channels', c.trim(), true)!);

  if (values.evaluate) {
    const backend = await selectBackend((values.backend as BackendRequest) ?? 'auto');
    process.stderr.write(`${backend.summary}\n`);
    const { model, checkpoint } = await loadModel(values.out);
    const data = await loadDataset(dataset ?? checkpoint.header.train.dataset);
    const test = limitSplit(data.test, num('test-limit', values['test-limit'], true) ?? null);
    const t0 = performance.now();
    const m = await evaluate(model, test, {
      recon: checkpoint.header.train.recon,
      seed: num('seed', values.seed, true) ?? 12345,
      iwSamples: num('iw-samples', values['iw-samples'], true) ?? 0,
      onProgress: (d, t) => process.stderr.write(`\revaluating ${d}/${t}`),
    });
    process.stderr.write('\n');
    const result = { checkpoint: values.out, epoch: checkpoint.header.epoch, images: test.count, ...m, seconds: (performance.now() - t0) / 1000 };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    model.dispose();
    return 0;
  }

  const interrupted = () => {
    process.stderr.write('\ninterrupted: the last completed epoch is checkpointed; continue with --resume\n');
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const result = await train({
    out: values.out,
    arch: values.arch as ArchName | undefined,
    latent: num('latent', values.latent, true),
    channels,
    kernel: num('kernel', values.kernel, true),
    epochs: num('epochs', values.epochs, true),
    batch: num('batch', values.batch, true),
    lr: num('lr', values.lr),
    beta: num('beta', values.beta),
    klWarmup: num('kl-warmup', values['kl-warmup']),
    recon: values.recon as 'bernoulli' | 'mse' | undefined,
    seed: num('seed', values.seed, true),
    dataset,
    trainLimit: num('train-limit', values['train-limit'], true),
    testLimit: num('test-limit', values['test-limit'], true),
    iwSamples: num('iw-samples', values['iw-samples'], true),
    backend: values.backend as BackendRequest | undefined,
    resume: values.resume ?? false,
    allowDataChange: values['allow-data-change'] ?? false,
    plots: !values['no-plots'],
    command: `vae-train ${argv.join(' ')}`,
  });
  const last = result.history.at(-1);
  if (last) process.stderr.write(`done: test NELBO ${last.testLoss.toFixed(2)} nats/image after ${last.epoch} epochs -> ${result.checkpointPath}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    const typed = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    process.stderr.write(`vae-train: ${typed}${e.message}\n`);
    if (process.env.VAE_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(e.name === 'TrainOptionsError' || e.name === 'DatasetError' || (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1);
  },
);
