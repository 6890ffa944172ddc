/**
 * The BatchNorm folding maths, checked end to end: a tiny celeba (16x16 RGB,
 * BatchNorm with non-trivial running statistics after every Conv and every
 * ConvTranspose but the last) exported with the BatchNorm folded, run on
 * onnxruntime-node cpu, against a plain TypeScript conv + eval-mode BatchNorm
 * forward pass (batch-norm-reference.ts) that never folds. The encoder's
 * outputs exercise the Conv fold, the decoder's the ConvTranspose fold; a
 * deliberately wrong fold (scaling by the input channel) must miss by far.
 */
import type { ArchSpec } from '@vae/format';
import { buildExport, foldBatchNorm, withoutBatchNorm } from '@vae/onnx-export';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FixtureOptions } from '../../packages/onnx-export/test/fixtures.js';
import { makeCheckpoint, rng } from '../../packages/onnx-export/test/fixtures.js';
import { referenceDecode, referenceEncode } from './batch-norm-reference.js';
import type { Tensor } from './harness.js';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, normals, PARITY_TOLERANCE, runCpu } from './harness.js';

const N = 8;
const TINY: FixtureOptions = { arch: 'celeba', config: { imageShape: [16, 16, 3], channels: [4, 8, 8, 8], latent: 6 } };
type Out = 'mu' | 'logvar' | 'logits' | 'x';

let spec: ArchSpec;
let params: Map<string, Float32Array>;
let images: Float32Array; // NHWC
let latents: Float32Array;
let ref: Record<Out, Float64Array>;

/** Runs an export of (spec, params) on ORT cpu: every output in tfjs layout (images NHWC). */
async function onnx(s: ArchSpec, p: Map<string, Float32Array>, precision: 'fp32' | 'fp16' = 'fp32'): Promise<Record<Out, Float32Array>> {
  const ckpt = makeCheckpoint(TINY);
  const b = buildExport({ header: { ...ckpt.header, arch: s }, tensors: p }, { precision });
  const [H, W, C] = s.config.imageShape;
  const [[enc], [dec]] = await Promise.all([runCpu(b.encoder, [{ x: nhwcToNchw(images, [N, H, W, C]) }]), runCpu(b.decoder, [{ z: { data: latents, dims: [N, s.config.latent] } }])]);
  const img = (t: Tensor) => nchwToNhwc(t);
  return { mu: enc.mu.data, logvar: enc.logvar.data, logits: img(dec.logits), x: img(dec.x) };
}

const diffs = (got: Record<Out, Float32Array>) => Object.fromEntries((['mu', 'logvar', 'logits', 'x'] as const).map((o) => [o, maxAbsDiff(got[o], ref[o])])) as Record<Out, number>;
const show = (d: Record<Out, number>) => Object.entries(d).map(([k, v]) => `${k}=${v.toExponential(2)}`).join(' ');

beforeAll(() => {
  const ckpt = makeCheckpoint(TINY);
  spec = ckpt.header.arch;
  params = ckpt.tensors;
  const r = rng(5);
  images = Float32Array.from({ length: N * 16 * 16 * 3 }, () => r());
  latents = normals(N * spec.config.latent, 9);
  ref = { ...referenceEncode(spec, params, images, N), ...referenceDecode(spec, params, latents, N) };
});

describe('BatchNorm folded into Conv and ConvTranspose (tiny celeba, ORT cpu vs TS conv + eval-mode BatchNorm)', () => {
  it('the folded fp32 graphs match the unfolded reference within the cpu parity tolerances (Conv: mu, logvar; ConvTranspose: logits, x)', async () => {
    const d = diffs(await onnx(spec, params));
    console.log(`BatchNorm fold, ORT cpu fp32 vs TS reference (batch ${N}): ${show(d)}`);
    for (const o of ['mu', 'logvar', 'logits', 'x'] as const) expect(d[o], o).toBeLessThanOrEqual(PARITY_TOLERANCE.cpu[o]);
  });

  it('the fp16 export, folded first and then rounded, matches on x within the fp16 tolerance', async () => {
    const d = diffs(await onnx(spec, params, 'fp16'));
    console.log(`BatchNorm fold, ORT cpu fp16 vs TS reference (batch ${N}): ${show(d)}`);
    expect(d.x).toBeLessThanOrEqual(PARITY_TOLERANCE.fp16.x);
  });

  it('the BatchNorm matters here: the net without it is far from the reference', async () => {
    const plain = new Map([...params].filter(([n]) => !n.includes('/bn/')));
    const d = diffs(await onnx(withoutBatchNorm(spec), plain));
    console.log(`BatchNorm dropped instead of folded: ${show(d)}`);
    expect(d.mu).toBeGreaterThan(100 * PARITY_TOLERANCE.cpu.mu);
    expect(d.x).toBeGreaterThan(100 * PARITY_TOLERANCE.cpu.x);
  });

  it('a wrong fold (each kernel scaled by its input channel instead of its output channel) misses by far, in Conv and in ConvTranspose', async () => {
    // The right scales and biases, put on the wrong kernel axis.
    const right = foldBatchNorm(spec, params);
    const wrong = new Map(right.params);
    for (const l of [...spec.encoder.trunk, ...spec.decoder]) {
      if ((l.kind !== 'conv2d' && l.kind !== 'conv2dTranspose') || !l.batchNorm) continue;
      const { inChannels: ci, outChannels: co } = l;
      const [gamma, variance] = ['gamma', 'variance'].map((p) => params.get(`${l.name}/bn/${p}`)!);
      const scale = Float64Array.from(gamma, (g, o) => g / Math.sqrt(variance[o] + l.batchNorm!.eps));
      const k = params.get(`${l.name}/kernel`)!;
      // conv2d [kh,kw,in,out]: input channel = axis 2; conv2dTranspose [kh,kw,out,in]: the last axis.
      const inAxis = (j: number) => (l.kind === 'conv2d' ? Math.floor(j / co) % ci : j % ci);
      wrong.set(`${l.name}/kernel`, Float32Array.from(k, (v, j) => v * scale[inAxis(j) % co]));
    }
    const d = diffs(await onnx(right.spec, wrong));
    console.log(`negative control, fold by input channel: ${show(d)}`);
    expect(d.mu).toBeGreaterThan(100 * PARITY_TOLERANCE.cpu.mu);
    expect(d.x).toBeGreaterThan(100 * PARITY_TOLERANCE.cpu.x);
  });
});
