/**
 * A VampPrior model's `prior` entry in model.json: each mixture component is
 * the encoder's posterior (mean, clamped log-variance) at one learned
 * pseudo-input `sigmoid(w_k)` (`w` = the checkpoint weight
 * `prior/pseudo_inputs`, see `PriorConfig`). Computed here with the plain
 * float32 forward pass (probe-forward.ts) at full precision whatever the
 * graphs' precision, so fp16 and int8 exports carry the fp32 export's prior.
 */
import type { ArchSpec, ManifestPrior } from '@vae/format';
import { VAMP_PSEUDO_INPUTS, float32ToBase64 } from '@vae/format';
import { ExportError } from './errors.js';
import { probeEncoder } from './probe-forward.js';

/**
 * The manifest's `prior` for a spec with a VampPrior, or undefined for the
 * standard normal.
 *
 * @throws {@link ExportError} `checkpoint` when the pseudo-inputs are missing or
 *   the wrong size, `non-finite` when a component's mean or log-variance is not finite
 */
export function manifestPrior(spec: ArchSpec, params: ReadonlyMap<string, Float32Array>): ManifestPrior | undefined {
  const prior = spec.config.prior;
  if (!prior) return undefined;
  const [H, W, C] = spec.config.imageShape;
  const K = prior.components;
  const w = params.get(VAMP_PSEUDO_INPUTS);
  if (!w || w.length !== K * H * W * C) {
    throw new ExportError('checkpoint', `the VampPrior needs ${VAMP_PSEUDO_INPUTS} with ${K} x ${H} x ${W} x ${C} values, got ${w ? w.length : 'none'}`);
  }
  // The trainer's parametrisation: the encoder sees sigmoid(w), rounded to float32 as tfjs stores it.
  const u = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) u[i] = 1 / (1 + Math.exp(-w[i]));
  const { outputs, firstNonFinite } = probeEncoder(spec, new Map(params), { data: u, dims: [K, H, W, C] }, 'fp32');
  if (firstNonFinite) {
    throw new ExportError('non-finite', `the encoder gives ${firstNonFinite.value} at layer ${firstNonFinite.layer} on pseudo-input ${firstNonFinite.item} of the VampPrior; the prior cannot be written`);
  }
  const L = spec.config.latent;
  const matrix = (t: Float32Array) => ({ dtype: 'float32' as const, shape: [K, L] as [number, number], base64: float32ToBase64(t) });
  return { kind: 'vamp', components: K, mean: matrix(outputs.mu.data), logVar: matrix(outputs.logvar.data) };
}
