import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { createVaeModel } from '../src/model/vae.js';
import { TrainStep } from '../src/train/train-step.js';
import { loadMnist } from '../src/data/datasets.js';
import { gather } from '../src/data/batcher.js';

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
