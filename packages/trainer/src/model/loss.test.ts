import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { bernoulliNll, gaussianKl, klWeight, reconstructionLoss, squaredError } from './loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const val = async (t: tf.Tensor) => Array.from(await t.data());
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe('loss', () => {
  it('computes BCE from logits that matches the textbook formula on moderate logits', async () => {
    const logits = [-3, -0.5, 0, 0.7, 4];
    const x = [0, 0.25, 1, 0.5, 1];
    const got = await val(bernoulliNll(tf.tensor2d([logits]), tf.tensor2d([x])));
    const p = logits.map((l) => 1 / (1 + Math.exp(-l)));
    const want = x.reduce((s, xi, i) => s - (xi * Math.log(p[i]) + (1 - xi) * Math.log(1 - p[i])), 0);
    expect(got[0]).toBeCloseTo(want, 4);
  });

  it('stays finite and exact for logits of ±100, where the naive form gives Inf or NaN', async () => {
    const got = await val(bernoulliNll(tf.tensor2d([[100, -100, 100, -100]]), tf.tensor2d([[0, 1, 1, 0]])));
    // Wrong-way confident pixels cost |l| nats each; right-way ones cost ~e^-100.
    expect(got[0]).toBeCloseTo(200, 3);
    expect(Number.isFinite(got[0])).toBe(true);
  });

  it('sums BCE over pixels per image, not over the batch', async () => {
    const logits = tf.tensor4d([0, 0, 0, 0, 2, 2, 2, 2], [2, 2, 2, 1]);
    const x = tf.tensor4d([1, 1, 1, 1, 0, 0, 0, 0], [2, 2, 2, 1]);
    const got = await val(bernoulliNll(logits, x));
    expect(got[0]).toBeCloseTo(4 * Math.LN2, 5);
    expect(got[1]).toBeCloseTo(4 * softplus(2), 5);
  });

  it('gives the closed-form KL to N(0, I): zero at the prior, known value elsewhere', async () => {
    const [k0] = await val(gaussianKl(tf.tensor2d([[0, 0, 0]]), tf.tensor2d([[0, 0, 0]])));
    expect(k0).toBeCloseTo(0, 7);
    const mu = [1, -2];
    const logvar = [Math.log(4), Math.log(0.25)];
    const want = 0.5 * mu.reduce((s, m, i) => s + m * m + Math.exp(logvar[i]) - 1 - logvar[i], 0);
    const [k] = await val(gaussianKl(tf.tensor2d([mu]), tf.tensor2d([logvar])));
    expect(k).toBeCloseTo(want, 5);
  });

  it('offers squared error of the sigmoid means as the MSE reconstruction option', async () => {
    const got = await val(squaredError(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]])));
    expect(got[0]).toBeCloseTo(0.25 + 0.25, 6);
    const viaSwitch = await val(reconstructionLoss('mse', tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]])));
    expect(viaSwitch).toEqual(got);
  });

  it('ramps the KL weight linearly over the warm-up epochs, then holds beta', () => {
    expect(klWeight(1, 0, 0.1)).toBe(1);
    expect(klWeight(0.5, 4, 1)).toBeCloseTo(0.125, 10);
    expect(klWeight(0.5, 4, 2)).toBeCloseTo(0.25, 10);
    expect(klWeight(0.5, 4, 4)).toBe(0.5);
    expect(klWeight(0.5, 4, 9)).toBe(0.5);
  });
});
