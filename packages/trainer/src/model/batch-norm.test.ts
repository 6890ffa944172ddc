import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_DEFAULTS } from '@vae/format';
import type { TrainingPass } from './batch-norm.js';
import { BatchNormError, batchNorm, isBatchNormState } from './batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// NHWC [2,1,2,2]: channel 0 holds 1,2,3,6 (mean 3, biased variance 14/4, unbiased 14/3),
// channel 1 holds 0,0,0,4 (mean 1, biased variance 12/4, unbiased 12/3).
const V = [1, 0, 2, 0, 3, 0, 6, 4];
const ch = (i: number) => i % 2;
const eps = 1e-5;
const gamma = [2, 0.5];
const beta = [1, -1];
const runMean = [0.5, -1];
const runVar = [2, 1];
const tensors = () => ({ gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta), mean: tf.tensor1d(runMean), variance: tf.tensor1d(runVar) });
const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
};

describe('batchNorm (PyTorch BatchNorm2d semantics)', () => {
  it('in training normalises each channel with the batch mean and the biased batch variance', () => {
    const pass: TrainingPass = { updates: new Map() };
    const y = batchNorm(tf.tensor4d(V, [2, 1, 2, 2]), tensors(), BATCH_NORM_DEFAULTS, 'enc/conv1', pass);
    const mean = [3, 1];
    const biased = [14 / 4, 12 / 4];
    close(y.dataSync(), V.map((v, i) => (gamma[ch(i)] * (v - mean[ch(i)])) / Math.sqrt(biased[ch(i)] + eps) + beta[ch(i)]));
  });

  it('moves the running mean and the running variance (with the unbiased batch variance) by momentum 0.1', () => {
    const pass: TrainingPass = { updates: new Map() };
    batchNorm(tf.tensor4d(V, [2, 1, 2, 2]), tensors(), BATCH_NORM_DEFAULTS, 'enc/conv1', pass);
    expect([...pass.updates.keys()]).toEqual(['enc/conv1/bn/mean', 'enc/conv1/bn/variance']);
    close(pass.updates.get('enc/conv1/bn/mean')!.dataSync(), [0.9 * 0.5 + 0.1 * 3, 0.9 * -1 + 0.1 * 1]);
    close(pass.updates.get('enc/conv1/bn/variance')!.dataSync(), [0.9 * 2 + 0.1 * (14 / 3), 0.9 * 1 + 0.1 * (12 / 3)]);
  });

  it('in evaluation uses the running statistics and records nothing', () => {
    const y = batchNorm(tf.tensor4d(V, [2, 1, 2, 2]), tensors(), BATCH_NORM_DEFAULTS, 'enc/conv1');
    close(y.dataSync(), V.map((v, i) => (gamma[ch(i)] * (v - runMean[ch(i)])) / Math.sqrt(runVar[ch(i)] + eps) + beta[ch(i)]));
  });

  it('refuses batch statistics over a single value per channel, naming the layer and the batch', () => {
    const pass: TrainingPass = { updates: new Map() };
    const run = () => batchNorm(tf.zeros([1, 1, 1, 2]), tensors(), BATCH_NORM_DEFAULTS, 'enc/conv4', pass);
    expect(run).toThrow(BatchNormError);
    expect(run).toThrow('enc/conv4: BatchNorm in training needs more than 1 value per channel, got a batch of 1 at 1x1; use a batch of at least 2');
  });

  it('names the running statistics as state and gamma/beta as weights', () => {
    expect(['a/bn/mean', 'a/bn/variance', 'a/bn/gamma', 'a/bn/beta', 'a/kernel'].map(isBatchNormState)).toEqual([true, true, false, false, false]);
  });
});
