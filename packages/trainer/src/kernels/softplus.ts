/**
 * `Softplus` for the cpu backend on float32, with tfjs' exact thresholds
 * (`exp(x)` below, `x` above, `log(1 + exp(x))` between) so results match.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Softplus } from '@tensorflow/tfjs-core';
import { asKernelFunc, unaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

// tfjs: float32 machine epsilon; beyond log(eps) + 2 the result is x or e^x to float32 precision.
const EPSILON = 1.1920928955078125e-7;
const THRESHOLD = Math.log(EPSILON) + 2.0;

function loop(xs: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const expX = Math.exp(x);
    out[i] = x < THRESHOLD ? expX : x > -THRESHOLD ? x : Math.log(1.0 + expX);
  }
}

/** Element-wise `Softplus`. */
export function softplusFast(args: KernelArgs): TensorInfo {
  return unaryFloat32(Softplus, args, loop);
}

/** Replaces tfjs' cpu `Softplus`. */
export const softplusConfig: KernelConfig = {
  kernelName: Softplus,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(softplusFast),
};
