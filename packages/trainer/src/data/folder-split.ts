/**
 * The seeded train/test split of an image folder. The test indices are what
 * `<runDir>/split.json` records, so the PyTorch peer trains and tests on the
 * same images from the same cache.
 */
import { Rng, deriveSeed } from '../rng.js';
import { DatasetError } from './datasets.js';

/** `split.json` of a run on an image folder. */
export interface SplitRecord {
  seed: number;
  testFraction: number;
  /** Indices into the cache (its `index.json` order), ascending. */
  test: number[];
}

/** Default share of an image folder held out for testing. */
export const DEFAULT_TEST_FRACTION = 0.1;

/**
 * Draws the test indices of `count` images: `round(count * testFraction)`
 * of them, at least 1 and leaving at least 1 for training.
 *
 * @throws {@link DatasetError} when fewer than 2 images cannot be split
 */
export function splitIndices(count: number, seed: number, testFraction: number): SplitRecord {
  if (count < 2) throw new DatasetError(`an image folder needs at least 2 readable images to split into train and test, got ${count}`);
  const nTest = Math.min(count - 1, Math.max(1, Math.round(count * testFraction)));
  const order = new Rng(deriveSeed(seed, 0x5b117)).shuffle(Uint32Array.from({ length: count }, (_, i) => i));
  const test = Array.from(order.subarray(0, nTest)).sort((a, b) => a - b);
  return { seed, testFraction, test };
}

/**
 * Reorders `images` (and `labels`) in place so that the training images come
 * first and the test images last, each in cache order: the split is then two
 * views of one buffer, with no second copy of a multi-gigabyte data set.
 * Returns how many training images lead.
 */
export function partitionInPlace(images: Uint8Array, labels: Uint8Array, px: number, test: readonly number[]): number {
  const count = labels.length;
  const isTest = new Uint8Array(count);
  for (const t of test) isTest[t] = 1;
  // source[i]: which original image ends up at position i.
  const source = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < count; i++) if (!isTest[i]) source[k++] = i;
  const nTrain = k;
  for (const t of test) source[k++] = t;
  const done = new Uint8Array(count);
  const tmp = new Uint8Array(px);
  for (let start = 0; start < count; start++) {
    if (done[start] || source[start] === start) continue;
    // Follow the cycle: position j receives image source[j].
    tmp.set(images.subarray(start * px, (start + 1) * px));
    const tmpLabel = labels[start];
    let j = start;
    while (source[j] !== start) {
      const s = source[j];
      images.copyWithin(j * px, s * px, (s + 1) * px);
      labels[j] = labels[s];
      done[j] = 1;
      j = s;
    }
    images.set(tmp, j * px);
    labels[j] = tmpLabel;
    done[j] = 1;
  }
  return nTrain;
}
