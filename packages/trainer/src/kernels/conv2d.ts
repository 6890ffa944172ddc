/**
 * `Conv2D` for the cpu backend: im2col + GEMM, NHWC.
 *
 * tfjs' kernel walks the filter per output element with strided index maths;
 * turning the convolution into one `[pixels × taps] · [taps × out]` product
 * keeps every inner loop on contiguous memory.
 */
import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2D } from '@tensorflow/tfjs-core';
import { colsScratch, convInfo, im2col, isFastPathConv } from './conv-geometry.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { gemmNN } from './gemm.js';

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
  const out = new Float32Array(M * N);
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  if (info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1
    && info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight === info.inHeight && info.outWidth === info.inWidth) {
    // A 1×1 stride-1 unpadded conv is already a GEMM on the input itself.
    gemmNN(M, N, K, xv, wv, out);
  } else {
    const cols = colsScratch(M * K);
    im2col(xv, info, cols);
    gemmNN(M, N, K, cols, wv, out);
  }
  return backend.makeTensorInfo(info.outShape, 'float32', out);
}

/** Replaces tfjs' cpu `Conv2D`. */
export const conv2dConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'cpu',
  kernelFunc: conv2dFast as unknown as KernelFunc,
};
