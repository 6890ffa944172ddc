/**
 * `Step` for the cpu backend on float32: `x > 0 ? 1 : alpha`, NaN kept. tfjs'
 * ReLU gradient is `dy * step(x)`, so this runs once per ReLU per step.
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
  const xs = f32(args.backend, x);
  const n = xs.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    out[i] = v > 0 ? 1 : v !== v ? v : alpha;
  }
  return args.backend.makeTensorInfo(x.shape, 'float32', out);
}

/** Replaces tfjs' cpu `Step`. */
export const stepConfig: KernelConfig = {
  kernelName: Step,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(stepFast),
};
