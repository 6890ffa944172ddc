/**
 * `BatchMatMul` for the cpu backend: the dense layers and their gradients,
 * through the SIMD GEMM. Transposed operands are copied transposed into the
 * GEMM's memory (they are at most weight- or activation-sized), so the GEMM
 * itself only ever sees row-major `A · B`.
 */
import type { BatchMatMulAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul } from '@tensorflow/tfjs-core';
import { asKernelFunc } from './elementwise.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { getGemm, transposeInto } from './gemm.js';
import { JOB } from './parallel-jobs.js';

/** Batched float32 matmul with equal batch dims, or defers to tfjs (broadcast batches, other dtypes). */
export function batchMatMulFast(args: KernelArgs): TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2
    || batchA.length !== batchB.length || batchA.some((v, i) => v !== batchB[i])) {
    return callOriginal(BatchMatMul, args) as TensorInfo;
  }
  const batch = batchA.reduce((p, v) => p * v, 1);
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const K2 = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== K2) return callOriginal(BatchMatMul, args) as TensorInfo;
  const av = f32(args.backend, a);
  const bv = f32(args.backend, b);
  const g = getGemm();
  const space = g.arena([M * K, K * N, M * N]);
  // Too large for the WebAssembly memory: tfjs' kernel needs no contiguous arena.
  if (!space) return callOriginal(BatchMatMul, args) as TensorInfo;
  const { ptrs: [pA, pB, pC], heap } = space;
  const out = new Float32Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    if (transposeA) transposeInto(K, M, av, t * M * K, heap, pA >> 2);
    else heap.set(av.subarray(t * M * K, (t + 1) * M * K), pA >> 2);
    if (transposeB) transposeInto(N, K, bv, t * K * N, heap, pB >> 2);
    else heap.set(bv.subarray(t * K * N, (t + 1) * K * N), pB >> 2);
    g.run([JOB.gemmRows, M, N, K, pA, K, pB, N, pC, N, 0], M * N * K);
    out.set(heap.subarray(pC >> 2, (pC >> 2) + M * N), t * M * N);
  }
  return args.backend.makeTensorInfo([...batchA, M, N], 'float32', out);
}

/** Replaces tfjs' cpu `BatchMatMul`. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(batchMatMulFast),
};
