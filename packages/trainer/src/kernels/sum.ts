/**
 * `Sum` for the cpu backend on float32, over any contiguous run of axes.
 *
 * tfjs transposes the reduced axes to the end before summing; for bias
 * gradients (`[N,H,W,C]` summed over N,H,W) that transpose is most of the
 * cost. Viewing the input as `[outer, reduced, inner]` sums in place,
 * accumulating in float64 like tfjs.
 */
import type { KernelConfig, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { Sum, util } from '@tensorflow/tfjs-core';
import { asKernelFunc } from './elementwise.js';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';

let accBuf = new Float64Array(256);

/**
 * `out[outOff + t] = Σ_r xs[off + r * inner + t]` for `t < inner`, summed in
 * float64: the sums over leading axes that Sum and the bias gradients
 * (bias-relu.ts) need.
 */
export function columnSums(xs: Float32Array, off: number, red: number, inner: number, out: Float32Array, outOff: number): void {
  if (inner % 8 === 0 && inner <= 128) {
    // Bias gradients of the conv layers ([N,H,W,C] over N,H,W with C = 8..128):
    // eight running sums in locals (registers) per pass over a group of eight
    // channels, instead of a short inner loop through a memory accumulator.
    for (let g = 0; g < inner; g += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let r = 0, i = off + g; r < red; r++, i += inner) {
        s0 += xs[i]; s1 += xs[i + 1]; s2 += xs[i + 2]; s3 += xs[i + 3];
        s4 += xs[i + 4]; s5 += xs[i + 5]; s6 += xs[i + 6]; s7 += xs[i + 7];
      }
      const d = outOff + g;
      out[d] = s0; out[d + 1] = s1; out[d + 2] = s2; out[d + 3] = s3;
      out[d + 4] = s4; out[d + 5] = s5; out[d + 6] = s6; out[d + 7] = s7;
    }
    return;
  }
  // Otherwise: add whole rows of `inner` into an accumulator.
  if (accBuf.length < inner) accBuf = new Float64Array(inner);
  const acc = accBuf;
  acc.fill(0, 0, inner);
  let i = off;
  for (let r = 0; r < red; r++) {
    for (let t = 0; t < inner; t++, i++) acc[t] += xs[i];
  }
  for (let t = 0; t < inner; t++) out[outOff + t] = acc[t];
}

/** Sums a float32 tensor over a contiguous block of axes, or defers to tfjs. */
export function sumFast(args: KernelArgs): TensorInfo {
  const x = args.inputs.x;
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  if (x.dtype !== 'float32') return callOriginal(Sum, args) as TensorInfo;
  const rank = x.shape.length;
  const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((v, i) => i > 0 && v !== axes[i - 1] + 1)) {
    return callOriginal(Sum, args) as TensorInfo;
  }
  const first = axes[0];
  const last = axes[axes.length - 1];
  let outer = 1;
  let red = 1;
  let inner = 1;
  for (let d = 0; d < rank; d++) {
    if (d < first) outer *= x.shape[d];
    else if (d <= last) red *= x.shape[d];
    else inner *= x.shape[d];
  }
  const outShape = keepDims
    ? x.shape.map((s, d) => (d >= first && d <= last ? 1 : s))
    : x.shape.filter((_, d) => d < first || d > last);
  const xs = f32(args.backend, x);
  const out = new Float32Array(outer * inner);
  if (inner === 1) {
    // Reducing trailing axes: contiguous row sums.
    for (let o = 0; o < outer; o++) {
      let s = 0;
      const off = o * red;
      for (let r = 0; r < red; r++) s += xs[off + r];
      out[o] = s;
    }
  } else {
    for (let o = 0; o < outer; o++) columnSums(xs, o * red * inner, red, inner, out, o * inner);
  }
  return args.backend.makeTensorInfo(outShape, 'float32', out);
}

/** Replaces tfjs' cpu `Sum`. */
export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(sumFast),
};
