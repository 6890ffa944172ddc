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
import { convInfo, im2colBlockRows, isFastPathConv } from './conv-geometry.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { getGemm } from './gemm.js';

/**
 * Output pixels summed per GEMM call. The GEMM accumulates in float32; the
 * partial sums of successive blocks are added in float64, so a batch of
 * 25,000 pixels is not one 25,000-term float32 sum (tfjs sums in float64).
 */
const REDUCTION_BLOCK = 256;

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
  const space = g.arena([xv.length, MB * K, K * MB, M * N, K * N]);
  // Too large for the WebAssembly memory: tfjs' kernel needs no contiguous arena.
  if (!space) return callOriginal(Conv2DBackpropFilter, args) as TensorInfo;
  const { ptrs: [pX, pCols, pColsT, pDy, pPart], heap } = space;
  heap.set(xv, pX >> 2);
  heap.set(f32(backend, dy), pDy >> 2);
  const acc = new Float64Array(K * N);
  const part = pPart >> 2;
  for (let r0 = 0; r0 < M; r0 += REDUCTION_BLOCK) {
    const r1 = Math.min(M, r0 + REDUCTION_BLOCK);
    // The GEMM accumulates a whole reduction block in float32 (block after
    // block of im2col rows), and only then is the partial sum added in float64.
    for (let m0 = r0; m0 < r1; m0 += MB) {
      const mb = Math.min(MB, r1 - m0);
      g.im2col(info, pX, pCols, m0, m0 + mb);
      // dW[K×N] += colsᵀ[K×mb] · dy[mb×N]. With the block of columns transposed
      // (cheap: it is in cache) the GEMM streams dy's rows, which are only N
      // wide and stay in L1, instead of re-reading a 64 KB column block from L2
      // for every group of output rows (that ran at a third of the speed).
      g.transpose(mb, K, pCols, pColsT);
      g.gemm(K, N, mb, pColsT, mb, pDy + 4 * m0 * N, N, pPart, N, m0 === r0 ? 0 : 1);
    }
    for (let t = 0; t < K * N; t++) acc[t] += heap[part + t];
  }
  // [K×N] is already tfjs' [kh, kw, in, out] layout.
  const dw = Float32Array.from(acc);
  return backend.makeTensorInfo(info.filterShape, 'float32', dw);
}

/** Replaces tfjs' cpu `Conv2DBackpropFilter`. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'cpu',
  kernelFunc: conv2dBackpropFilterFast as unknown as KernelFunc,
};
