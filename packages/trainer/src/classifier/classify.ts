/**
 * Running the classifier over many images, and tallying what it says.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClassifierModel } from './classifier-model.js';

/** Thrown when images or labels handed to the classifier have the wrong size or range. */
export class ClassifyInputError extends Error {
  override name = 'ClassifyInputError';
}

/**
 * The predicted class of each of `n` images (`n*28*28` floats in [0,1], NHWC),
 * in batches so memory stays bounded whatever `n` is.
 */
export async function classify(model: ClassifierModel, images: Float32Array, n: number, batch = 500): Promise<Uint8Array> {
  const [H, W, C] = model.spec.imageShape;
  const px = H * W * C;
  if (!Number.isInteger(n) || n < 0 || images.length !== n * px) {
    throw new ClassifyInputError(`expected ${n} images of ${H}x${W}x${C} (${n * px} floats), got ${images.length} floats`);
  }
  const out = new Uint8Array(n);
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const pred = tf.tidy(() => tf.argMax(model.logits(tf.tensor4d(images.subarray(s * px, (s + b) * px), [b, H, W, C])), 1));
    out.set(await pred.data(), s);
    pred.dispose();
  }
  return out;
}

/** Per-class and overall agreement between the requested (true) classes and the predictions. */
export interface ClassTally {
  /** `matrix[t][p]`: how many of class `t` were predicted as `p`. */
  matrix: number[][];
  /** Fraction predicted correctly, per class (NaN for a class with no examples). */
  perClass: number[];
  /** Fraction predicted correctly over all examples. */
  overall: number;
}

/** The confusion matrix of `truth` against `pred` over `classes` classes. */
export function tally(truth: ArrayLike<number>, pred: ArrayLike<number>, classes: number): ClassTally {
  if (truth.length !== pred.length) throw new ClassifyInputError(`${truth.length} true labels but ${pred.length} predictions; expected one prediction per label`);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let right = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = pred[i];
    if (!Number.isInteger(t) || t < 0 || t >= classes || !Number.isInteger(p) || p < 0 || p >= classes) {
      throw new ClassifyInputError(`label ${t} / prediction ${p} at index ${i} is out of range; expected integers in 0..${classes - 1}`);
    }
    matrix[t][p]++;
    if (t === p) right++;
  }
  const perClass = matrix.map((row, t) => row[t] / row.reduce((a, b) => a + b, 0));
  return { matrix, perClass, overall: truth.length ? right / truth.length : Number.NaN };
}
