/**
 * The evaluation-mode forward pass the celeba parity test compares ONNX
 * Runtime with, and the weight sets it runs: see {@link evalForward}.
 */
import type { ArchSpec } from '@vae/format';
import { weightShapes } from '@vae/format';
import { initParams } from '@vae/trainer';
import { rng } from '../../packages/onnx-export/test/fixtures.js';
import type { PreNormHook } from './batch-norm-reference.js';
import { referenceDecode, referenceEncode } from './batch-norm-reference.js';
import { normals } from './harness.js';

/** What {@link evalForward} runs, for the parity table. */
export const REFERENCE_NAME = 'TS conv + eval-mode BatchNorm (float64)';

/** The four outputs of both graphs, NHWC images. */
export type Outputs = Record<'mu' | 'logvar' | 'logits' | 'x', Float32Array>;

/** The eval-mode forward pass (running statistics) of both halves, as float32. */
export async function evalForward(spec: ArchSpec, params: Map<string, Float32Array>, images: Float32Array, latents: Float32Array, n: number): Promise<Outputs> {
  const e = referenceEncode(spec, params, images, n);
  const d = referenceDecode(spec, params, latents, n);
  return { mu: Float32Array.from(e.mu), logvar: Float32Array.from(e.logvar), logits: Float32Array.from(d.logits), x: Float32Array.from(d.x) };
}

/**
 * The trainer's initial weights (seed 7) and then, for `bn-stats`: gamma and
 * beta drawn in [0.6, 1.4] and [-0.3, 0.3], and running statistics measured
 * on the data as a training pass measures them (each BatchNorm's mean and
 * unbiased variance over 16 images, or 16 latents for the decoder, layer by
 * layer with the earlier layers already normalised), each then moved by up to
 * ±30 % so that no layer's statistics are exactly its input's.
 */
export async function variantParams(spec: ArchSpec, variant: 'fresh' | 'bn-stats', images: Float32Array): Promise<Map<string, Float32Array>> {
  const params = initParams(spec, 7);
  for (const [name, shape] of weightShapes(spec)) {
    const m = /\/bn\/(gamma|beta|mean|variance)$/.exec(name);
    if (m && !params.has(name)) params.set(name, new Float32Array(shape[0]).fill(m[1] === 'gamma' || m[1] === 'variance' ? 1 : 0));
  }
  if (variant === 'fresh') return params;
  const r = rng(77);
  const hook: PreNormHook = (l, v) => {
    const c = l.outChannels;
    const count = v.data.length / c;
    const sum = new Float64Array(c);
    const sq = new Float64Array(c);
    for (let j = 0; j < v.data.length; j++) sum[j % c] += v.data[j];
    for (let j = 0; j < v.data.length; j++) sq[j % c] += (v.data[j] - sum[j % c] / count) ** 2;
    const set = (p: string, f: (o: number) => number) => params.set(`${l.name}/bn/${p}`, Float32Array.from({ length: c }, (_, o) => f(o)));
    set('mean', (o) => (sum[o] / count) * (0.7 + 0.6 * r()) + 0.05 * (r() - 0.5));
    set('variance', (o) => (sq[o] / (count - 1)) * (0.7 + 0.6 * r()));
    set('gamma', () => 0.6 + 0.8 * r());
    set('beta', () => 0.6 * (r() - 0.5));
  };
  const [H, W, C] = spec.config.imageShape;
  referenceEncode(spec, params, images.subarray(0, 16 * H * W * C), 16, hook);
  referenceDecode(spec, params, normals(16 * spec.config.latent, 5), 16, hook);
  return params;
}
