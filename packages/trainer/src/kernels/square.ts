/**
 * `Square` for the cpu backend on float32: x², as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Square } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = x * x;
  }
}

/** Element-wise `Square`. */
export function squareFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Square, args, loop);
}

/** Replaces tfjs' cpu `Square`. */
export const squareConfig: KernelConfig = {
  kernelName: Square,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(squareFast),
};
