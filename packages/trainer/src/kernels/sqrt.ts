/**
 * `Sqrt` for the cpu backend on float32: √x, as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Sqrt } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = Math.sqrt(x);
  }
}

/** Element-wise `Sqrt`. */
export function sqrtFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Sqrt, args, loop);
}

/** Replaces tfjs' cpu `Sqrt`. */
export const sqrtConfig: KernelConfig = {
  kernelName: Sqrt,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(sqrtFast),
};
