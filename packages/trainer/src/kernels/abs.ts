/**
 * `Abs` for the cpu backend on float32: |x|, as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Abs } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = Math.abs(x);
  }
}

/** Element-wise `Abs`. */
export function absFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Abs, args, loop);
}

/** Replaces tfjs' cpu `Abs`. */
export const absConfig: KernelConfig = {
  kernelName: Abs,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(absFast),
};
