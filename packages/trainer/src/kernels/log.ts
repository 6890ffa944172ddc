/**
 * `Log` for the cpu backend on float32: ln x, as one typed-array pass
 * instead of tfjs' per-element closure call.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Log } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    out[i] = Math.log(x);
  }
}

/** Element-wise `Log`. */
export function logFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Log, args, loop);
}

/** Replaces tfjs' cpu `Log`. */
export const logConfig: KernelConfig = {
  kernelName: Log,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(logFast),
};
