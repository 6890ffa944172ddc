/**
 * `VaeBce` and `VaeBceGrad`: the per-image Bernoulli negative log-likelihood
 * from logits and its gradient, as one cpu kernel each (see
 * ../model/loss.ts). Written with tfjs' ops the loss is seven element-wise
 * passes forward and about as many backward, each allocating a tensor; here
 * each direction is one pass, in float64 until the per-image sum is rounded.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './fallback.js';
import { f32 } from './fallback.js';

/**
 * Kernel name: inputs `logits` and `targets`, both `[N, D]`; outputs the loss
 * `[N]`, `Σ_d max(l,0) - l·t + log1p(exp(-|l|))`, and `sigmoid(l)` `[N, D]`,
 * which the gradient needs and which costs nothing more here (it shares the exp).
 */
export const VAE_BCE = 'VaeBce';
/** Kernel name of its gradient: inputs `dy` `[N]`, `logits`, `targets`, `sigmoid` (the forward's); outputs `dy·(sigmoid(l) - t)` and `-dy·l`. */
export const VAE_BCE_GRAD = 'VaeBceGrad';

/** Per-image BCE from logits, and the sigmoid of the logits. */
export function bceFast(args: KernelArgs): TensorInfo[] {
  const { logits, targets } = args.inputs;
  const l = f32(args.backend, logits);
  const t = f32(args.backend, targets);
  const [N, D] = logits.shape;
  const out = new Float32Array(N);
  const sig = new Float32Array(N * D);
  for (let n = 0, i = 0; n < N; n++) {
    let s = 0;
    for (let d = 0; d < D; d++, i++) {
      const v = l[i];
      // The stable form: exp only ever of a non-positive number.
      const e = Math.exp(-Math.abs(v));
      s += (v > 0 ? v : 0) - v * t[i] + Math.log1p(e);
      sig[i] = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
    out[n] = s;
  }
  return [args.backend.makeTensorInfo([N], 'float32', out), args.backend.makeTensorInfo([N, D], 'float32', sig)];
}

/** Its gradient with respect to the logits and to the targets. */
export function bceGradFast(args: KernelArgs): TensorInfo[] {
  const { dy, logits, targets, sigmoid } = args.inputs;
  const g = f32(args.backend, dy);
  const l = f32(args.backend, logits);
  const t = f32(args.backend, targets);
  const sg = f32(args.backend, sigmoid);
  const [N, D] = logits.shape;
  const dl = new Float32Array(N * D);
  const dt = new Float32Array(N * D);
  for (let n = 0, i = 0; n < N; n++) {
    const gn = g[n];
    for (let d = 0; d < D; d++, i++) {
      dl[i] = gn * (sg[i] - t[i]);
      dt[i] = -gn * l[i];
    }
  }
  return [args.backend.makeTensorInfo([N, D], 'float32', dl), args.backend.makeTensorInfo([N, D], 'float32', dt)];
}

/** Registers the per-image BCE on the cpu backend. */
export const bceConfig: KernelConfig = {
  kernelName: VAE_BCE,
  backendName: 'cpu',
  kernelFunc: bceFast as unknown as KernelConfig['kernelFunc'],
};

/** Registers its gradient on the cpu backend. */
export const bceGradConfig: KernelConfig = {
  kernelName: VAE_BCE_GRAD,
  backendName: 'cpu',
  kernelFunc: bceGradFast as unknown as KernelConfig['kernelFunc'],
};
