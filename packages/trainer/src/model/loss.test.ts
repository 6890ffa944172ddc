import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The free-bits gradient test differentiates through tfjs ops.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bernoulliNll, freeBitsKl, gaussianKl, iwaeLoss, klWeight, logImportanceWeights, reconstructionLoss, squaredError } from './loss.js';

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

describe('free bits', () => {
  it('optimises sum over dimensions of max(lambda, batch-mean KL of the dimension)', async () => {
    // Two images, two latent dims. KL_d = (mu^2 + e^lv - 1 - lv) / 2.
    // dim 0: mu 1 and 0, lv 0 -> KL 0.5 and 0, batch mean 0.25.
    // dim 1: mu 2 and 2, lv 0 -> KL 2 and 2, batch mean 2.
    const mu = tf.tensor2d([[1, 2], [0, 2]]);
    const lv = tf.tensor2d([[0, 0], [0, 0]]);
    // lambda 0.5: max(0.5, 0.25) + max(0.5, 2) = 2.5 (the per-image KL sum would average 2.25).
    expect((await val(freeBitsKl(mu, lv, 0.5)))[0]).toBeCloseTo(2.5, 6);
    // lambda 0 is the plain batch-mean KL: 0.25 + 2.
    expect((await val(freeBitsKl(mu, lv, 0)))[0]).toBeCloseTo(2.25, 6);
    // lambda 3 floors both dims.
    expect((await val(freeBitsKl(mu, lv, 3)))[0]).toBeCloseTo(6, 6);
  });

  it('gives no KL gradient to a dimension below lambda and the plain one above it', async () => {
    const lv = tf.tensor2d([[0, 0], [0, 0]]);
    const g = tf.grad((m: tf.Tensor) => freeBitsKl(m as tf.Tensor2D, lv, 0.5))(tf.tensor2d([[1, 2], [0, 2]]));
    // d/dmu of mean_b(mu^2 / 2) is mu / 2 per image for the free dimension 1; dimension 0 is floored.
    expect(await val(g)).toEqual([0, 1, 0, 1]);
  });
});

describe('IWAE objective', () => {
  it('takes log weights log p(x|z) + log p(z) - log q(z|x) from the reparameterised sample', async () => {
    // One latent dim: mu 0.5, logvar ln 4 (sigma 2), eps 0.25 -> z = 1.
    // log p(z) = -1/2 (1 + ln 2pi); log q = -1/2 (0.25^2 + ln 4 + ln 2pi); nll 3.
    const want = -3 + (-0.5 * 1) - (-0.5 * (0.0625 + Math.log(4)));
    const got = await val(logImportanceWeights(tf.tensor1d([3]), tf.tensor2d([[1]]), tf.tensor2d([[0.25]]), tf.tensor2d([[Math.log(4)]])));
    expect(got[0]).toBeCloseTo(want, 5);
  });

  it('is minus the batch mean of log mean exp over the samples: a hand-computed 2-sample case', async () => {
    // Image 1: log w = ln 1, ln 3 -> log((1 + 3) / 2) = ln 2. Image 2: log w = -1000, -1000 -> -1000
    // (finite, where the naive exp underflows to log 0).
    const got = await val(iwaeLoss(tf.tensor2d([[0, Math.log(3)], [-1000, -1000]])));
    expect(got[0]).toBeCloseTo(-(Math.LN2 + -1000) / 2, 3);
    // K = 1: the loss is minus the mean log weight, the single-sample ELBO.
    expect((await val(iwaeLoss(tf.tensor2d([[-2], [-4]]))))[0]).toBeCloseTo(3, 6);
  });
});
