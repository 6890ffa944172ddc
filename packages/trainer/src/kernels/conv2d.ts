/**
 * `Conv2D` for the cpu backend: im2col + SIMD GEMM, NHWC.
 *
 * tfjs' kernel walks the filter per output element with strided index maths;
 * as one `[pixels × taps] · [taps × out]` product the arithmetic runs in the
 * vectorised GEMM with contiguous loads.
 */
import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2D } from '@tensorflow/tfjs-core';
import { convInfo, im2colBlockRows, isFastPathConv, jobGeometry } from './conv-geometry.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { getGemm } from './gemm.js';
import { JOB } from './parallel-jobs.js';

/** Computes an NHWC conv2d into a new float32 tensor, or defers to tfjs. */
export function conv2dFast(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DAttrs;
  const { x, filter } = inputs;
  const info = convInfo(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode, attrs.dilations);
  if (!isFastPathConv(info) || x.dtype !== 'float32' || filter.dtype !== 'float32') {
    return callOriginal(Conv2D, args) as TensorInfo;
  }
  const M = info.batchSize * info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const N = info.outChannels;
  const g = getGemm();
  const MB = Math.min(M, im2colBlockRows(K));
  const xv = f32(backend, x);
  const T = g.threads;
  const colsFloats = 4 * Math.ceil(MB * K / 4);
  // One block of columns per thread.
  const space = g.arena([xv.length, T * colsFloats, K * N, M * N]);
  // Too large for the WebAssembly memory: tfjs' kernel needs no contiguous arena.
  if (!space) return callOriginal(Conv2D, args) as TensorInfo;
  const { ptrs: [pX, pCols, pW, pOut], heap } = space;
  heap.set(xv, pX >> 2);
  // A tfjs filter [kh, kw, in, out] is already the [taps × out] matrix.
  heap.set(f32(backend, filter), pW >> 2);
  g.run([JOB.convForward, ...jobGeometry(info), M, K, N, MB, pX, pCols, 4 * colsFloats, pW, pOut], M * K * N);
  const out = heap.slice(pOut >> 2, (pOut >> 2) + M * N);
  return backend.makeTensorInfo(info.outShape, 'float32', out);
}

/** Replaces tfjs' cpu `Conv2D`. */
export const conv2dConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'cpu',
  kernelFunc: conv2dFast as unknown as KernelFunc,
};
