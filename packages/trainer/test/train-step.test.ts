import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { createVaeModel } from '../src/model/vae.js';
import { TrainStep } from '../src/train/train-step.js';
import { loadMnist } from '../src/data/datasets.js';
import { gather } from '../src/data/batcher.js';
import { bernoulliNll, gaussianKl } from '../src/model/loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TrainStep', () => {
  it('lowers the negative ELBO on a fixed batch of MNIST digits over a few steps', async () => {
    const spec = buildArchSpec({ arch: 'mlp' });
    const model = createVaeModel(spec, 3);
    const step = new TrainStep(model, { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const mnist = await loadMnist();
    const { x } = gather(mnist.train, Uint32Array.from({ length: 16 }, (_, i) => i));
    const noise = new Float32Array(16 * 20);
    const first = await step.step(x, 16, noise, 1);
    let last = first;
    for (let i = 0; i < 15; i++) last = await step.step(x, 16, noise, 1);
    expect(first.recon).toBeGreaterThan(400); // ~784 * ln 2 at init
    expect(last.objective).toBeLessThan(first.objective - 100);
    step.dispose();
    model.dispose();
  });
});

describe('TrainStep Adam update', () => {
  it('matches three steps of torch.optim.Adam computed by hand in float64 (bias correction on m and v)', async () => {
    const spec = buildArchSpec({ arch: 'mlp', latent: 2, channels: [3] });
    const model = createVaeModel(spec, 5);
    const adam = { lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const stepper = new TrainStep(model, adam);
    const mnist = await loadMnist();
    const { x } = gather(mnist.train, Uint32Array.from([0, 1, 2]));
    const noise = Float32Array.from({ length: 3 * 2 }, (_, i) => Math.cos(i + 1));
    const klWeight = 0.5;
    const names = [...model.params.keys()];
    // The gradient TrainStep sees, from the same loss written out independently.
    const gradients = () => {
      const { grads } = tf.variableGrads(() => {
        const xT = tf.tensor4d(x, [3, 28, 28, 1]);
        const { mu, logvar } = model.encode(xT);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.tensor2d(noise, [3, 2]))) as tf.Tensor2D;
        const r = tf.mean(bernoulliNll(model.decodeLogits(z), xT));
        const k = tf.mean(gaussianKl(mu, logvar));
        return tf.add(r, tf.mul(k, klWeight)) as tf.Scalar;
      }, names.map((n) => model.params.get(n)!));
      const out = names.map((n) => Float64Array.from(grads[model.params.get(n)!.name].dataSync()));
      tf.dispose(grads);
      return out;
    };
    let p = names.map((n) => Float64Array.from(model.params.get(n)!.dataSync()));
    const m = p.map((a) => new Float64Array(a.length));
    const v = p.map((a) => new Float64Array(a.length));
    let worst = 0;
    for (let t = 1; t <= 3; t++) {
      const g = gradients();
      await stepper.step(x, 3, noise, klWeight);
      // torch.optim.Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
      // p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
      p = p.map((pi, i) =>
        pi.map((w, j) => {
          m[i][j] = adam.beta1 * m[i][j] + (1 - adam.beta1) * g[i][j];
          v[i][j] = adam.beta2 * v[i][j] + (1 - adam.beta2) * g[i][j] ** 2;
          const mHat = m[i][j] / (1 - adam.beta1 ** t);
          const vHat = v[i][j] / (1 - adam.beta2 ** t);
          return w - (adam.lr * mHat) / (Math.sqrt(vHat) + adam.epsilon);
        }),
      );
      names.forEach((n, i) => {
        const got = model.params.get(n)!.dataSync();
        for (let j = 0; j < got.length; j++) {
          worst = Math.max(worst, Math.abs(got[j] - p[i][j]));
        }
      });
    }
    console.log(`Adam vs hand-computed reference over 3 steps: max |diff| ${worst.toExponential(2)} (lr ${adam.lr})`);
    // Each step moves a weight by up to lr = 1e-2; float32 rounding of the weights is ~1e-8.
    expect(worst).toBeLessThan(1e-5);
    const state = await stepper.getState();
    expect(state.iterations).toBe(3);
    stepper.dispose();
    model.dispose();
  });
});
