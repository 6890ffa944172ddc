#!/usr/bin/env node
/**
 * `vae-train`: trains, resumes or evaluates a VAE from the command line.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { ArchName } from '@vae/format';
import { MAX_RES_BLOCKS, conditionClasses } from '@vae/format';
import type { BackendRequest } from './backend/select-backend.js';
import { BACKEND_NAMES, selectBackend } from './backend/select-backend.js';
import { TRAIN_DEFAULTS, TrainOptionsError, loadModel, train } from './train/train.js';
import { evaluate } from './train/evaluate.js';
import { idxFilesSpec, limitSplit, loadDataset } from './data/datasets.js';
import { InterruptedError } from './train/interrupt.js';
import { binarizedTestSet } from './data/binarize.js';
import { DEFAULT_TEST_FRACTION } from './data/folder-split.js';
import { imageFolderSpec, isIdxDirectory } from './data/image-folder-spec.js';
import { parseBackground } from './data/image-prep.js';
import { joinNegativeValues, parseDecimal, parseInteger, parseIntegerList, parseSize } from './cli-args.js';
import { DEFAULT_MAX_MEMORY } from './train/memory-estimate.js';

const HELP = `vae-train: train a convolutional VAE on MNIST with TensorFlow.js

Usage:
  vae-train [options] --out DIR            train (or --resume) into DIR
  vae-train --evaluate --out DIR [--iw-samples 1000]
                                           evaluate DIR's checkpoint on the test set

Model:
  --arch small|base|mlp|celeba   architecture (default ${TRAIN_DEFAULTS.arch}); celeba is the
                            64x64 RGB BatchNorm ConvVAE (channels 32,64,128,256, latent 256)
  --latent N                latent size (default: 32 for conv archs, 20 for mlp)
  --channels A,B,C          conv channel widths (or mlp hidden widths)
  --kernel K                conv kernel size (default 3 for small, 4 for base)
  --res-blocks N            residual blocks at the lowest resolution of encoder and
                            decoder, relu(x + conv3x3(relu(conv3x3(x)))) each
                            (small and base only; 0..8, default 0)
  --image-size N            square image size the model takes (default: the data's;
                            celeba needs a multiple of 16, i.e. of 2^stages)
  --conditional             train a conditional VAE (CVAE) on the class labels:
                            encoder and decoder take the one-hot label
  --classes K               classes of a conditional run on IDX files
                            (default: largest label + 1; mnist/fashion have 10)
Training:
  --epochs N                total epochs (default ${TRAIN_DEFAULTS.epochs})
  --batch N                 batch size (default ${TRAIN_DEFAULTS.batch})
  --lr X                    Adam learning rate (default ${TRAIN_DEFAULTS.lr})
  --beta X                  KL weight (default ${TRAIN_DEFAULTS.beta})
  --kl-warmup E             linear KL warm-up over E epochs (default ${TRAIN_DEFAULTS.klWarmup})
  --recon bernoulli|mse     reconstruction likelihood (default bernoulli)
  --seed N                  seed for init, data order and noise (default ${TRAIN_DEFAULTS.seed})
  --dataset mnist|fashion|DIR   DIR holding any train-/t10k- IDX file is read as
                            IDX files; any other DIR is an image folder: every
                            PNG, JPEG and WebP in it and its subfolders, decoded
                            once into a uint8 cache, resized to the architecture's
                            image size, split seeded by --seed
  --crop N                  image folder: square centre crop of N pixels before resizing
  --background COLOR        image folder: alpha composited on white (default), black,
                            #rgb or #rrggbb
  --grey                    image folder: one grey channel instead of RGB
  --test-fraction F         image folder: share held out for testing (default 0.1);
                            the test indices go to the run's split.json
  --labels FILE.csv         image folder: "file,label" lines for --conditional
                            (default: the first subfolder of each image names its class)
  --cache-dir DIR           image folder caches (default ~/.cache/vae/images)
  --train-images F --train-labels F --test-images F --test-labels F
                            any IDX image/label pairs, instead of --dataset
  --train-limit N           train on the first N images only (quick runs)
  --test-limit N            evaluate on the first N test images only
  --iw-samples K            importance samples for the IWAE bound (default 0: off)
Techniques (each off by default; recorded in the checkpoint, kept by --resume):
  --binarize dynamic|static binarized MNIST: pixels drawn as Bernoulli(intensity),
                            afresh every step (dynamic) or once (static); the test
                            set is drawn once from a fixed seed. Needs --recon
                            bernoulli and grey images
  --free-bits L             free bits: optimise sum_d max(L, batch-mean KL_d), L nats
                            per latent dimension; reported KL/NELBO stay the true ones
  --lr-schedule constant|cosine   learning-rate curve (default constant); cosine
                            decays from --lr to --lr-min at the last step
  --lr-warmup E             linear learning-rate warm-up from 0 over E epochs
                            (fractional allowed; default 0)
  --lr-min X                floor of the cosine schedule (default 0)
  --iw-train K              train on the IWAE bound with K importance samples
                            (default 1: the ELBO); not with --free-bits
  --prior standard|vamp     the prior (default standard: N(0, I)); vamp: the VampPrior,
                            a mixture of the encoder's posteriors at K learned
                            pseudo-inputs (KL by a one-sample Monte-Carlo estimate);
                            not with --conditional, --arch celeba or --free-bits
  --vamp-components K       the VampPrior's pseudo-inputs (default 100; 1..4096)
  --max-memory SIZE         refuse settings whose estimated memory exceeds SIZE
                            (e.g. 16G; default ${DEFAULT_MAX_MEMORY / 2 ** 30}G)
  --backend ${BACKEND_NAMES.join('|')}   (default auto: a real GPU if present)
  --threads N               threads of the cpu backend's kernels (default: the cores
                            available, ${availableParallelism()} here); results do not depend on it
  --out DIR                 run directory: checkpoint, metrics.jsonl, plots/
  --resume                  continue DIR's checkpoint where it stopped (also mid-epoch)
  --allow-data-change       resume even if the data files changed since the checkpoint
  --no-plots                skip the per-epoch PNGs
  -h, --help

Ctrl-C or SIGTERM stops training within one step and writes a mid-epoch
checkpoint (exit 130 or 143); --resume continues it exactly.
`;

/** Exit status for a signal, as a shell reports it (128 + signal number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

const OPTIONS = {
  arch: { type: 'string' },
  latent: { type: 'string' },
  channels: { type: 'string' },
  kernel: { type: 'string' },
  'res-blocks': { type: 'string' },
  'image-size': { type: 'string' },
  conditional: { type: 'boolean' },
  classes: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  beta: { type: 'string' },
  'kl-warmup': { type: 'string' },
  recon: { type: 'string' },
  seed: { type: 'string' },
  dataset: { type: 'string' },
  crop: { type: 'string' },
  background: { type: 'string' },
  grey: { type: 'boolean' },
  'test-fraction': { type: 'string' },
  labels: { type: 'string' },
  'cache-dir': { type: 'string' },
  'train-images': { type: 'string' },
  'train-labels': { type: 'string' },
  'test-images': { type: 'string' },
  'test-labels': { type: 'string' },
  'train-limit': { type: 'string' },
  'test-limit': { type: 'string' },
  'iw-samples': { type: 'string' },
  binarize: { type: 'string' },
  'free-bits': { type: 'string' },
  'lr-schedule': { type: 'string' },
  'lr-warmup': { type: 'string' },
  'lr-min': { type: 'string' },
  'iw-train': { type: 'string' },
  prior: { type: 'string' },
  'vamp-components': { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  'allow-data-change': { type: 'boolean' },
  'no-plots': { type: 'boolean' },
  evaluate: { type: 'boolean' },
  'max-memory': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
const VALUE_FLAGS = new Set(Object.entries(OPTIONS).filter(([, o]) => o.type === 'string').map(([k]) => k));

/**
 * `--dataset` as the trainer's spec: an image-folder spec when DIR is not a
 * built-in name or an IDX directory; the folder flags make no sense otherwise.
 */
function folderDatasetSpec(dir: string | undefined, v: { crop?: string; background?: string; grey?: boolean; 'test-fraction'?: string; labels?: string }): string | undefined {
  const given = (['crop', 'background', 'grey', 'test-fraction', 'labels'] as const).filter((k) => v[k] !== undefined);
  if (dir === undefined || dir === 'mnist' || dir === 'fashion' || isIdxDirectory(dir)) {
    if (given.length) throw new TrainOptionsError(`--${given.join(', --')} ${given.length > 1 ? 'apply' : 'applies'} to an image folder, but --dataset ${dir ?? '(default mnist)'} is IDX data`);
    return dir;
  }
  const bg = parseBackground(v.background ?? 'white');
  return imageFolderSpec({
    dir,
    crop: parseInteger('crop', v.crop, { min: 1, max: 65536 }) ?? null,
    background: `#${bg.map((c) => c.toString(16).padStart(2, '0')).join('')}`,
    grey: v.grey ?? false,
    testFraction: testFraction(v['test-fraction']),
    labels: v.labels ?? null,
  });
}

function testFraction(v: string | undefined): number {
  const f = parseDecimal('test-fraction', v, { min: 0, max: 1, minExclusive: true }) ?? DEFAULT_TEST_FRACTION;
  if (f >= 1) throw new TrainOptionsError(`--test-fraction expects a decimal number > 0 and < 1, got "${v}"`);
  return f;
}

const controller = new AbortController();

// Installed before anything slow: a signal only sets the flag that the training
// and evaluation loops look at between steps; a second one exits at once.
function onSignal(sig: NodeJS.Signals): void {
  if (controller.signal.aborted) {
    process.stderr.write(`\nvae-train: second ${sig}: exiting now; checkpoints are written atomically, so the last one written is intact\n`);
    process.exit(SIGNAL_EXIT[sig] ?? 1);
  }
  process.stderr.write(`\nvae-train: ${sig} received, stopping after the current step\n`);
  controller.abort(sig);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv, VALUE_FLAGS),
    strict: true,
    options: OPTIONS,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.out) throw new TrainOptionsError('--out DIR is required (the run directory for checkpoint, metrics and plots)');
  if (values.arch && !['small', 'base', 'mlp', 'celeba'].includes(values.arch)) throw new TrainOptionsError(`--arch "${values.arch}": expected small, base, mlp or celeba`);
  if (values.recon && !['bernoulli', 'mse'].includes(values.recon)) throw new TrainOptionsError(`--recon "${values.recon}": expected bernoulli or mse`);
  if (values.binarize && !['dynamic', 'static'].includes(values.binarize)) throw new TrainOptionsError(`--binarize "${values.binarize}": expected dynamic or static`);
  if (values['lr-schedule'] && !['constant', 'cosine'].includes(values['lr-schedule'])) {
    throw new TrainOptionsError(`--lr-schedule "${values['lr-schedule']}": expected constant or cosine`);
  }
  if (values.backend && !(BACKEND_NAMES as readonly string[]).includes(values.backend)) {
    throw new TrainOptionsError(`--backend "${values.backend}": expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  const idxFlags = [values['train-images'], values['train-labels'], values['test-images'], values['test-labels']];
  if (idxFlags.some(Boolean) && values.dataset) throw new TrainOptionsError('give either --dataset or the four --train-/--test- IDX file flags, not both');
  const dataset = idxFlags.some(Boolean)
    ? idxFilesSpec({ trainImages: idxFlags[0], trainLabels: idxFlags[1], testImages: idxFlags[2], testLabels: idxFlags[3] })
    : folderDatasetSpec(values.dataset, values);
  const channels = parseIntegerList('channels', values.channels, { min: 1 });
  const seed = parseInteger('seed', values.seed, { min: 0, max: 0xffffffff });
  const iwSamples = parseInteger('iw-samples', values['iw-samples'], { min: 0, max: 1_000_000 });
  const testLimit = parseInteger('test-limit', values['test-limit'], { min: 1 });
  const threads = parseInteger('threads', values.threads, { min: 1, max: 256 });

  if (values.evaluate) {
    const backend = await selectBackend((values.backend as BackendRequest) ?? 'auto', { threads });
    process.stderr.write(`${backend.summary}\n`);
    const { model, checkpoint } = await loadModel(values.out);
    const data = await loadDataset(dataset ?? checkpoint.header.train.dataset, conditionClasses(checkpoint.header.arch) || undefined, {
      imageShape: checkpoint.header.arch.config.imageShape,
      seed: checkpoint.header.train.seed,
      cacheRoot: values['cache-dir'],
      maxBytes: parseSize('max-memory', values['max-memory']) ?? DEFAULT_MAX_MEMORY,
      progress: process.stderr,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    const limited = limitSplit(data.test, testLimit ?? null);
    // A binarized run is measured on the test bits its training evaluations used.
    const test = checkpoint.header.train.binarize ? binarizedTestSet(limited) : limited;
    if (test.count === 0) throw new TrainOptionsError('the test split has 0 images; nothing to evaluate');
    const t0 = performance.now();
    const m = await evaluate(model, test, {
      recon: checkpoint.header.train.recon,
      seed: seed ?? 12345,
      iwSamples: iwSamples ?? 0,
      onProgress: (d, t) => process.stderr.write(`\revaluating ${d}/${t}`),
      signal: controller.signal,
    });
    process.stderr.write('\n');
    const result = { checkpoint: values.out, epoch: checkpoint.header.epoch, images: test.count, ...m, seconds: (performance.now() - t0) / 1000 };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    model.dispose();
    return 0;
  }

  const result = await train({
    out: values.out,
    arch: values.arch as ArchName | undefined,
    latent: parseInteger('latent', values.latent, { min: 1 }),
    channels,
    kernel: parseInteger('kernel', values.kernel, { min: 2 }),
    resBlocks: parseInteger('res-blocks', values['res-blocks'], { min: 0, max: MAX_RES_BLOCKS }),
    imageSize: parseInteger('image-size', values['image-size'], { min: 1, max: 4096 }),
    conditional: values.conditional,
    classes: parseInteger('classes', values.classes, { min: 2, max: 256 }),
    epochs: parseInteger('epochs', values.epochs, { min: 1, max: 1_000_000 }),
    batch: parseInteger('batch', values.batch, { min: 1 }),
    lr: parseDecimal('lr', values.lr, { min: 0, minExclusive: true }),
    beta: parseDecimal('beta', values.beta, { min: 0 }),
    klWarmup: parseDecimal('kl-warmup', values['kl-warmup'], { min: 0 }),
    recon: values.recon as 'bernoulli' | 'mse' | undefined,
    seed,
    dataset,
    trainLimit: parseInteger('train-limit', values['train-limit'], { min: 1 }),
    testLimit,
    iwSamples,
    binarize: values.binarize as 'dynamic' | 'static' | undefined,
    freeBits: parseDecimal('free-bits', values['free-bits'], { min: 0 }),
    lrSchedule: values['lr-schedule'] as 'constant' | 'cosine' | undefined,
    lrWarmup: parseDecimal('lr-warmup', values['lr-warmup'], { min: 0 }),
    lrMin: parseDecimal('lr-min', values['lr-min'], { min: 0 }),
    iwTrain: parseInteger('iw-train', values['iw-train'], { min: 1, max: 100_000 }),
    prior: values.prior as 'standard' | 'vamp' | undefined,
    vampComponents: parseInteger('vamp-components', values['vamp-components'], { min: 1, max: 4096 }),
    maxMemory: parseSize('max-memory', values['max-memory']),
    backend: values.backend as BackendRequest | undefined,
    threads,
    resume: values.resume ?? false,
    allowDataChange: values['allow-data-change'] ?? false,
    cacheDir: values['cache-dir'],
    plots: !values['no-plots'],
    command: `vae-train ${argv.join(' ')}`,
    signal: controller.signal,
  });
  const last = result.history.at(-1);
  if (last) process.stderr.write(`done: test NELBO ${last.testLoss.toFixed(2)} nats/image after ${last.epoch} epochs -> ${result.checkpointPath}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    if (e instanceof InterruptedError) {
      const next = e.saved?.checkpointPath ? '; continue with --resume' : '';
      process.stderr.write(`\nvae-train: ${e.message}${next}\n`);
      process.exit(SIGNAL_EXIT[e.reason] ?? 1);
    }
    const typed = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    process.stderr.write(`vae-train: ${typed}${e.message}\n`);
    if (process.env.VAE_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(e.name === 'TrainOptionsError' || e.name === 'ArchConfigError' || e.name === 'DatasetError' || e.name === 'ImagePrepError' || e.name === 'IdxError' || (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1);
  },
);
