import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { createVaeModel } from '../model/vae.js';
import { ADAM_DEFAULTS, TrainStep } from '../train/train-step.js';
import { fallbackCounts, resetFallbackCounts } from './fallback.js';
import { FAST_CPU_KERNELS, PROJECT_CPU_KERNELS } from './register-fast-cpu-kernels.js';
import { FUSED_OP_SCOPE } from '../model/bias-relu.js';
import { rng, setupCpu } from './test-util.js';

beforeAll(async () => {
  await setupCpu();
});

/**
 * Kernels without a project version that may still see large tensors: they only relabel a buffer
 * (the gradients' float32-to-float32 Cast, e.g. of Relu's Step mask, is tfjs' Identity).
 */
const VIEW_KERNELS = new Set(['Reshape', 'Identity', 'Cast']);

describe('a celeba training step on the cpu backend', () => {
  it('runs BatchNorm, convs and Adam on project kernels only: no fallback, no large tfjs kernel', async () => {
    // Four stages with BatchNorm, as the 64x64 model, at 32x32 so that it stays quick.
    const spec = buildArchSpec({ arch: 'celeba', latent: 8, channels: [8, 16, 32, 64], imageShape: [32, 32, 3] });
    const model = createVaeModel(spec, 3);
    const stepper = new TrainStep(model, { lr: 1e-3, ...ADAM_DEFAULTS });
    const r = rng(5);
    const B = 4;
    const x = Float32Array.from({ length: B * 32 * 32 * 3 }, () => r());
    const noise = Float32Array.from({ length: B * 8 }, () => r() - 0.5);
    await stepper.step(x, B, noise, 1);
    resetFallbackCounts();
    const info = await tf.profile(async () => {
      await stepper.step(x, B, noise, 1);
      return [];
    });
    expect(Object.fromEntries(fallbackCounts())).toEqual({});
    const fast = new Set([...FAST_CPU_KERNELS, ...PROJECT_CPU_KERNELS].map((k) => k.kernelName));
    // The smallest BatchNorm'd map is 4 x 2 x 2 x 64 = 1024 values; anything that size or larger must be fast.
    const slow = info.kernels.filter((k) => !fast.has(k.name) && !VIEW_KERNELS.has(k.name) && !k.name.startsWith(FUSED_OP_SCOPE) && k.inputShapes.some((s) => (s ?? []).reduce((a, b) => a * b, 1) >= 1024));
    expect(slow.map((k) => `${k.name} [${k.inputShapes.map((s) => `[${s}]`).join(' ')}]`)).toEqual([]);
    stepper.dispose();
    model.dispose();
  }, 60_000);
});
