import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from ops in tfjs-core.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { bernoulliNll } from '../model/loss.js';
import { FLOAT32_TOLERANCE, rng, scaledDiff, setupCpu } from './test-util.js';

beforeAll(async () => {
  await setupCpu();
});

/** The loss written with tfjs' ops, as the model had it before the fused kernels. */
const written = (l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.add(tf.sub(tf.relu(l), tf.mul(l, t)), tf.log1p(tf.exp(tf.neg(tf.abs(l))))), 1);

describe('the fused per-image BCE kernels', () => {
  const r = rng(8);
  const N = 6;
  const D = 300;
  // Logits up to ±60 (exp would overflow in the naive form), targets in [0, 1] with exact 0s and 1s.
  const lv = Float32Array.from({ length: N * D }, (_, i) => (i % 50 === 0 ? 60 * (r() - 0.5) * 2 : 8 * (r() - 0.5)));
  const tv = Float32Array.from({ length: N * D }, (_, i) => (i % 3 === 0 ? Math.round(r()) : r()));
  const weights = Float32Array.from({ length: N }, () => r() + 0.5);

  it('gives the loss of the formula written with tfjs ops, per image', () => {
    const l = tf.tensor2d(lv, [N, D]);
    const t = tf.tensor2d(tv, [N, D]);
    const got = bernoulliNll(l, t);
    expect(got.shape).toEqual([N]);
    expect(scaledDiff(got.dataSync(), written(l, t).dataSync())).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    tf.dispose([l, t, got]);
  });

  it('gives the gradients of that formula with respect to the logits and the targets, for any upstream dy', () => {
    const l = tf.tensor2d(lv, [N, D]);
    const t = tf.tensor2d(tv, [N, D]);
    const w = tf.tensor1d(weights);
    const loss = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), w));
    const fused = tf.grads(loss(bernoulliNll))([l, t]);
    const plain = tf.grads(loss(written))([l, t]);
    expect(scaledDiff(fused[0].dataSync(), plain[0].dataSync()), 'd/dlogits').toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    expect(scaledDiff(fused[1].dataSync(), plain[1].dataSync()), 'd/dtargets').toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    tf.dispose([l, t, w, ...fused, ...plain]);
  });

  it('leaves no tensor behind, evaluated alone or under a gradient (the saved sigmoid included)', () => {
    const l = tf.tensor2d(lv, [N, D]);
    const t = tf.tensor2d(tv, [N, D]);
    const before = tf.memory().numTensors;
    tf.tidy(() => bernoulliNll(l, t).dataSync());
    const g = tf.grad((a: tf.Tensor) => tf.sum(bernoulliNll(a, t)))(l);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([l, t]);
  });
});
