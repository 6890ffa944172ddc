import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../train/adam.js';
import { VAE_ADAM_UPDATE } from './adam-update.js';
import { randTensor, rng, setupCpu } from './test-util.js';

beforeAll(async () => {
  await setupCpu();
});

/** Five Adam steps on three variables; the kernel registered or not. */
function run(fused: boolean): Float32Array[] {
  const kernel = tf.getKernel(VAE_ADAM_UPDATE, 'cpu')!;
  if (!fused) tf.unregisterKernel(VAE_ADAM_UPDATE, 'cpu');
  try {
    const r = rng(4);
    // The last one is large enough for the WebAssembly pass (WASM_ELEMENTWISE_MIN), the others take the JS loop.
    const vars = [[7, 5], [33], [2, 3, 3, 4], [70, 71]].map((s, i) => tf.variable(randTensor(r, s), true, `adam-spec-${fused}-${i}`));
    const opt = new Adam(vars, { lr: 3e-3 });
    for (let step = 0; step < 5; step++) {
      const grads = Object.fromEntries(vars.map((v) => [v.name, randTensor(r, v.shape, 0.1)]));
      opt.apply(grads);
      tf.dispose(Object.values(grads));
    }
    const out = [...vars, ...opt.m, ...opt.v].map((t) => t.dataSync().slice() as Float32Array);
    opt.dispose();
    tf.dispose(vars);
    return out;
  } finally {
    if (!fused) tf.registerKernel(kernel);
  }
}

describe('the fused Adam update kernel', () => {
  it('gives the same bits as the tfjs-ops formulation for weights and both moments over 5 steps', () => {
    const ops = run(false);
    const fused = run(true);
    expect(fused.length).toBe(12);
    fused.forEach((a, k) => expect(Array.from(a), `tensor ${k}`).toEqual(Array.from(ops[k])));
  });

  it('moves the weights (the comparison above is not between two untouched copies)', () => {
    const r = rng(4);
    const start = [[7, 5], [33], [2, 3, 3, 4], [70, 71]].map((s) => randTensor(r, s).dataSync().slice());
    const after = run(true).slice(0, 4);
    after.forEach((a, k) => expect(Array.from(a)).not.toEqual(Array.from(start[k])));
  });
});
