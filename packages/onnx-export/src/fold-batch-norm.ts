/**
 * Folds each conv's eval-mode BatchNorm into the conv's own kernel and bias,
 * so the exported graphs hold no BatchNormalization node and stay as small and
 * fast as an un-normed net of the same shape.
 *
 * With `v = conv(x, W) + b` and the running statistics `m`, `s`:
 * `gamma * (v - m) / sqrt(s + eps) + beta = conv(x, W * k) + (b - m) * k + beta`
 * where `k = gamma / sqrt(s + eps)` per output channel. Everything is computed
 * in float64 from the checkpoint's float32 values and rounded to float32 once,
 * so the folded weights are the nearest floats to the exact products.
 */
import type { ArchSpec, Conv2DSpec, Conv2DTransposeSpec, LayerSpec } from '@vae/format';
import { ExportError } from './errors.js';

/** A spec and parameters with every BatchNorm folded into its conv. */
export interface FoldedModel {
  /** The same spec with no `batchNorm` on any layer. */
  spec: ArchSpec;
  /** The parameters of {@link FoldedModel.spec}: folded kernels and biases, no `bn/*` entries. */
  params: Map<string, Float32Array>;
  /** Names of the layers whose BatchNorm was folded. */
  folded: string[];
}

/** The BatchNorm parameter suffixes, in the order they are checked. */
export const BATCH_NORM_PARAMS = ['gamma', 'beta', 'mean', 'variance'] as const;

type NormedConv = (Conv2DSpec | Conv2DTransposeSpec) & { batchNorm: NonNullable<Conv2DSpec['batchNorm']> };

const hasBatchNorm = (l: LayerSpec): l is NormedConv => (l.kind === 'conv2d' || l.kind === 'conv2dTranspose') && l.batchNorm !== undefined;

/** The layers of a spec that carry a BatchNorm, in spec order. */
export function batchNormLayers(spec: ArchSpec): NormedConv[] {
  return [...(spec.encoder?.trunk ?? []), ...(spec.decoder ?? [])].filter(hasBatchNorm);
}

/** A copy of `spec` whose convs carry no `batchNorm` (what the folded weights describe). */
export function withoutBatchNorm(spec: ArchSpec): ArchSpec {
  const strip = (l: LayerSpec): LayerSpec => {
    if (!hasBatchNorm(l)) return l;
    const { batchNorm: _dropped, ...rest } = l;
    return rest as LayerSpec;
  };
  return { ...spec, encoder: { ...spec.encoder, trunk: spec.encoder.trunk.map(strip) }, decoder: spec.decoder.map(strip) };
}

/** One named parameter with exactly `size` finite values, or an ExportError naming it and the shape expected. */
function need(params: ReadonlyMap<string, Float32Array>, name: string, shape: number[]): Float32Array {
  const t = params.get(name);
  const size = shape.reduce((a, b) => a * b, 1);
  if (!t) throw new ExportError('checkpoint', `checkpoint has no parameter ${name} [${shape.join(',')}], which the BatchNorm of its layer needs`);
  if (t.length !== size) throw new ExportError('checkpoint', `parameter ${name} has ${t.length} values, expected ${size} for [${shape.join(',')}]`);
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i])) throw new ExportError('non-finite', `parameter ${name} has a non-finite value (${t[i]}) at flat index ${i}; the checkpoint is unusable (training diverged?)`);
  }
  return t;
}

/**
 * Folds every BatchNorm of `spec` into the preceding conv or transposed conv.
 * A spec without BatchNorm comes back as it is, with the same parameter map.
 *
 * Kernel layouts are tfjs's (see arch-spec.ts), so the output channel is the
 * last axis of a conv2d kernel `[kh,kw,in,out]` and the third of a
 * conv2dTranspose kernel `[kh,kw,out,in]`; translate.ts permutes the folded
 * kernels to ONNX's OIHW / IOHW exactly as it permutes unfolded ones.
 *
 * @throws {@link ExportError} `checkpoint` for a missing or misshapen weight (naming it and
 *   its expected shape) or a BatchNorm whose `variance + eps` is not positive; `non-finite`
 *   for a non-finite weight
 */
export function foldBatchNorm(spec: ArchSpec, params: ReadonlyMap<string, Float32Array>): FoldedModel {
  const layers = batchNormLayers(spec);
  if (!layers.length) return { spec, params: params as Map<string, Float32Array>, folded: [] };
  const out = new Map(params);
  for (const l of layers) {
    const { kernelSize: k, inChannels: ci, outChannels: co } = l;
    const eps = l.batchNorm.eps;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
      throw new ExportError('checkpoint', `layer ${l.name}: batchNorm.eps is ${JSON.stringify(eps)}, expected a finite number >= 0`);
    }
    const transpose = l.kind === 'conv2dTranspose';
    const kernelShape = transpose ? [k, k, co, ci] : [k, k, ci, co];
    const kernel = need(params, `${l.name}/kernel`, kernelShape);
    const bias = need(params, `${l.name}/bias`, [co]);
    const [gamma, beta, mean, variance] = BATCH_NORM_PARAMS.map((p) => need(params, `${l.name}/bn/${p}`, [co]));
    const scale = new Float64Array(co);
    for (let o = 0; o < co; o++) {
      const denom = variance[o] + eps;
      if (!(denom > 0)) {
        throw new ExportError('checkpoint', `parameter ${l.name}/bn/variance[${o}] is ${variance[o]}, so variance + eps (${eps}) is ${denom}; expected a running variance >= 0 with variance + eps > 0`);
      }
      scale[o] = gamma[o] / Math.sqrt(denom);
    }
    const w = new Float32Array(kernel.length);
    // Output channel o of element j: last axis of [kh,kw,in,out]; axis 2 of [kh,kw,out,in].
    if (transpose) for (let j = 0; j < w.length; j++) w[j] = kernel[j] * scale[Math.floor(j / ci) % co];
    else for (let j = 0; j < w.length; j++) w[j] = kernel[j] * scale[j % co];
    const b = new Float32Array(co);
    for (let o = 0; o < co; o++) b[o] = (bias[o] - mean[o]) * scale[o] + beta[o];
    const bad = !w.every(Number.isFinite) ? `${l.name}/kernel` : !b.every(Number.isFinite) ? `${l.name}/bias` : null;
    if (bad) throw new ExportError('non-finite', `folding the BatchNorm of ${l.name} into ${bad} overflows float32 (gamma / sqrt(variance + eps) too large); the checkpoint is unusable`);
    out.set(`${l.name}/kernel`, w);
    out.set(`${l.name}/bias`, b);
    for (const p of BATCH_NORM_PARAMS) out.delete(`${l.name}/bn/${p}`);
  }
  return { spec: withoutBatchNorm(spec), params: out, folded: layers.map((l) => l.name) };
}
