import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from ops in tfjs-core.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { originalKernel } from './fallback.js';
import { FAST_CPU_KERNELS, PROJECT_CPU_KERNELS, registerFastCpuKernels } from './register-fast-cpu-kernels.js';
import { FLOAT32_TOLERANCE, rng, setupCpu } from './test-util.js';
import { buildArchSpec } from '@vae/format';
import { bernoulliNll, gaussianKl } from '../model/loss.js';
import { createVaeModel } from '../model/vae.js';
import { ADAM_DEFAULTS, TrainStep } from '../train/train-step.js';

beforeAll(async () => {
  await setupCpu();
});

/**
 * Runs `f` (e.g. training steps) with tfjs' own cpu kernels swapped back in
 * for every project kernel, and the project's own fused kernels removed (the
 * model then writes bias + ReLU with tfjs' ops).
 */
async function withTfjsKernelsAsync<T>(f: () => Promise<T>): Promise<T> {
  for (const c of FAST_CPU_KERNELS) {
    tf.unregisterKernel(c.kernelName, 'cpu');
    tf.registerKernel({ kernelName: c.kernelName, backendName: 'cpu', kernelFunc: originalKernel(c.kernelName)! });
  }
  for (const c of PROJECT_CPU_KERNELS) tf.unregisterKernel(c.kernelName, 'cpu');
  try {
    return await f();
  } finally {
    for (const c of FAST_CPU_KERNELS) {
      tf.unregisterKernel(c.kernelName, 'cpu');
      tf.registerKernel(c);
    }
    for (const c of PROJECT_CPU_KERNELS) tf.registerKernel(c);
  }
}

describe('registerFastCpuKernels', () => {
  it('replaces every listed kernel and is idempotent, keeping tfjs\' originals as fallbacks', () => {
    registerFastCpuKernels();
    registerFastCpuKernels();
    for (const c of FAST_CPU_KERNELS) {
      expect(tf.getKernel(c.kernelName, 'cpu')?.kernelFunc).toBe(c.kernelFunc);
      expect(originalKernel(c.kernelName)).toBeDefined();
      expect(originalKernel(c.kernelName)).not.toBe(c.kernelFunc);
    }
    for (const c of PROJECT_CPU_KERNELS) expect(tf.getKernel(c.kernelName, 'cpu')?.kernelFunc).toBe(c.kernelFunc);
  });

  it('gives the trainer\'s real model and TrainStep the same loss, gradients and Adam steps as tfjs\' own kernels', async () => {
    // The real small conv VAE (stride-2 convs with padding, dense heads,
    // clamped log-variance, conv2dTranspose with output padding, BCE and KL)
    // through the real TrainStep, on 28x28 inputs, once per kernel set.
    const spec = buildArchSpec({ arch: 'small' });
    const B = 8;
    const r = rng(2024);
    const x = Float32Array.from({ length: B * 784 }, () => Math.min(1, Math.abs(r())));
    const noise = Float32Array.from({ length: B * spec.config.latent }, () => r());
    const run = async () => {
      const model = createVaeModel(spec, 11);
      const names = [...model.params.keys()];
      const { value, grads } = tf.variableGrads(() => {
        const xT = tf.tensor4d(x, [B, 28, 28, 1]);
        const { mu, logvar } = model.encode(xT);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.tensor2d(noise, [B, spec.config.latent]))) as tf.Tensor2D;
        return tf.add(tf.mean(bernoulliNll(model.decodeLogits(z), xT)), tf.mean(gaussianKl(mu, logvar))) as tf.Scalar;
      }, names.map((n) => model.params.get(n)!));
      const loss = value.dataSync()[0];
      const g = names.map((n) => grads[model.params.get(n)!.name].dataSync().slice());
      tf.dispose([value, ...Object.values(grads)]);
      const step = new TrainStep(model, { lr: 1e-3, ...ADAM_DEFAULTS });
      const objectives: number[] = [];
      for (let i = 0; i < 3; i++) objectives.push((await step.step(x, B, noise, 1)).objective);
      const params = await model.readParams();
      step.dispose();
      model.dispose();
      return { loss, names, g, objectives, params };
    };
    const ours = await run();
    const ref = await withTfjsKernelsAsync(run);
    const close = (a: number, b: number) => Math.abs(a - b) <= FLOAT32_TOLERANCE * Math.max(1, Math.abs(b));
    expect(close(ours.loss, ref.loss), `loss ${ours.loss} vs tfjs ${ref.loss}`).toBe(true);
    let worstGrad = 0;
    ours.names.forEach((n, i) => {
      const a = ours.g[i];
      const b = ref.g[i];
      let maxDiff = 0;
      let maxRef = 0;
      for (let j = 0; j < b.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
        maxRef = Math.max(maxRef, Math.abs(b[j]));
      }
      worstGrad = Math.max(worstGrad, maxDiff / Math.max(1, maxRef));
      expect(maxDiff / Math.max(1, maxRef), `gradient of ${n}`).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    });
    ours.objectives.forEach((o, i) => expect(close(o, ref.objectives[i]), `objective of step ${i + 1}: ${o} vs tfjs ${ref.objectives[i]}`).toBe(true));
    let worstWeight = 0;
    for (const [n, a] of ours.params) {
      const b = ref.params.get(n)!;
      for (let j = 0; j < b.length; j++) worstWeight = Math.max(worstWeight, Math.abs(a[j] - b[j]));
    }
    console.log(`real small VAE: loss ${ours.loss} vs tfjs ${ref.loss}; worst scaled gradient diff ${worstGrad}; objectives ${ours.objectives} vs ${ref.objectives}; worst weight diff after 3 Adam steps ${worstWeight}`);
    // Adam moves each weight by at most lr = 1e-3 per step, so equal weights within 1e-5 after 3 steps mean the same update directions.
    expect(worstWeight).toBeLessThanOrEqual(1e-5);
  });
});
