import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from ops in tfjs-core.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { originalKernel } from './fallback.js';
import { FAST_CPU_KERNELS, registerFastCpuKernels } from './register-fast-cpu-kernels.js';
import { FLOAT32_TOLERANCE, randTensor, rng, setupCpu } from './test-util.js';

beforeAll(async () => {
  await setupCpu();
});

/** Runs `f` with tfjs' own cpu kernels swapped back in for every project kernel. */
function withTfjsKernels<T>(f: () => T): T {
  for (const c of FAST_CPU_KERNELS) {
    tf.unregisterKernel(c.kernelName, 'cpu');
    tf.registerKernel({ kernelName: c.kernelName, backendName: 'cpu', kernelFunc: originalKernel(c.kernelName)! });
  }
  try {
    return f();
  } finally {
    for (const c of FAST_CPU_KERNELS) {
      tf.unregisterKernel(c.kernelName, 'cpu');
      tf.registerKernel(c);
    }
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
  });

  it('gives a VAE-shaped training step the same loss and gradients as tfjs\' own kernels', () => {
    // A small conv VAE written with the same ops as the trainer's model and
    // loss: stride-2 convs, bias adds, ReLU, flatten, dense heads, clamped
    // log-variance, reparameterisation, dense + reshape, conv2dTranspose with
    // output padding, BCE-from-logits and analytic KL.
    const r = rng(2024);
    const B = 6;
    const x = tf.tidy(() => tf.clipByValue(tf.abs(randTensor(r, [B, 12, 12, 1])), 0, 1)) as tf.Tensor4D;
    const eps = randTensor(r, [B, 4], 0);
    const p = {
      c1: randTensor(r, [3, 3, 1, 4], 0, 0.5), b1: randTensor(r, [4], 0, 0.1),
      c2: randTensor(r, [3, 3, 4, 8], 0, 0.3), b2: randTensor(r, [8], 0, 0.1),
      mu: randTensor(r, [72, 4], 0, 0.2), bmu: randTensor(r, [4], 0, 0.1),
      lv: randTensor(r, [72, 4], 0, 0.2), blv: randTensor(r, [4], 0, 0.1),
      fc: randTensor(r, [4, 72], 0, 0.3), bfc: randTensor(r, [72], 0, 0.1),
      d1: randTensor(r, [3, 3, 4, 8], 0, 0.3), bd1: randTensor(r, [4], 0, 0.1),
      d2: randTensor(r, [3, 3, 1, 4], 0, 0.3), bd2: randTensor(r, [1], 0, 0.1),
    };
    const names = Object.keys(p) as (keyof typeof p)[];
    const loss = (...w: tf.Tensor[]) => {
      const q = Object.fromEntries(names.map((n, i) => [n, w[i]])) as Record<keyof typeof p, tf.Tensor>;
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
      let h = tf.relu(tf.add(tf.conv2d(x, q.c1 as tf.Tensor4D, 2, pad), q.b1));
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, q.c2 as tf.Tensor4D, 2, pad), q.b2));
      const f = tf.reshape(h, [B, 72]) as tf.Tensor2D;
      const mu = tf.add(tf.matMul(f, q.mu as tf.Tensor2D), q.bmu);
      const logvar = tf.clipByValue(tf.add(tf.matMul(f, q.lv as tf.Tensor2D), q.blv), -20, 10);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
      let d = tf.reshape(tf.relu(tf.add(tf.matMul(z, q.fc as tf.Tensor2D), q.bfc)), [B, 3, 3, 8]) as tf.Tensor4D;
      d = tf.relu(tf.add(tf.conv2dTranspose(d, q.d1 as tf.Tensor4D, [B, 6, 6, 4], 2, 1), q.bd1)) as tf.Tensor4D;
      const logits = tf.reshape(tf.add(tf.conv2dTranspose(d, q.d2 as tf.Tensor4D, [B, 12, 12, 1], 2, 1), q.bd2), [B, -1]);
      const t = tf.reshape(x, [B, -1]);
      const bce = tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, t)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))), 1);
      const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1)), 1), 0.5);
      return tf.mean(tf.add(bce, kl)) as tf.Scalar;
    };
    const params = names.map((n) => p[n]);
    const ours = tf.valueAndGrads(loss)(params);
    const ref = withTfjsKernels(() => tf.valueAndGrads(loss)(params));
    const lo = ours.value.dataSync()[0];
    const lr = ref.value.dataSync()[0];
    expect(Math.abs(lo - lr)).toBeLessThanOrEqual(FLOAT32_TOLERANCE * Math.max(1, Math.abs(lr)));
    let worst = 0;
    names.forEach((n, i) => {
      const a = ours.grads[i].dataSync();
      const b = ref.grads[i].dataSync();
      let maxDiff = 0;
      let maxRef = 0;
      for (let j = 0; j < b.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
        maxRef = Math.max(maxRef, Math.abs(b[j]));
      }
      const scaled = maxDiff / Math.max(1, maxRef);
      worst = Math.max(worst, scaled);
      expect(scaled, `gradient of ${n}`).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    });
    console.log(`VAE-shaped step: loss ${lo} vs tfjs ${lr}; worst scaled gradient diff ${worst}`);
    tf.dispose([x, eps, ...params, ours.value, ...ours.grads, ref.value, ...ref.grads]);
  });
});
