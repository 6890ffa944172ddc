/**
 * `VaeBce` and `VaeBceGrad`: the per-image Bernoulli negative log-likelihood
 * from logits and its gradient, as one cpu kernel each (see
 * ../model/loss.ts). Written with tfjs' ops the loss is seven element-wise
 * passes forward and about as many backward, each allocating a tensor; here
 * each direction is one pass, in float64 until the per-image sum is rounded.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc } from './elementwise.js';
import type { KernelArgs } from './fallback.js';
import { f32 } from './fallback.js';

/** Kernel name: inputs `logits` and `targets`, both `[N, D]`; output `[N]`, `Σ_d max(l,0) - l·t + log1p(exp(-|l|))`. */
export const VAE_BCE = 'VaeBce';
/** Kernel name of its gradient: inputs `dy` `[N]`, `logits`, `targets`; outputs `dy·(sigmoid(l) - t)` and `-dy·l`. */
export const VAE_BCE_GRAD = 'VaeBceGrad';

/** Per-image BCE from logits. */
export function bceFast(args: KernelArgs): TensorInfo {
  const { logits, targets } = args.inputs;
  const l = f32(args.backend, logits);
  const t = f32(args.backend, targets);
  const [N, D] = logits.shape;
  const out = new Float32Array(N);
  for (let n = 0, i = 0; n < N; n++) {
    let s = 0;
    for (let d = 0; d < D; d++, i++) {
      const v = l[i];
      // The stable form: exp only ever of a non-positive number.
      s += (v > 0 ? v : 0) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v)));
    }
    out[n] = s;
  }
  return args.backend.makeTensorInfo([N], 'float32', out);
}

/** Its gradient with respect to the logits and to the targets. */
export function bceGradFast(args: KernelArgs): TensorInfo[] {
  const { dy, logits, targets } = args.inputs;
  const g = f32(args.backend, dy);
  const l = f32(args.backend, logits);
  const t = f32(args.backend, targets);
  const [N, D] = logits.shape;
  const dl = new Float32Array(N * D);
  const dt = new Float32Array(N * D);
  for (let n = 0, i = 0; n < N; n++) {
    const gn = g[n];
    for (let d = 0; d < D; d++, i++) {
      const v = l[i];
      // sigmoid without overflow: exp of -|v| only.
      const e = Math.exp(-Math.abs(v));
      const sig = v >= 0 ? 1 / (1 + e) : e / (1 + e);
      dl[i] = gn * (sig - t[i]);
      dt[i] = -gn * v;
    }
  }
  return [args.backend.makeTensorInfo([N, D], 'float32', dl), args.backend.makeTensorInfo([N, D], 'float32', dt)];
}

/** Registers the per-image BCE on the cpu backend. */
export const bceConfig: KernelConfig = {
  kernelName: VAE_BCE,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(bceFast),
};

/** Registers its gradient on the cpu backend. */
export const bceGradConfig: KernelConfig = {
  kernelName: VAE_BCE_GRAD,
  backendName: 'cpu',
  kernelFunc: bceGradFast as unknown as KernelConfig['kernelFunc'],
};
