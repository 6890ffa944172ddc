/**
 * `Relu` for the cpu backend on float32: max(0, x), NaN kept (tfjs uses Math.max, which keeps NaN), as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Relu } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = x > 0 ? x : x !== x ? x : 0;
  }
}

/** Element-wise `Relu`. */
export function reluFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Relu, args, loop);
}

/** Replaces tfjs' cpu `Relu`. */
export const reluConfig: KernelConfig = {
  kernelName: Relu,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(reluFast),
};
