/**
 * Trains the MNIST classifier: softmax cross-entropy, Adam, the trainer's
 * seeded data order, on whatever tfjs backend is active.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships gradients separately from ops; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import type { LabelledImages } from '../data/idx.js';
import { epochBatches, gather } from '../data/batcher.js';
import { Rng, deriveSeed } from '../rng.js';
import { Adam } from '../train/adam.js';
import type { ClassifierModel } from './classifier-model.js';
import { classifierFromParams, initClassifierParams } from './classifier-model.js';
import type { ClassTally } from './classify.js';
import { classify, tally } from './classify.js';

/** Settings of a classifier run. */
export interface ClassifierTrainOptions {
  epochs: number;
  batch: number;
  lr: number;
  /** Epoch e trains at `lr * lrDecay^(e-1)`: a short run settles instead of ending at full step size. */
  lrDecay: number;
  seed: number;
  /**
   * Each training image is moved by a random whole-pixel offset in
   * [-shift, shift] on each axis (zeros fill in), a fresh draw per epoch.
   * Without it the net fit the training set and stalled at 98.6% on the test
   * set; 0 turns it off.
   */
  shift: number;
  /** Start from these weights (a weights file's) instead of a fresh init: continues a finished run for more epochs. */
  from?: Map<string, Float32Array>;
  /** Called (and awaited) after each epoch with its metrics, the model as it is then (e.g. to save it) and its test confusion. */
  onEpoch?: (m: ClassifierEpoch, model: ClassifierModel, test: ClassTally) => void | Promise<void>;
}

/** What one epoch reached. */
export interface ClassifierEpoch {
  epoch: number;
  lr: number;
  trainLoss: number;
  testAccuracy: number;
  seconds: number;
}

/** Defaults of `vae-classifier`. */
export const CLASSIFIER_TRAIN_DEFAULTS: Readonly<Omit<ClassifierTrainOptions, 'onEpoch'>> = Object.freeze({ epochs: 4, batch: 64, lr: 1e-3, lrDecay: 0.5, seed: 1, shift: 2 });

/** Thrown for settings a run cannot use. */
export class ClassifierOptionsError extends Error {
  override name = 'ClassifierOptionsError';
}

/**
 * Moves each of `n` single-channel `h×w` images in place by its own offset
 * `(dy, dx)`, each uniform in `[-shift, shift]`; pixels moved in are 0.
 */
export function shiftImages(x: Float32Array, n: number, h: number, w: number, shift: number, rng: Rng): void {
  const span = 2 * shift + 1;
  const tmp = new Float32Array(h * w);
  for (let i = 0; i < n; i++) {
    const dy = Math.floor(rng.uniform() * span) - shift;
    const dx = Math.floor(rng.uniform() * span) - shift;
    const img = x.subarray(i * h * w, (i + 1) * h * w);
    tmp.fill(0);
    for (let r = Math.max(0, dy); r < Math.min(h, h + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(w, w + dx); c++) tmp[r * w + c] = img[(r - dy) * w + (c - dx)];
    }
    img.set(tmp);
  }
}

/** Mean softmax cross-entropy of logits `[N,K]` against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: Uint8Array): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1]);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, oneHot), 1))) as tf.Scalar;
  });
}

/** The classifier's confusion on a labelled split (images scaled to [0,1]). */
export async function evaluateClassifier(model: ClassifierModel, split: LabelledImages): Promise<ClassTally> {
  const idx = new Uint32Array(split.count);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const { x, labels } = gather(split, idx);
  return tally(labels, await classify(model, x, split.count), model.spec.classes);
}

/** Trains a fresh classifier on `train`, reporting test accuracy each epoch. */
export async function trainClassifier(train: LabelledImages, test: LabelledImages, opts: ClassifierTrainOptions): Promise<{ model: ClassifierModel; history: ClassifierEpoch[] }> {
  for (const k of ['epochs', 'batch'] as const) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new ClassifierOptionsError(`${k} must be a positive integer, got ${opts[k]}`);
  }
  if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new ClassifierOptionsError(`lr must be a positive number, got ${opts.lr}`);
  if (!Number.isInteger(opts.shift) || opts.shift < 0 || opts.shift > 8) throw new ClassifierOptionsError(`shift must be an integer in [0, 8] pixels, got ${opts.shift}`);
  if (!(opts.lrDecay > 0 && opts.lrDecay <= 1)) throw new ClassifierOptionsError(`lrDecay must be in (0, 1], got ${opts.lrDecay}`);
  const model = classifierFromParams(opts.from ?? initClassifierParams(opts.seed));
  const vars = [...model.params.values()];
  const adam = new Adam(vars, { lr: opts.lr });
  const [H, W, C] = model.spec.imageShape;
  const history: ClassifierEpoch[] = [];
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const t0 = performance.now();
      const lr = opts.lr * opts.lrDecay ** (epoch - 1);
      adam.settings = { ...adam.settings, lr };
      let sum = 0;
      const shiftRng = new Rng(deriveSeed(opts.seed, 0x5d1f7, epoch));
      for (const b of epochBatches(train, opts.batch, opts.seed, epoch)) {
        if (opts.shift) shiftImages(b.x, b.size, H, W, opts.shift, shiftRng);
        const x = tf.tensor4d(b.x, [b.size, H, W, C]);
        const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(x), b.labels), vars);
        const loss = (await value.data())[0];
        if (!Number.isFinite(loss)) {
          tf.dispose([x, value, grads]);
          throw new ClassifierOptionsError(`cross-entropy became ${loss} in epoch ${epoch}; expected a finite loss, try a lower lr`);
        }
        adam.apply(grads);
        tf.dispose([x, value, grads]);
        sum += loss * b.size;
      }
      const t = await evaluateClassifier(model, test);
      const m = { epoch, lr, trainLoss: sum / train.count, testAccuracy: t.overall, seconds: (performance.now() - t0) / 1000 };
      history.push(m);
      await opts.onEpoch?.(m, model, t);
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    adam.dispose();
  }
  return { model, history };
}
