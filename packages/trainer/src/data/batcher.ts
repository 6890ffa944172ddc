import { Rng, deriveSeed } from '../rng.js';
import type { LabelledImages } from './idx.js';

/** A batch of images scaled to [0, 1], NHWC flattened, with their labels. */
export interface Batch {
  size: number;
  /** `size * h * w * c` floats in [0, 1], converted from the uint8 data one batch at a time. */
  x: Float32Array;
  labels: Uint8Array;
}

/**
 * The visiting order of one epoch. It depends only on (seed, epoch), so a run
 * resumed at epoch e sees exactly the batches the uninterrupted run would have.
 */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return new Rng(deriveSeed(seed, 0x5eed, epoch)).shuffle(order);
}

/** Gathers examples `indices` into a float batch. */
export function gather(split: LabelledImages, indices: ArrayLike<number>, out?: Float32Array): Batch {
  const px = split.height * split.width * (split.channels ?? 1);
  const n = indices.length;
  const x = out && out.length === n * px ? out : new Float32Array(n * px);
  const labels = new Uint8Array(n);
  const src = split.images;
  for (let b = 0; b < n; b++) {
    const base = indices[b] * px;
    const o = b * px;
    for (let p = 0; p < px; p++) x[o + p] = src[base + p] / 255;
    labels[b] = split.labels[indices[b]];
  }
  return { size: n, x, labels };
}

/**
 * Yields the shuffled batches of one epoch; the last one may be smaller.
 * `startBatch` skips the batches a run stopped mid-epoch has already trained on.
 */
export function* epochBatches(split: LabelledImages, batch: number, seed: number, epoch: number, startBatch = 0): Generator<Batch> {
  const order = epochOrder(split.count, seed, epoch);
  for (let s = startBatch * batch; s < split.count; s += batch) yield gather(split, order.subarray(s, Math.min(s + batch, split.count)));
}

/** Yields a split in its stored order (for evaluation). */
export function* sequentialBatches(split: LabelledImages, batch: number): Generator<Batch> {
  for (let s = 0; s < split.count; s += batch) {
    const idx = new Uint32Array(Math.min(batch, split.count - s));
    for (let i = 0; i < idx.length; i++) idx[i] = s + i;
    yield gather(split, idx);
  }
}
