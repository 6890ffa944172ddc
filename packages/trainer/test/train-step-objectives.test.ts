import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { createVaeModel } from '../src/model/vae.js';
import type { VaeModel } from '../src/model/vae.js';
import { TrainStep } from '../src/train/train-step.js';
import { loadMnist } from '../src/data/datasets.js';
import { gather } from '../src/data/batcher.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ADAM = { lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const softplus = (l: number) => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));

/** Two MNIST digits, a latent of 2 and the model's encoder outputs in float64, for sums done by hand. */
async function setup() {
  const model = createVaeModel(buildArchSpec({ arch: 'mlp', latent: 2, channels: [3] }), 5);
  const { x } = gather((await loadMnist()).train, Uint32Array.from([0, 1]));
  const { mu, logvar } = model.encode(tf.tensor4d(x, [2, 28, 28, 1]));
  return { model, x, mu: Array.from(await mu.data()), lv: Array.from(await logvar.data()) };
}

/** -log p(x|z) of image `i` at latent `z`, summed over pixels in float64 from the model's logits. */
async function nll(model: VaeModel, x: Float32Array, i: number, z: number[]): Promise<number> {
  const logits = await model.decodeLogits(tf.tensor2d([z])).data();
  let s = 0;
  for (let p = 0; p < 784; p++) s += softplus(logits[p]) - logits[p] * x[i * 784 + p];
  return s;
}

describe('TrainStep objectives', () => {
  it('--iw-train 2: the loss is -mean_i log((w_i1 + w_i2) / 2) over image-major noise rows, recon and KL reported as usual', async () => {
    const { model, x, mu, lv } = await setup();
    const noise = Float32Array.from([0.3, -1.2, 0.8, 0.1, -0.5, 2.0, 1.1, -0.7]); // [image][sample][latent]
    let loss = 0;
    let recon = 0;
    let kl = 0;
    for (let i = 0; i < 2; i++) {
      const logw: number[] = [];
      for (let k = 0; k < 2; k++) {
        const e = [noise[(i * 2 + k) * 2], noise[(i * 2 + k) * 2 + 1]];
        const z = [0, 1].map((d) => mu[i * 2 + d] + Math.exp(lv[i * 2 + d] / 2) * e[d]);
        const n = await nll(model, x, i, z);
        recon += n / 4;
        // log p(z) - log q(z|x) = -1/2 sum z^2 + 1/2 sum eps^2 + 1/2 sum logvar (the 2 pi terms cancel).
        logw.push(-n + [0, 1].reduce((s, d) => s - z[d] ** 2 / 2 + e[d] ** 2 / 2 + lv[i * 2 + d] / 2, 0));
      }
      const m = Math.max(...logw);
      loss -= (m + Math.log((Math.exp(logw[0] - m) + Math.exp(logw[1] - m)) / 2)) / 2;
      kl += [0, 1].reduce((s, d) => s + (mu[i * 2 + d] ** 2 + Math.exp(lv[i * 2 + d]) - 1 - lv[i * 2 + d]) / 2, 0) / 2;
    }
    const step = new TrainStep(model, ADAM, 'bernoulli', { iwTrain: 2 });
    const got = await step.step(x, 2, noise, 1);
    // float32 sums of 784 terms against float64 ones: agreement to a few 1e-3 on values near 540.
    expect(got.objective).toBeCloseTo(loss, 2);
    expect(got.recon).toBeCloseTo(recon, 2);
    expect(got.kl).toBeCloseTo(kl, 5);
    await expect(step.step(x, 2, noise.subarray(0, 4), 1)).rejects.toThrow('noise must hold 2 x 2 x 2 values, got 4');
    step.dispose();
    model.dispose();
  });

  it('--free-bits 0.5: optimises recon + sum_d max(0.5, batch-mean KL_d) and reports the true KL', async () => {
    const { model, x, mu, lv } = await setup();
    const klD = (i: number, d: number) => (mu[i * 2 + d] ** 2 + Math.exp(lv[i * 2 + d]) - 1 - lv[i * 2 + d]) / 2;
    const trueKl = (klD(0, 0) + klD(0, 1) + klD(1, 0) + klD(1, 1)) / 2;
    const floored = [0, 1].reduce((s, d) => s + Math.max(0.5, (klD(0, d) + klD(1, d)) / 2), 0);
    // At this init the KL is small, so the floor binds and the objective differs from the ELBO.
    expect(floored).toBeGreaterThan(trueKl);
    const step = new TrainStep(model, ADAM, 'bernoulli', { freeBits: 0.5 });
    const got = await step.step(x, 2, new Float32Array(4), 1);
    expect(got.kl).toBeCloseTo(trueKl, 5);
    expect(got.objective).toBeCloseTo(got.recon + floored, 4);
    step.dispose();
    model.dispose();
  });

  it('takes the learning rate set before a step: at rate 0 (a warm-up from 0) the weights do not move', async () => {
    const { model, x } = await setup();
    const before = await model.readParams();
    const step = new TrainStep(model, ADAM);
    step.setLearningRate(0);
    await step.step(x, 2, new Float32Array(4), 1);
    const after = await model.readParams();
    for (const [name, v] of before) expect(Array.from(after.get(name)!), name).toEqual(Array.from(v));
    step.setLearningRate(1e-2);
    await step.step(x, 2, new Float32Array(4), 1);
    const moved = await model.readParams();
    expect([...before].some(([name, v]) => Array.from(moved.get(name)!).some((w, j) => w !== v[j]))).toBe(true);
    step.dispose();
    model.dispose();
  });
});
