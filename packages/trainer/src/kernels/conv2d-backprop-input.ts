/**
 * `Conv2DBackpropInput` for the cpu backend: `dx = col2im(dy · Wᵀ)`.
 *
 * tfjs also uses this kernel for the forward pass of `conv2dTranspose`, so
 * the decoder's transposed convolutions run through it in both directions.
 */
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import { convInfo, im2colBlockRows, isFastPathConv, jobGeometry } from './conv-geometry.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { getGemm, transposeInto } from './gemm.js';
import { JOB } from './parallel-jobs.js';

/** Computes the input gradient of an NHWC conv2d, or defers to tfjs. */
export function conv2dBackpropInputFast(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const { dy, filter } = inputs;
  const info = convInfo(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
  if (!isFastPathConv(info) || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    return callOriginal(Conv2DBackpropInput, args) as TensorInfo;
  }
  const M = info.batchSize * info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const N = info.outChannels;
  const g = getGemm();
  const MB = Math.min(M, im2colBlockRows(K));
  const dxSize = info.batchSize * info.inHeight * info.inWidth * info.inChannels;
  const T = g.threads;
  const colsFloats = 4 * Math.ceil(MB * K / 4);
  const space = g.arena([M * N, N * K, T * colsFloats, dxSize]);
  // Too large for the WebAssembly memory: tfjs' kernel needs no contiguous arena.
  if (!space) return callOriginal(Conv2DBackpropInput, args) as TensorInfo;
  const { ptrs: [pDy, pWT, pCols, pDx], heap } = space;
  heap.set(f32(backend, dy), pDy >> 2);
  // Wᵀ is filter-sized, so transposing it is cheap and keeps the product a
  // plain row-major GEMM.
  transposeInto(K, N, f32(backend, filter), 0, heap, pWT >> 2);
  heap.fill(0, pDx >> 2, (pDx >> 2) + dxSize);
  // Block by block, so each block of columns is scattered back while cached;
  // threads take whole images, whose scatters never overlap.
  g.run([JOB.convBackpropInput, ...jobGeometry(info), M, K, N, MB, pDy, pCols, 4 * colsFloats, pWT, pDx,
    info.outHeight * info.outWidth], M * K * N);
  const dx = heap.slice(pDx >> 2, (pDx >> 2) + dxSize);
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
}

/** Replaces tfjs' cpu `Conv2DBackpropInput`. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'cpu',
  kernelFunc: conv2dBackpropInputFast as unknown as KernelFunc,
};
