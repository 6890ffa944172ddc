import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchMatMulConfig } from './batch-mat-mul.js';
import type { Gemm } from './gemm.js';
import { createJsGemm } from './gemm.js';
import { wasmGemm } from './wasm/wasm-gemm.js';
import { compareWithTfjs, FLOAT32_TOLERANCE, randInt, randTensor, rng, setupCpu } from './test-util.js';

let backend: MathBackendCPU;
let worst = 0;
beforeAll(async () => {
  backend = await setupCpu();
});
afterAll(() => {
  console.log(`BatchMatMul, worst scaled diff vs tfjs: ${worst}`);
});

describe('BatchMatMul matches tfjs for every transpose combination and odd sizes', () => {
  const r = rng(77);
  const cases = Array.from({ length: 48 }, (_, i) => ({
    batch: randInt(r, 1, 3), M: randInt(r, 1, 40), K: randInt(r, 1, 70), N: randInt(r, 1, 40),
    tA: (i & 1) === 1, tB: (i & 2) === 2,
  }));
  // The VAE's dense layers and their gradients at batch 128.
  cases.push({ batch: 1, M: 128, K: 512, N: 32, tA: false, tB: false });
  cases.push({ batch: 1, M: 512, K: 128, N: 32, tA: true, tB: false });
  cases.push({ batch: 1, M: 128, K: 32, N: 512, tA: false, tB: true });
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const rr = rng(500 + i);
    const a = randTensor(rr, c.tA ? [c.batch, c.K, c.M] : [c.batch, c.M, c.K]);
    const b = randTensor(rr, c.tB ? [c.batch, c.N, c.K] : [c.batch, c.K, c.N]);
    const attrs = { transposeA: c.tA, transposeB: c.tB } as unknown as NamedAttrMap;
    const res = compareWithTfjs(backend, batchMatMulConfig, { a, b }, attrs);
    worst = Math.max(worst, res.scaledDiff);
    expect(res.scaledDiff).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    tf.dispose([a, b]);
  });

  it('broadcast batch dimensions fall back to tfjs and still agree', () => {
    const rr = rng(9);
    const a = randTensor(rr, [1, 3, 4]);
    const b = randTensor(rr, [2, 4, 5]);
    const res = compareWithTfjs(backend, batchMatMulConfig, { a, b }, { transposeA: false, transposeB: false });
    expect(res.maxAbsDiff).toBe(0);
    tf.dispose([a, b]);
  });
});

describe('the WebAssembly arena', () => {
  it('reports a request beyond 32-bit WebAssembly memory as null (kernels then use tfjs) instead of throwing', () => {
    expect(wasmGemm()!.arena([2 ** 30, 16])).toBeNull();
    // And still serves ordinary requests afterwards.
    expect(wasmGemm()!.arena([1024])).not.toBeNull();
  });
});

describe('the WebAssembly SIMD GEMM and the pure-JS fallback agree, with strides and accumulation', () => {
  it('on ragged sizes that exercise 8-wide, 4-wide and scalar column tails and row remainders', () => {
    const w = wasmGemm();
    expect(w).not.toBeNull();
    const js = createJsGemm();
    const r = rng(3);
    for (const [M, N, K] of [[1, 1, 1], [5, 13, 7], [9, 8, 300], [4, 4, 4], [17, 31, 9], [3, 1, 129]]) {
      const lda = K + 3;
      const ldb = N + 1;
      const ldc = N + 2;
      const sizes = [M * lda, K * ldb, M * ldc];
      const A = Float32Array.from({ length: sizes[0] }, () => r() - 0.5);
      const B = Float32Array.from({ length: sizes[1] }, () => r() - 0.5);
      const C0 = Float32Array.from({ length: sizes[2] }, () => r() - 0.5);
      const run = (g: Gemm) => {
        const { ptrs, heap } = g.arena(sizes)!;
        heap.set(A, ptrs[0] >> 2);
        heap.set(B, ptrs[1] >> 2);
        heap.set(C0, ptrs[2] >> 2);
        g.gemm(M, N, K, ptrs[0], lda, ptrs[1], ldb, ptrs[2], ldc, 1);
        return heap.slice(ptrs[2] >> 2, (ptrs[2] >> 2) + sizes[2]);
      };
      const cw = run(w!);
      const cj = run(js);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < ldc; j++) {
          const idx = i * ldc + j;
          if (j >= N) {
            // Padding columns between rows must be left untouched.
            expect(cw[idx]).toBe(C0[idx]);
          } else {
            expect(Math.abs(cw[idx] - cj[idx])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cj[idx])));
          }
        }
      }
    }
  });
});
