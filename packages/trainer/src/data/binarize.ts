/**
 * Binarized MNIST as the literature uses it: each pixel becomes 1 with
 * probability equal to its grey intensity. `dynamic` draws afresh for every
 * batch of every step (Salakhutdinov & Murray's dynamic binarization); `static`
 * draws the training set once; the test set is always drawn once, from a fixed
 * seed, so that the test NELBO of any two runs is measured on the same bits.
 */
import type { LabelledImages } from './idx.js';
import { Rng } from '../rng.js';

/** How training images are binarized (absent: grey intensities, as a plain run). */
export type BinarizeMode = 'dynamic' | 'static';

/** Seed of the test set's one draw: fixed, not `--seed`, so runs with different seeds share one test set. */
export const TEST_BINARIZE_SEED = 0xb1a7e5;

/** A source of uniforms in [0, 1) (the trainer's `Rng`). */
export interface UniformSource {
  uniform(): number;
}

/**
 * Replaces each intensity `x` in [0, 1] of a batch by a Bernoulli(x) draw, in
 * place, one uniform per pixel in array order: `u < x` gives 1, so 0 stays 0
 * and 1 stays 1.
 */
export function binarizeBatch(x: Float32Array, rng: UniformSource): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < x[i] ? 1 : 0;
  return x;
}

/**
 * One Bernoulli draw of a whole split, as uint8 0 or 255, in stored pixel
 * order, by the rule of {@link binarizeBatch} on `v / 255`. The split's
 * first n images get the same bits whatever its length, so `--test-limit`
 * only shortens the test set.
 */
export function binarizeSplit(split: LabelledImages, rng: UniformSource): LabelledImages {
  const src = split.images;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = rng.uniform() < src[i] / 255 ? 255 : 0;
  return { ...split, images: out };
}

/**
 * The test set of a binarized run: one draw from {@link TEST_BINARIZE_SEED},
 * used by training's evaluations and by `vae-train --evaluate` alike.
 */
export function binarizedTestSet(split: LabelledImages): LabelledImages {
  return binarizeSplit(split, new Rng(TEST_BINARIZE_SEED));
}
