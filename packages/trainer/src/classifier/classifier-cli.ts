#!/usr/bin/env node
/**
 * `vae-classifier`: trains the MNIST classifier that scores a conditional
 * VAE's samples, and writes its weights and test accuracy into a folder.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@vae/format/checkpoint';
import type { BackendRequest } from '../backend/select-backend.js';
import { BACKEND_NAMES, selectBackend } from '../backend/select-backend.js';
import { parseDecimal, parseInteger } from '../cli-args.js';
import { limitSplit, loadMnist } from '../data/datasets.js';
import { CLASSIFIER_SPEC, classifierWeightShapes } from './classifier-spec.js';
import type { ClassifierModel } from './classifier-model.js';
import type { ClassTally } from './classify.js';
import type { ClassifierEpoch } from './train-classifier.js';
import { CLASSIFIER_TRAIN_DEFAULTS, ClassifierOptionsError, trainClassifier } from './train-classifier.js';
import { CLASSIFIER_FILE, readClassifierWeights, writeClassifierWeights } from './weights-file.js';

const HELP = `vae-classifier: train the MNIST classifier that scores conditional VAE samples

Usage:
  vae-classifier --out DIR [options]      writes DIR/${CLASSIFIER_FILE} and DIR/metrics.json

Options:
  --epochs N        epochs over the 60,000 training images (default ${CLASSIFIER_TRAIN_DEFAULTS.epochs})
  --batch N         batch size (default ${CLASSIFIER_TRAIN_DEFAULTS.batch})
  --lr X            Adam learning rate of the first epoch (default ${CLASSIFIER_TRAIN_DEFAULTS.lr})
  --lr-decay X      each later epoch's rate is the previous one's times X (default ${CLASSIFIER_TRAIN_DEFAULTS.lrDecay})
  --seed N          seed for init and data order (default ${CLASSIFIER_TRAIN_DEFAULTS.seed})
  --shift N         random whole-pixel shifts of up to N per axis (default ${CLASSIFIER_TRAIN_DEFAULTS.shift}; 0: none)
  --train-limit N   train on the first N images only (quick runs)
  --from FILE       start from FILE's weights (a ${CLASSIFIER_FILE}) instead of a fresh init, for more epochs
  --backend ${BACKEND_NAMES.join('|')}   (default cpu: the project's kernels)
  -h, --help
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      'lr-decay': { type: 'string' },
      seed: { type: 'string' },
      'train-limit': { type: 'string' },
      from: { type: 'string' },
      shift: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.out) throw new ClassifierOptionsError('--out DIR is required (the folder for the weights and metrics.json)');
  const backendName = values.backend ?? 'cpu';
  if (!(BACKEND_NAMES as readonly string[]).includes(backendName)) throw new ClassifierOptionsError(`--backend "${backendName}": expected one of ${BACKEND_NAMES.join(', ')}`);
  const opts = {
    epochs: parseInteger('epochs', values.epochs, { min: 1, max: 1000 }) ?? CLASSIFIER_TRAIN_DEFAULTS.epochs,
    batch: parseInteger('batch', values.batch, { min: 1, max: 60000 }) ?? CLASSIFIER_TRAIN_DEFAULTS.batch,
    lr: parseDecimal('lr', values.lr, { min: 0, minExclusive: true }) ?? CLASSIFIER_TRAIN_DEFAULTS.lr,
    lrDecay: parseDecimal('lr-decay', values['lr-decay'], { min: 0, minExclusive: true, max: 1 }) ?? CLASSIFIER_TRAIN_DEFAULTS.lrDecay,
    shift: parseInteger('shift', values.shift, { min: 0, max: 8 }) ?? CLASSIFIER_TRAIN_DEFAULTS.shift,
    seed: parseInteger('seed', values.seed, { min: 0, max: 0xffffffff }) ?? CLASSIFIER_TRAIN_DEFAULTS.seed,
  };
  const trainLimit = parseInteger('train-limit', values['train-limit'], { min: 1 });
  const backend = await selectBackend(backendName as BackendRequest);
  process.stderr.write(`${backend.summary}\n`);
  const data = await loadMnist();
  const train = limitSplit(data.train, trainLimit ?? null);
  await mkdir(values.out, { recursive: true });
  const command = `vae-classifier ${argv.join(' ')}`;
  const params = [...classifierWeightShapes(CLASSIFIER_SPEC).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  const history: ClassifierEpoch[] = [];
  // Written after every epoch, so a run stopped early keeps its last finished epoch.
  let last: ClassTally | undefined;
  const save = async (model: ClassifierModel, t: ClassTally): Promise<void> => {
    const info = { command, ...opts, from: values.from ?? null, epochsDone: history.length, trainImages: train.count, backend: backend.name, testAccuracy: t.overall };
    await writeClassifierWeights(join(values.out!, CLASSIFIER_FILE), await model.readParams(), info);
    const metrics = { ...info, params, testImages: data.test.count, perClass: t.perClass, confusion: t.matrix, history };
    await writeFileAtomic(join(values.out!, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    last = t;
  };
  const from = values.from ? (await readClassifierWeights(values.from)).params : undefined;
  const { model } = await trainClassifier(train, data.test, {
    ...opts,
    from,
    onEpoch: async (m, model, t) => {
      history.push(m);
      process.stdout.write(`${JSON.stringify(m)}\n`);
      await save(model, t);
    },
  });
  process.stderr.write(`done: test accuracy ${(100 * last!.overall).toFixed(2)}% -> ${join(values.out, CLASSIFIER_FILE)}\n`);
  model.dispose();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    const typed = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    process.stderr.write(`vae-classifier: ${typed}${e.message}\n`);
    process.exit(e.name === 'ClassifierOptionsError' || e.name === 'TrainOptionsError' || (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1);
  },
);
