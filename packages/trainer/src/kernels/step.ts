/**
 * `Step` for the cpu backend on float32: `x > 0 ? 1 : alpha`, NaN kept. tfjs'
 * ReLU gradient is `dy * step(x)`, so this runs once per ReLU per step.
 *
 * Branch-free like {@link reluFast}: "x > 0" is read off the float's bits
 * (sign clear and not ±0) and picks from a two-entry table, because the sign
 * of activations is random and a branch on it mispredicts half the time.
 */
import type { KernelConfig, StepAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { Step } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import { asKernelFunc } from './elementwise.js';

/** Element-wise `Step`. */
export function stepFast(args: KernelArgs): TensorInfo {
  const x = args.inputs.x;
  if (x.dtype !== 'float32') return callOriginal(Step, args) as TensorInfo;
  const alpha = (args.attrs as unknown as StepAttrs).alpha;
  const xf = f32(args.backend, x);
  const n = xf.length;
  const out = new Float32Array(n);
  const xi = new Int32Array(xf.buffer, xf.byteOffset, n);
  // (-b & ~b) has its sign bit set exactly when b > 0 as an int32, i.e. the
  // float is positive and not +0 (-0 = 0x80000000 negates to itself).
  if (alpha === 0) {
    // The ReLU gradient: the bit itself is the answer.
    for (let i = 0; i < n; i++) {
      const b = xi[i];
      out[i] = (b & 0x7fffffff) > 0x7f800000 ? xf[i] : ((-b) & ~b) >>> 31;
    }
  } else {
    const table = new Float32Array([alpha, 1]);
    for (let i = 0; i < n; i++) {
      const b = xi[i];
      out[i] = (b & 0x7fffffff) > 0x7f800000 ? xf[i] : table[((-b) & ~b) >>> 31];
    }
  }
  return args.backend.makeTensorInfo(x.shape, 'float32', out);
}

/** Replaces tfjs' cpu `Step`. */
export const stepConfig: KernelConfig = {
  kernelName: Step,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(stepFast),
};
