/**
 * `Exp` for the cpu backend on float32: e^x, as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Exp } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = Math.exp(x);
  }
}

/** Element-wise `Exp`. */
export function expFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Exp, args, loop);
}

/** Replaces tfjs' cpu `Exp`. */
export const expConfig: KernelConfig = {
  kernelName: Exp,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(expFast),
};
