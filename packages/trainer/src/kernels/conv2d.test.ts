import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from ops in tfjs-core.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2dConfig } from './conv2d.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { originalKernel } from './fallback.js';
import { createJsGemm, setGemm } from './gemm.js';
import type { Agreement } from './test-util.js';
import { compareWithTfjs, FLOAT32_TOLERANCE, randInt, randTensor, rng, setupCpu } from './test-util.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

/** Random NHWC conv geometries: kernels 1–4, strides 1–3, every padding style. */
function randomCases(seed: number, n: number): Case[] {
  const r = rng(seed);
  const cases: Case[] = [];
  while (cases.length < n) {
    const kh = randInt(r, 1, 4);
    const kw = randInt(r, 1, 4);
    const style = randInt(r, 0, 3);
    const pad: Pad = style === 0 ? 'same' : style === 1 ? 'valid' : style === 2 ? randInt(r, 0, 2)
      : [[0, 0], [randInt(r, 0, 2), randInt(r, 0, 2)], [randInt(r, 0, 2), randInt(r, 0, 2)], [0, 0]];
    const c: Case = {
      xShape: [randInt(r, 1, 3), randInt(r, 1, 12), randInt(r, 1, 12), randInt(r, 1, 9)],
      filterShape: [kh, kw, 0, randInt(r, 1, 9)],
      strides: [randInt(r, 1, 3), randInt(r, 1, 3)],
      pad,
    };
    c.filterShape[2] = c.xShape[3];
    // Skip geometries with no output pixel (tfjs rejects them too).
    const info = outShape(c);
    if (info[1] < 1 || info[2] < 1) continue;
    cases.push(c);
  }
  return cases;
}

function outShape(c: Case): number[] {
  try {
    return tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad).outShape;
  } catch {
    return [0, 0, 0, 0];
  }
}

/** The VAE's own layers (small arch, batch 4): k3 s2 p1, with the decoder's transposed shapes. */
const vaeCases: Case[] = [
  { xShape: [4, 28, 28, 1], filterShape: [3, 3, 1, 8], strides: [2, 2], pad: 1 },
  { xShape: [4, 14, 14, 8], filterShape: [3, 3, 8, 16], strides: [2, 2], pad: 1 },
  { xShape: [4, 7, 7, 16], filterShape: [3, 3, 16, 32], strides: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { xShape: [4, 28, 28, 1], filterShape: [4, 4, 1, 32], strides: [2, 2], pad: 1 },
  // Training-sized: the filter gradient sums over 64·7·7 = 3,136 output pixels.
  { xShape: [64, 14, 14, 8], filterShape: [3, 3, 8, 16], strides: [2, 2], pad: 1 },
  // Several row blocks that start mid-image (K = 9 gives 1,820-row blocks).
  { xShape: [24, 28, 28, 1], filterShape: [3, 3, 1, 8], strides: [2, 2], pad: 1 },
];

const worst: Record<string, number> = {};
function check(name: string, a: Agreement): void {
  worst[name] = Math.max(worst[name] ?? 0, a.scaledDiff);
  expect(a.scaledDiff).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
}

let backend: MathBackendCPU;
beforeAll(async () => {
  backend = await setupCpu();
});
afterAll(() => {
  console.log(`conv kernels, worst scaled diff vs tfjs: ${JSON.stringify(worst)}`);
});

const allCases = [...vaeCases, ...randomCases(1234, 60)];

describe('Conv2D matches tfjs for NHWC inputs of any stride and padding', () => {
  it.each(allCases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const r = rng(100 + i);
    const x = randTensor(r, c.xShape);
    const filter = randTensor(r, c.filterShape, 0);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 } as unknown as NamedAttrMap;
    check('Conv2D', compareWithTfjs(backend, conv2dConfig, { x, filter }, attrs));
    tf.dispose([x, filter]);
  });
});

describe('Conv2DBackpropFilter matches tfjs for NHWC inputs of any stride and padding', () => {
  it.each(allCases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const r = rng(200 + i);
    const x = randTensor(r, c.xShape);
    const dy = randTensor(r, outShape(c));
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape } as unknown as NamedAttrMap;
    check('Conv2DBackpropFilter', compareWithTfjs(backend, conv2dBackpropFilterConfig, { x, dy }, attrs));
    tf.dispose([x, dy]);
  });
});

describe('Conv2DBackpropInput (and so conv2dTranspose) matches tfjs for any stride and padding', () => {
  it.each(allCases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const r = rng(300 + i);
    const dy = randTensor(r, outShape(c));
    const filter = randTensor(r, c.filterShape, 0);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.xShape } as unknown as NamedAttrMap;
    check('Conv2DBackpropInput', compareWithTfjs(backend, conv2dBackpropInputConfig, { dy, filter }, attrs));
    tf.dispose([dy, filter]);
  });
});

describe('cases the fast path does not handle fall back to tfjs', () => {
  it('dilated Conv2D gives tfjs\' result', () => {
    const r = rng(7);
    const x = randTensor(r, [2, 9, 9, 3]);
    const filter = randTensor(r, [3, 3, 3, 4], 0);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 2 } as unknown as NamedAttrMap;
    const a = compareWithTfjs(backend, conv2dConfig, { x, filter }, attrs);
    expect(a.maxAbsDiff).toBe(0);
    tf.dispose([x, filter]);
  });
});

describe('Conv2D and Conv2DBackpropFilter on the same tensor', () => {
  it('agree with tfjs when the filter gradient follows the forward conv of the same input', () => {
    const r = rng(11);
    const x = randTensor(r, [3, 9, 9, 4]);
    const filter = randTensor(r, [3, 3, 4, 5], 0);
    const conv = { strides: [2, 2], pad: 1, dataFormat: 'NHWC', dilations: 1 } as unknown as NamedAttrMap;
    check('Conv2D', compareWithTfjs(backend, conv2dConfig, { x, filter }, conv));
    const dy = randTensor(r, [3, 5, 5, 5]);
    const grad = { strides: [2, 2], pad: 1, dataFormat: 'NHWC', filterShape: [3, 3, 4, 5] } as unknown as NamedAttrMap;
    check('Conv2DBackpropFilter', compareWithTfjs(backend, conv2dBackpropFilterConfig, { x, dy }, grad));
    tf.dispose([x, filter, dy]);
  });

  it('agree with tfjs when the same input is used with two geometries', () => {
    const r = rng(12);
    const x = randTensor(r, [2, 8, 8, 3]);
    const filter = randTensor(r, [3, 3, 3, 4], 0);
    const conv = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: 1 } as unknown as NamedAttrMap;
    check('Conv2D', compareWithTfjs(backend, conv2dConfig, { x, filter }, conv));
    // Same tensor, same filter size, different stride and padding.
    const dy = randTensor(r, [2, 3, 3, 4]);
    const grad = { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] } as unknown as NamedAttrMap;
    check('Conv2DBackpropFilter', compareWithTfjs(backend, conv2dBackpropFilterConfig, { x, dy }, grad));
    tf.dispose([x, filter, dy]);
  });

  it('keeps training gradients equal to tfjs\' through a conv → conv2dTranspose chain', () => {
    const r = rng(13);
    const x = randTensor(r, [2, 10, 10, 2]) as tf.Tensor4D;
    const w1 = randTensor(r, [3, 3, 2, 4], 0) as tf.Tensor4D;
    const w2 = randTensor(r, [3, 3, 2, 4], 0) as tf.Tensor4D;
    const loss = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      tf.sum(tf.square(tf.conv2dTranspose(tf.relu(tf.conv2d(x, a, 2, 1)), b, [2, 10, 10, 2], 2, 1)));
    const ours = tf.grads((a, b) => loss(a as tf.Tensor4D, b as tf.Tensor4D))([w1, w2]);
    // Reference: the same gradients with tfjs' own kernels swapped back in.
    const names = [conv2dConfig, conv2dBackpropFilterConfig, conv2dBackpropInputConfig];
    for (const c of names) {
      tf.unregisterKernel(c.kernelName, 'cpu');
      tf.registerKernel({ kernelName: c.kernelName, backendName: 'cpu', kernelFunc: originalKernel(c.kernelName)! });
    }
    let ref: tf.Tensor[];
    try {
      ref = tf.grads((a, b) => loss(a as tf.Tensor4D, b as tf.Tensor4D))([w1, w2]);
    } finally {
      for (const c of names) {
        tf.unregisterKernel(c.kernelName, 'cpu');
        tf.registerKernel(c);
      }
    }
    for (let i = 0; i < 2; i++) {
      const a = ours[i].dataSync();
      const b = ref[i].dataSync();
      let maxDiff = 0;
      let maxRef = 0;
      for (let j = 0; j < b.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
        maxRef = Math.max(maxRef, Math.abs(b[j]));
      }
      expect(maxDiff / Math.max(1, maxRef)).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    }
    tf.dispose([x, w1, w2, ...ours, ...ref]);
  });
});

describe('the conv kernels on the pure-JS GEMM fallback (engines without WebAssembly SIMD)', () => {
  const cases = [...vaeCases, ...randomCases(4321, 20)];
  it.each(cases.map((c, i) => [i, c] as const))('case %i agrees with tfjs in all three kernels', (i, c) => {
    setGemm(createJsGemm());
    try {
      const r = rng(900 + i);
      const x = randTensor(r, c.xShape);
      const filter = randTensor(r, c.filterShape, 0);
      const dy = randTensor(r, outShape(c));
      const base = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
      check('Conv2D', compareWithTfjs(backend, conv2dConfig, { x, filter }, { ...base, dilations: 1 } as unknown as NamedAttrMap));
      check('Conv2DBackpropFilter', compareWithTfjs(backend, conv2dBackpropFilterConfig, { x, dy }, { ...base, filterShape: c.filterShape } as unknown as NamedAttrMap));
      check('Conv2DBackpropInput', compareWithTfjs(backend, conv2dBackpropInputConfig, { dy, filter }, { ...base, inputShape: c.xShape } as unknown as NamedAttrMap));
      tf.dispose([x, filter, dy]);
    } finally {
      setGemm(undefined);
    }
  });
});
