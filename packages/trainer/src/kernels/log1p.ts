/**
 * `Log1p` for the cpu backend on float32: ln(1 + x), as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Log1p } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = Math.log1p(x);
  }
}

/** Element-wise `Log1p`. */
export function log1pFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Log1p, args, loop);
}

/** Replaces tfjs' cpu `Log1p`. */
export const log1pConfig: KernelConfig = {
  kernelName: Log1p,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(log1pFast),
};
