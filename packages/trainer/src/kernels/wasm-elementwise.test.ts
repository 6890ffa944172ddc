import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAE_BIAS_RELU, VAE_BIAS_RELU_GRAD } from './bias-relu.js';
import { setWasmElementwise, WASM_ELEMENTWISE_MIN } from './elementwise.js';
import { randTensor, rng, setupCpu } from './test-util.js';

beforeAll(async () => {
  await setupCpu();
});
afterAll(() => setWasmElementwise(true));

/** Values with NaN, ±Inf, ±0 sprinkled in, so special cases travel both paths. */
function special(shape: number[], seed: number): tf.Tensor {
  const t = randTensor(rng(seed), shape, 0.1);
  const v = t.dataSync().slice();
  t.dispose();
  const extras = [NaN, Infinity, -Infinity, 0, -0];
  for (let i = 0; i < extras.length; i++) v[(i * 7919 + seed) % v.length] = extras[i];
  return tf.tensor(v, shape);
}

/** Runs `f` with the WebAssembly element-wise path off and on; returns both outputs. */
function bothPaths(f: () => tf.Tensor | tf.Tensor[]): Float32Array[][] {
  const out: Float32Array[][] = [];
  for (const on of [false, true]) {
    setWasmElementwise(on);
    const r = f();
    const list = Array.isArray(r) ? r : [r];
    out.push(list.map((t) => t.dataSync().slice() as Float32Array));
    tf.dispose(list);
  }
  return out;
}

function expectSameBits(js: Float32Array[], wasm: Float32Array[]): void {
  expect(wasm.length).toBe(js.length);
  js.forEach((a, k) => {
    const b = wasm[k];
    expect(b.length).toBe(a.length);
    const bad: number[] = [];
    for (let i = 0; i < a.length && bad.length < 5; i++) if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad.push(i);
    expect(bad, `output ${k}: first differing elements`).toEqual([]);
  });
}

// 5 x 37 x 41 = 7585 elements: above the threshold and not a multiple of 4.
const shape = [5, 37, 41];

describe('the WebAssembly element-wise path', () => {
  it('is used above its threshold by these shapes', () => {
    expect(shape.reduce((a, b) => a * b)).toBeGreaterThan(WASM_ELEMENTWISE_MIN);
  });

  it.each(['add', 'sub', 'mul', 'div'] as const)('%s on equal shapes gives the same bits as the JS loop, NaN, Inf and signed zeros included', (op) => {
    const a = special(shape, 1);
    const b = special(shape, 2);
    const [js, wasm] = bothPaths(() => tf[op](a, b));
    expectSameBits(js, wasm);
    tf.dispose([a, b]);
  });

  it.each([4, 8, 16, 64])('combines an NHWC map with a [%i] channel vector (add, sub, mul, div, either side) with the same bits as the JS loops', (C) => {
    // 8 x 13 x 11 x C: above the threshold from C = 4 on.
    const x = special([8, 13, 11, C], C);
    const bias = special([C], C + 1);
    const [js, wasm] = bothPaths(() => [tf.add(x, bias), tf.sub(x, bias), tf.mul(x, bias), tf.div(x, bias), tf.add(bias, x), tf.mul(bias, x), tf.sub(bias, x), tf.div(bias, x)]);
    expectSameBits(js, wasm);
    tf.dispose([x, bias]);
  });

  it('combines a map with a scalar (both sides, all four ops) with the same bits as the JS loops', () => {
    const x = special([8, 13, 11, 4], 9);
    const s = tf.scalar(-1.7);
    const [js, wasm] = bothPaths(() => [tf.add(x, s), tf.sub(x, s), tf.mul(x, s), tf.div(x, s), tf.add(s, x), tf.mul(s, x), tf.sub(s, x), tf.div(s, x)]);
    expectSameBits(js, wasm);
    tf.dispose([x, s]);
  });

  it.each([8, 16, 64, 12])('runs the fused bias + ReLU and its gradient with the same bits as the JS loops (C = %i)', (C) => {
    const x = special([4, 9, 13, C], 3 * C);
    const bias = special([C], 5 * C);
    const dy = special([4, 9, 13, C], 7 * C);
    const [js, wasm] = bothPaths(() => {
      const y = tf.engine().runKernel(VAE_BIAS_RELU, { x, bias }) as tf.Tensor;
      const grads = tf.engine().runKernel(VAE_BIAS_RELU_GRAD, { dy, y }) as unknown as tf.Tensor[];
      return [y, ...grads];
    });
    expectSameBits(js, wasm);
    tf.dispose([x, bias, dy]);
  });
});
