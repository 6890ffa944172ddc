/**
 * `Conv2DBackpropFilter` for the cpu backend: `dW = im2col(x)ᵀ · dy`, summed
 * over blocks of output pixels.
 *
 * tfjs' kernel recomputes index arithmetic for every (filter tap, output
 * pixel) pair and took ~890 ms on one 7×7×16→4×4×32 layer at batch 128; as a
 * GEMM over blocks of output pixels it takes about a millisecond.
 */
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { convInfo, im2colBlockRows, isFastPathConv, jobGeometry } from './conv-geometry.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { getGemm } from './gemm.js';
import { JOB } from './parallel-jobs.js';

/**
 * Output pixels per reduction block. The GEMM accumulates a block in float32;
 * the blocks' partial sums are added in float64, in block order, so a batch
 * of 25,000 pixels is not one 25,000-term float32 sum (tfjs sums in float64),
 * and the result does not depend on which thread summed which block.
 */
const REDUCTION_BLOCK = 256;

/** Floats of partial `dW`s held at once (16 MB); more blocks than fit are summed chunk by chunk. */
const PARTIAL_FLOATS = 1 << 22;

/** Computes the filter gradient of an NHWC conv2d, or defers to tfjs. */
export function conv2dBackpropFilterFast(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs;
  const info = convInfo(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
  if (!isFastPathConv(info) || x.dtype !== 'float32' || dy.dtype !== 'float32') {
    return callOriginal(Conv2DBackpropFilter, args) as TensorInfo;
  }
  const M = info.batchSize * info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const N = info.outChannels;
  const g = getGemm();
  // Pixels per im2col block: at least 64, so that the GEMM's reduction runs
  // over enough pixels to amortise loading and storing its block of dW (with
  // the L1-sized im2col block of a 512-tap layer, 16 pixels, it spent more
  // time on dW than on arithmetic).
  const MB = Math.min(M, REDUCTION_BLOCK, Math.max(64, im2colBlockRows(K)));
  const xv = f32(backend, x);
  const T = g.threads;
  const blocks = Math.ceil(M / REDUCTION_BLOCK);
  const chunk = Math.max(1, Math.min(blocks, Math.floor(PARTIAL_FLOATS / (K * N))));
  const colsFloats = 4 * Math.ceil(MB * K / 4);
  const KN = K * N;
  // The float64 sum takes two floats' room (regions are 16-byte aligned).
  const space = g.arena([xv.length, T * colsFloats, T * colsFloats, M * N, chunk * KN, 2 * KN, KN]);
  // Too large for the WebAssembly memory: tfjs' kernel needs no contiguous arena.
  if (!space) return callOriginal(Conv2DBackpropFilter, args) as TensorInfo;
  const { ptrs: [pX, pCols, pColsT, pDy, pPart, pAcc, pDw], heap } = space;
  heap.set(xv, pX >> 2);
  heap.set(f32(backend, dy), pDy >> 2);
  heap.fill(0, pAcc >> 2, (pAcc >> 2) + 2 * KN);
  for (let j0 = 0; j0 < blocks; j0 += chunk) {
    const j1 = Math.min(blocks, j0 + chunk);
    g.run([JOB.convBackpropFilter, ...jobGeometry(info), M, K, N, MB, pX, pCols, 4 * colsFloats, pColsT, pDy, pPart,
      REDUCTION_BLOCK, j0, j1], (Math.min(M, j1 * REDUCTION_BLOCK) - j0 * REDUCTION_BLOCK) * K * N);
    for (let j = 0; j < j1 - j0; j++) g.accumulateF64(pPart + 4 * j * KN, pAcc, KN);
  }
  g.roundF64(pAcc, pDw, KN);
  // [K×N] is already tfjs' [kh, kw, in, out] layout.
  return backend.makeTensorInfo(info.filterShape, 'float32', heap.slice(pDw >> 2, (pDw >> 2) + KN));
}

/** Replaces tfjs' cpu `Conv2DBackpropFilter`. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'cpu',
  kernelFunc: conv2dBackpropFilterFast as unknown as KernelFunc,
};
