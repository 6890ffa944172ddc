/**
 * `Sub` for the cpu backend: float32 `a - b` with same shapes, scalars
 * and contiguous-block broadcasts (bias `[C]` against NHWC, `[N,1]` against
 * `[N,D]`) in tight loops; other broadcasts and dtypes go to tfjs.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { Sub } from '@tensorflow/tfjs-core';
import type { BinaryLoops } from './elementwise.js';
import { asKernelFunc, binaryFloat32 } from './elementwise.js';
import type { KernelArgs } from './fallback.js';

const loops: BinaryLoops = {
  bSmall(a, b, out, small, inner) {
    let i = 0;
    const n = out.length;
    if (small === n) {
      // Equal shapes: one induction variable, which V8 compiles best.
      for (; i < n; i++) out[i] = a[i] - b[i];
      return;
    }
    if (inner === 1) {
      while (i < n) for (let j = 0; j < small; j++, i++) out[i] = a[i] - b[j];
      return;
    }
    while (i < n) {
      for (let j = 0; j < small; j++) {
        const bj = b[j];
        for (let t = 0; t < inner; t++, i++) out[i] = a[i] - bj;
      }
    }
  },
  aSmall(a, b, out, small, inner) {
    let i = 0;
    const n = out.length;
    if (small === n) {
      for (; i < n; i++) out[i] = a[i] - b[i];
      return;
    }
    if (inner === 1) {
      while (i < n) for (let j = 0; j < small; j++, i++) out[i] = a[j] - b[i];
      return;
    }
    while (i < n) {
      for (let j = 0; j < small; j++) {
        const aj = a[j];
        for (let t = 0; t < inner; t++, i++) out[i] = aj - b[i];
      }
    }
  },
};

/** Subtracts two tensors, broadcasting. */
export function subFast(args: KernelArgs): TensorInfo {
  return binaryFloat32(Sub, args, loops, 'sub_same');
}

/** Replaces tfjs' cpu `Sub`. */
export const subConfig: KernelConfig = {
  kernelName: Sub,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(subFast),
};
