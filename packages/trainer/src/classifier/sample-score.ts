/**
 * How confidently, and how evenly over the classes, the classifier recognises
 * an unconditional model's samples: issue 14's bar for the shipped MNIST
 * model is a mean top-class probability of at least 0.90 and a predicted-class
 * histogram whose entropy is at least 0.95 ln 10.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClassifierModel } from './classifier-model.js';
import { ClassifyInputError } from './classify.js';

/** What {@link scoreProbabilities} reports. */
export interface SampleScore {
  /** Number of samples scored. */
  n: number;
  /** Mean over the samples of the largest class probability. */
  meanTopProbability: number;
  /** How many samples have each class as their most probable one. */
  histogram: number[];
  /** Entropy (nats) of `histogram / n`. */
  entropy: number;
  /** `entropy / ln(classes)`: 1 when every class is predicted equally often. */
  entropyRatio: number;
}

/**
 * Softmax class probabilities `[n, classes]` of `n` images (`n*28*28` floats
 * in [0,1], NHWC), in batches so memory stays bounded whatever `n` is.
 */
export async function classProbabilities(model: ClassifierModel, images: Float32Array, n: number, batch = 500): Promise<Float32Array> {
  const [H, W, C] = model.spec.imageShape;
  const px = H * W * C;
  if (!Number.isInteger(n) || n < 0 || images.length !== n * px) {
    throw new ClassifyInputError(`expected ${n} images of ${H}x${W}x${C} (${n * px} floats), got ${images.length} floats`);
  }
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const p = tf.tidy(() => tf.softmax(model.logits(tf.tensor4d(images.subarray(s * px, (s + b) * px), [b, H, W, C]))));
    parts.push((await p.data()) as Float32Array);
    p.dispose();
  }
  const classes = n ? parts[0].length / Math.min(batch, n) : 0;
  const out = new Float32Array(n * classes);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Scores rows of class probabilities (`probs` is `[n, classes]`, each row
 * summing to 1). The argmax of a row is its first largest entry, as
 * `tf.argMax` picks it.
 */
export function scoreProbabilities(probs: ArrayLike<number>, classes: number): SampleScore {
  if (!Number.isInteger(classes) || classes < 2) throw new ClassifyInputError(`classes must be an integer >= 2, got ${classes}`);
  if (probs.length % classes !== 0 || probs.length === 0) {
    throw new ClassifyInputError(`expected a non-empty [n, ${classes}] array of probabilities, got ${probs.length} values`);
  }
  const n = probs.length / classes;
  const histogram = new Array<number>(classes).fill(0);
  let top = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestP = probs[i * classes];
    for (let c = 1; c < classes; c++) {
      const p = probs[i * classes + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (!(bestP >= 0 && bestP <= 1)) throw new ClassifyInputError(`row ${i} has a largest probability of ${bestP}; expected probabilities in [0, 1]`);
    histogram[best]++;
    top += bestP;
  }
  let entropy = 0;
  for (const h of histogram) if (h > 0) entropy -= (h / n) * Math.log(h / n);
  return { n, meanTopProbability: top / n, histogram, entropy, entropyRatio: entropy / Math.log(classes) };
}
