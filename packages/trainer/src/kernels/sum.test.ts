import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumConfig } from './sum.js';
import { compareWithTfjs, FLOAT32_TOLERANCE, randInt, randTensor, rng, setupCpu } from './test-util.js';

let backend: MathBackendCPU;
let worst = 0;
beforeAll(async () => {
  backend = await setupCpu();
});
afterAll(() => {
  console.log(`Sum, worst scaled diff vs tfjs: ${worst}`);
});

interface Case { shape: number[]; axis: number | number[]; keepDims: boolean }

function randomCases(seed: number, n: number): Case[] {
  const r = rng(seed);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const rank = randInt(r, 1, 4);
    const shape = Array.from({ length: rank }, () => randInt(r, 1, 9));
    const first = randInt(r, 0, rank - 1);
    const last = randInt(r, first, rank - 1);
    let axis: number | number[] = Array.from({ length: last - first + 1 }, (_, k) => first + k);
    // Sometimes negative axes, a bare number, or a non-contiguous set (which falls back).
    if (r() < 0.2) axis = axis.map((a) => a - rank);
    if (axis.length === 1 && r() < 0.5) axis = axis[0];
    if (rank >= 3 && r() < 0.15) axis = [0, rank - 1];
    out.push({ shape, axis, keepDims: r() < 0.5 });
  }
  return out;
}

const vaeCases: Case[] = [
  { shape: [128, 14, 14, 8], axis: [0, 1, 2], keepDims: false }, // conv bias gradient
  { shape: [128, 784], axis: 1, keepDims: false }, // reconstruction per image
  { shape: [128, 32], axis: 0, keepDims: false }, // dense bias gradient
  { shape: [128], axis: 0, keepDims: false },
  { shape: [4, 7, 7, 16], axis: [0, 1, 2], keepDims: true },
  { shape: [3, 5, 32], axis: 1, keepDims: false }, // middle axis, 32 channels, outer > 1
  { shape: [2, 9, 8], axis: [1], keepDims: true },
];

describe('Sum matches tfjs over contiguous, negative and non-contiguous axes, with and without keepDims', () => {
  it.each([...vaeCases, ...randomCases(42, 60)].map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const x = randTensor(rng(i), c.shape);
    const a = compareWithTfjs(backend, sumConfig, { x }, { axis: c.axis, keepDims: c.keepDims } as unknown as NamedAttrMap);
    worst = Math.max(worst, a.scaledDiff);
    expect(a.scaledDiff).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    tf.dispose(x);
  });
});
