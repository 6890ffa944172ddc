/**
 * Helpers for the kernel specs: seeded random data and the comparison of a
 * project kernel with tfjs' original kernel on the same inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { originalKernel } from './fallback.js';
import { registerFastCpuKernels } from './register-fast-cpu-kernels.js';

/** Selects the cpu backend and installs the project kernels. */
export async function setupCpu(): Promise<MathBackendCPU> {
  await tf.setBackend('cpu');
  registerFastCpuKernels();
  return tf.backend() as MathBackendCPU;
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in `[lo, hi]`. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/**
 * A float32 tensor of standard-normal-ish values; a fraction `zeros` of them
 * is exactly 0 so that kernels' zero-skipping paths are exercised (ReLU
 * outputs are full of zeros in training).
 */
export function randTensor(r: () => number, shape: number[], zeros = 0.2, scale = 2): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() < zeros ? 0 : (r() + r() + r() - 1.5) * scale;
  return tf.tensor(v, shape, 'float32');
}

/** Result of comparing a project kernel with tfjs' own. */
export interface Agreement {
  maxAbsDiff: number;
  maxAbsRef: number;
  /** `maxAbsDiff / max(1, maxAbsRef)`. */
  scaledDiff: number;
}

/**
 * Runs the project kernel and tfjs' original kernel on the same inputs and
 * attributes and measures their disagreement. Shapes and dtypes must match
 * exactly; values are compared element by element.
 */
export function compareWithTfjs(
  backend: MathBackendCPU,
  config: KernelConfig,
  inputs: Record<string, tf.Tensor>,
  attrs: NamedAttrMap,
): Agreement {
  const original = originalKernel(config.kernelName);
  if (!original) throw new Error(`tfjs' ${config.kernelName} was not captured`);
  const args = { inputs, backend, attrs } as unknown as Parameters<typeof original>[0];
  const ref = original(args) as TensorInfo;
  const got = config.kernelFunc(args) as TensorInfo;
  try {
    if (JSON.stringify(got.shape) !== JSON.stringify(ref.shape)) {
      throw new Error(`${config.kernelName}: shape ${JSON.stringify(got.shape)} != tfjs ${JSON.stringify(ref.shape)}`);
    }
    if (got.dtype !== ref.dtype) throw new Error(`${config.kernelName}: dtype ${got.dtype} != tfjs ${ref.dtype}`);
    const a = backend.readSync(got.dataId) as Float32Array;
    const b = backend.readSync(ref.dataId) as Float32Array;
    let maxAbsDiff = 0;
    let maxAbsRef = 0;
    for (let i = 0; i < b.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      // NaN must match NaN: a NaN on one side only is an infinite disagreement.
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) maxAbsDiff = Infinity;
      else if (d > maxAbsDiff) maxAbsDiff = d;
      // Only finite references set the scale, so an Inf cannot hide a real difference.
      if (Number.isFinite(b[i]) && Math.abs(b[i]) > maxAbsRef) maxAbsRef = Math.abs(b[i]);
    }
    return { maxAbsDiff, maxAbsRef, scaledDiff: maxAbsDiff / Math.max(1, maxAbsRef) };
  } finally {
    backend.disposeData(got.dataId);
    backend.disposeData(ref.dataId);
  }
}

/** `max|a - b| / max(1, max|b|)`: the disagreement measure {@link FLOAT32_TOLERANCE} bounds. */
export function scaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

/**
 * The agreement every project kernel must reach: float32 rounding of sums of
 * a few hundred terms, i.e. `1e-5` relative to the largest reference value.
 */
export const FLOAT32_TOLERANCE = 1e-5;
