/**
 * `Sigmoid` for the cpu backend on float32: 1 / (1 + e^-x), the formula tfjs uses, as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Sigmoid } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = 1 / (1 + Math.exp(-x));
  }
}

/** Element-wise `Sigmoid`. */
export function sigmoidFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Sigmoid, args, loop);
}

/** Replaces tfjs' cpu `Sigmoid`. */
export const sigmoidConfig: KernelConfig = {
  kernelName: Sigmoid,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(sigmoidFast),
};
