import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { absConfig } from './abs.js';
import { addConfig } from './add.js';
import { blockBroadcast } from './elementwise.js';
import { expConfig } from './exp.js';
import { logConfig } from './log.js';
import { log1pConfig } from './log1p.js';
import { multiplyConfig } from './multiply.js';
import { negConfig } from './neg.js';
import { realDivConfig } from './real-div.js';
import { reluConfig } from './relu.js';
import { sigmoidConfig } from './sigmoid.js';
import { softplusConfig } from './softplus.js';
import { sqrtConfig } from './sqrt.js';
import { squareConfig } from './square.js';
import { stepConfig } from './step.js';
import { subConfig } from './sub.js';
import { compareWithTfjs, FLOAT32_TOLERANCE, randInt, randTensor, rng, setupCpu } from './test-util.js';

let backend: MathBackendCPU;
const worst: Record<string, number> = {};
beforeAll(async () => {
  backend = await setupCpu();
});
afterAll(() => {
  console.log(`element-wise kernels, worst scaled diff vs tfjs: ${JSON.stringify(worst)}`);
});

function check(config: KernelConfig, inputs: Record<string, tf.Tensor>, attrs: NamedAttrMap = {}): void {
  const a = compareWithTfjs(backend, config, inputs, attrs);
  worst[config.kernelName] = Math.max(worst[config.kernelName] ?? 0, a.scaledDiff);
  expect(a.scaledDiff).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
}

/** Operand shape pairs: every broadcast the VAE produces, plus general ones that must fall back. */
const shapePairs: [number[], number[]][] = [
  [[4, 5, 6, 3], [4, 5, 6, 3]], // same shape
  [[4, 5, 6, 3], [3]], // bias on NHWC
  [[3], [4, 5, 6, 3]], // bias on the left
  [[7, 9], []], // scalar
  [[], [7, 9]],
  [[7, 9], [1]],
  [[7, 9], [7, 1]], // per-row value
  [[7, 1], [7, 9]],
  [[2, 5, 3], [1, 5, 1]], // middle block
  [[5, 1, 3], [5, 4, 3]], // broadcast axis inside the run (falls back)
  [[3, 1], [1, 4]], // both broadcast (falls back)
  [[2, 1, 4], [3, 1]], // mixed (falls back)
  [[128, 32], [128, 32]],
];

describe.each([addConfig, subConfig, multiplyConfig, realDivConfig])('$kernelName matches tfjs on every broadcast pattern', (config) => {
  it.each(shapePairs.map((p, i) => [i, p] as const))('shapes %i', (i, [sa, sb]) => {
    const r = rng(1000 + i);
    // Zeros in both operands exercise 0/0 = NaN and x/0 = ±Inf for RealDiv.
    const a = randTensor(r, sa, 0.1);
    const b = randTensor(r, sb, 0.1);
    check(config, { a, b });
    tf.dispose([a, b]);
  });
});

describe('blockBroadcast classifies operands', () => {
  it('recognises a bias over NHWC and rejects an interior broadcast', () => {
    expect(blockBroadcast([2, 3, 4, 5], [5])).toMatchObject({ full: 'a', small: 5, inner: 1 });
    expect(blockBroadcast([7, 1], [7, 9])).toMatchObject({ full: 'b', small: 7, inner: 9 });
    expect(blockBroadcast([5, 1, 3], [5, 4, 3])).toBeNull();
  });
});

describe.each([reluConfig, negConfig, expConfig, logConfig, log1pConfig, absConfig, squareConfig, sqrtConfig, sigmoidConfig, softplusConfig])(
  '$kernelName matches tfjs, including NaN, zeros, negatives and large magnitudes',
  (config) => {
    it.each([[[1000], 3], [[4, 7, 7, 3], 30], [[5], 200]] as const)('shape %j, scale %d', (shape, scale) => {
      const r = rng(shape.length * 7 + scale);
      const x = randTensor(r, [...shape], 0.1, scale);
      check(config, { x });
      // NaNs with the sign bit set or a signalling payload too: the branch-free
      // ReLU/Step read sign bits, so every NaN encoding must stay NaN.
      const nanBits = new Float32Array(new Int32Array([0xffc00000 | 0, 0x7f800001, 0xff800001 | 0, 0x7fffffff]).buffer);
      // Built from a Float32Array, whose bits tfjs keeps as they are.
      const plain = [NaN, 0, -0, Infinity, -Infinity, 88.8, -88.8, 1e-30, -1e-30];
      const specials = new Float32Array(plain.length + nanBits.length);
      specials.set(plain);
      specials.set(nanBits, plain.length);
      const special = tf.tensor(specials);
      check(config, { x: special });
      tf.dispose([x, special]);
    });
  },
);

describe('Step matches tfjs for alpha 0 (the ReLU gradient) and a leaky alpha', () => {
  it.each([0, 0.2])('alpha %d', (alpha) => {
    const r = rng(5);
    const nanBits = new Float32Array(new Int32Array([0xffc00000 | 0, 0x7f800001, 0xff800001 | 0]).buffer);
    const specials = new Float32Array(5 + nanBits.length);
    specials.set([NaN, 0, -0, 1e-45, -1e-45]);
    specials.set(nanBits, 5);
    const x = tf.concat([randTensor(r, [500], 0.2), tf.tensor(specials)]);
    check(stepConfig, { x }, { alpha });
    tf.dispose(x);
  });
});

describe('int32 inputs fall back to tfjs', () => {
  it('Add of int32 tensors gives tfjs\' int32 result', () => {
    const a = tf.tensor([1, 2, 3], [3], 'int32');
    const b = tf.tensor([4], [1], 'int32');
    const a1 = compareWithTfjs(backend, addConfig, { a, b }, {});
    expect(a1.maxAbsDiff).toBe(0);
    tf.dispose([a, b]);
  });
  it('random seeds differ per shape pair (sanity of the generator)', () => {
    expect(randInt(rng(1), 0, 1e9)).not.toBe(randInt(rng(2), 0, 1e9));
  });
});
