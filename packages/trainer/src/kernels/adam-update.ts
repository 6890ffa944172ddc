/**
 * `VaeAdamUpdate`: one Adam step of one variable as a single cpu kernel
 * (see ../train/adam.ts). Written with tfjs' ops it is 13 element-wise ops
 * and 8 scalar tensors per variable per step, which for the small model's
 * weight-sized tensors cost more in tfjs' per-op overhead than in arithmetic.
 *
 * Each intermediate is rounded to float32 exactly where an op of the tfjs
 * formulation would round it (and each scalar where tfjs would make it a
 * float32 tensor), so this kernel and the ops give the same bits.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmFor } from './elementwise.js';
import type { KernelArgs } from './fallback.js';
import { f32 } from './fallback.js';

/** Kernel name: inputs `p`, `m`, `v`, `g`; attrs `beta1`, `beta2`, `epsilon`, `stepSize`, `sqrtBc2`; outputs new `p`, `m`, `v`. */
export const VAE_ADAM_UPDATE = 'VaeAdamUpdate';

/** Attributes of {@link VAE_ADAM_UPDATE}. */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** `lr / (1 - beta1^t)`. */
  stepSize: number;
  /** `sqrt(1 - beta2^t)`. */
  sqrtBc2: number;
}

/** `m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= stepSize · m / (sqrt(v)/sqrtBc2 + eps)`. */
export function adamUpdateFast(args: KernelArgs): TensorInfo[] {
  const { p, m, v, g } = args.inputs;
  const a = args.attrs as unknown as AdamUpdateAttrs;
  const pv = f32(args.backend, p);
  const mv = f32(args.backend, m);
  const vv = f32(args.backend, v);
  const gv = f32(args.backend, g);
  const fr = Math.fround;
  const b1 = fr(a.beta1);
  const c1 = fr(1 - a.beta1);
  const b2 = fr(a.beta2);
  const c2 = fr(1 - a.beta2);
  const eps = fr(a.epsilon);
  const step = fr(a.stepSize);
  const bc2 = fr(a.sqrtBc2);
  const n = pv.length;
  const shape = p.shape;
  const w = wasmFor(n);
  const space = w?.arena([n, n, n, n]);
  if (w && space) {
    // WebAssembly's f32 operations round exactly like the Math.fround chain below.
    const { ptrs: [pp, pm, pV, pg], heap } = space;
    heap.set(pv, pp >> 2);
    heap.set(mv, pm >> 2);
    heap.set(vv, pV >> 2);
    heap.set(gv, pg >> 2);
    w.ew.adam(pp, pm, pV, pg, n, b1, c1, b2, c2, eps, step, bc2);
    return [pp, pm, pV].map((o) => args.backend.makeTensorInfo(shape, 'float32', heap.slice(o >> 2, (o >> 2) + n)));
  }
  const po = new Float32Array(n);
  const mo = new Float32Array(n);
  const vo = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const gi = gv[i];
    const mi = fr(fr(mv[i] * b1) + fr(gi * c1));
    const vi = fr(fr(vv[i] * b2) + fr(fr(gi * gi) * c2));
    mo[i] = mi;
    vo[i] = vi;
    const den = fr(fr(fr(Math.sqrt(vi)) / bc2) + eps);
    po[i] = pv[i] - fr(fr(mi / den) * step);
  }
  return [po, mo, vo].map((d) => args.backend.makeTensorInfo(shape, 'float32', d));
}

/** Registers the fused Adam step on the cpu backend. */
export const adamUpdateConfig: KernelConfig = {
  kernelName: VAE_ADAM_UPDATE,
  backendName: 'cpu',
  kernelFunc: adamUpdateFast as unknown as KernelConfig['kernelFunc'],
};
