/**
 * Parity: the trainer's own tfjs forward pass vs the exported ONNX graphs on
 * onnxruntime-node cpu, onnxruntime-node webgpu (SwiftShader) and the fp16
 * export, for small/base/mlp, fresh and briefly trained, batch 1 and 64, on
 * real MNIST test images and random latents. Prints every max diff.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName, VaeModel } from '@vae/trainer';
import { ADAM_DEFAULTS, buildArchSpec, createVaeModel, loadMnist, selectBackend, TrainStep } from '@vae/trainer';
import type { BuiltExport } from '@vae/onnx-export';
import { buildExport, chwToHwcPermutation } from '@vae/onnx-export';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../packages/onnx-export/test/fixtures.js';
import type { Tensor } from './harness.js';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, normals, runCpu, WebGpuBatch, webgpuUnavailableReason } from './harness.js';

const ARCHS: ArchName[] = ['small', 'base', 'mlp'];
const VARIANTS = ['fresh', 'trained'] as const;
const BATCHES = [1, 64] as const;
const TOL = {
  cpu: { mu: 1e-5, logvar: 1e-5, x: 1e-5, logits: 1e-4 },
  webgpu: { mu: 1e-4, logvar: 1e-4, x: 1e-4, logits: 1e-3 },
  fp16: { x: 2e-3 },
} as const;
type Output = 'mu' | 'logvar' | 'logits' | 'x';

interface Reference {
  images: Tensor; // NCHW, for ONNX
  latents: Tensor;
  mu: Float32Array;
  logvar: Float32Array;
  logits: Float32Array; // NHWC
  x: Float32Array; // NHWC
}

interface Case {
  arch: ArchName;
  variant: (typeof VARIANTS)[number];
  fp32: BuiltExport;
  fp16: BuiltExport;
  refs: Record<number, Reference>;
  /** max diff per `runtime/output/batch` */
  diffs: Map<string, number>;
}

const cases: Case[] = [];
const webgpuSkip = webgpuUnavailableReason();
let testImagesNhwc: Float32Array;
let trainImagesNhwc: Float32Array;

function slice(a: Float32Array, n: number, per: number) {
  return a.slice(0, n * per);
}

async function reference(model: VaeModel, images: Float32Array, latents: Float32Array, n: number): Promise<Reference> {
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;
  const xT = tf.tensor4d(images, [n, H, W, C]);
  const zT = tf.tensor2d(latents, [n, latent]);
  const { mu, logvar } = model.encode(xT);
  const logits = model.decodeLogits(zT);
  const x = tf.sigmoid(logits);
  const ref: Reference = {
    images: nhwcToNchw(images, [n, H, W, C]),
    latents: { data: latents, dims: [n, latent] },
    mu: (await mu.data()) as Float32Array,
    logvar: (await logvar.data()) as Float32Array,
    logits: (await logits.data()) as Float32Array,
    x: (await x.data()) as Float32Array,
  };
  tf.dispose([xT, zT, mu, logvar, logits, x]);
  return ref;
}

/** A few Adam steps on a tiny MNIST subset, with the trainer's own step. */
async function briefTrain(model: VaeModel, steps: number, batch: number): Promise<void> {
  const step = new TrainStep(model, { lr: 2e-3, ...ADAM_DEFAULTS });
  const per = 28 * 28;
  for (let s = 0; s < steps; s++) {
    const x = trainImagesNhwc.slice(s * batch * per, (s + 1) * batch * per);
    await step.step(x, batch, normals(batch * model.spec.config.latent, 100 + s), 1);
  }
}

function record(c: Case, runtime: string, out: Output, batch: number, d: number) {
  c.diffs.set(`${runtime}/${out}/${batch}`, d);
}

function compare(c: Case, runtime: string, batch: number, enc: Record<string, Tensor> | undefined, dec: Record<string, Tensor>) {
  const ref = c.refs[batch];
  if (enc) {
    record(c, runtime, 'mu', batch, maxAbsDiff(enc.mu.data, ref.mu));
    record(c, runtime, 'logvar', batch, maxAbsDiff(enc.logvar.data, ref.logvar));
  }
  record(c, runtime, 'logits', batch, maxAbsDiff(nchwToNhwc(dec.logits), ref.logits));
  record(c, runtime, 'x', batch, maxAbsDiff(nchwToNhwc(dec.x), ref.x));
}

beforeAll(async () => {
  const t0 = Date.now();
  await selectBackend('cpu');
  const mnist = await loadMnist();
  const toFloat = (u8: Uint8Array, n: number) => Float32Array.from(u8.subarray(0, n * 784), (v) => v / 255);
  testImagesNhwc = toFloat(mnist.test.images, 64);
  trainImagesNhwc = toFloat(mnist.train.images, 4 * 32);
  const gpu = webgpuSkip ? null : new WebGpuBatch();
  const pending: { c: Case; batch: number; enc: string; dec: string }[] = [];

  for (const arch of ARCHS) {
    for (const variant of VARIANTS) {
      const spec = buildArchSpec({ arch });
      const model = createVaeModel(spec, 7);
      if (variant === 'trained') await briefTrain(model, arch === 'base' ? 2 : 4, 32);
      const params = await model.readParams();
      const ckpt = makeCheckpoint({ arch, params });
      const c: Case = {
        arch,
        variant,
        fp32: buildExport(ckpt, { name: `${arch}-${variant}` }),
        fp16: buildExport(ckpt, { name: `${arch}-${variant}`, precision: 'fp16' }),
        refs: {},
        diffs: new Map(),
      };
      const latents = normals(64 * spec.config.latent, 11);
      for (const b of BATCHES) c.refs[b] = await reference(model, slice(testImagesNhwc, b, 784), slice(latents, b, spec.config.latent), b);
      model.dispose();

      const encFeeds = BATCHES.map((b) => ({ x: c.refs[b].images }));
      const decFeeds = BATCHES.map((b) => ({ z: c.refs[b].latents }));
      const [enc32, dec32, enc16, dec16] = await Promise.all([
        runCpu(c.fp32.encoder, encFeeds),
        runCpu(c.fp32.decoder, decFeeds),
        runCpu(c.fp16.encoder, encFeeds),
        runCpu(c.fp16.decoder, decFeeds),
      ]);
      BATCHES.forEach((b, i) => {
        compare(c, 'ort-cpu', b, enc32[i], dec32[i]);
        compare(c, 'ort-cpu-fp16', b, enc16[i], dec16[i]);
      });
      if (gpu) {
        const encIds = gpu.add(c.fp32.encoder, encFeeds);
        const decIds = gpu.add(c.fp32.decoder, decFeeds);
        BATCHES.forEach((b, i) => pending.push({ c, batch: b, enc: encIds[i], dec: decIds[i] }));
      }
      cases.push(c);
    }
  }
  if (gpu) {
    const results = gpu.run();
    for (const p of pending) compare(p.c, 'ort-webgpu', p.batch, results.get(p.enc), results.get(p.dec)!);
  }
  console.log(`parity: built ${cases.length} models and all references in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

afterAll(() => {
  // The parity table: runtime x output -> max abs diff over all cases and batches.
  const rows = new Map<string, Map<Output, number>>();
  for (const c of cases) {
    for (const [key, d] of c.diffs) {
      const [runtime, out] = key.split('/') as [string, Output];
      const row = rows.get(runtime) ?? new Map<Output, number>();
      row.set(out, Math.max(row.get(out) ?? 0, d));
      rows.set(runtime, row);
    }
  }
  const outs: Output[] = ['mu', 'logvar', 'logits', 'x'];
  const lines = ['runtime          ' + outs.map((o) => o.padStart(10)).join(''), ...[...rows].map(([r, row]) => r.padEnd(17) + outs.map((o) => (row.get(o)?.toExponential(2) ?? '-').padStart(10)).join(''))];
  console.log(`parity table (max abs diff vs trainer tfjs, all archs/variants/batches):\n${lines.join('\n')}`);
});

describe.each(ARCHS)('%s', (arch) => {
  describe.each(VARIANTS)('%s weights', (variant) => {
    const get = () => cases.find((c) => c.arch === arch && c.variant === variant)!;
    const show = (c: Case, runtime: string) =>
      [...c.diffs].filter(([k]) => k.startsWith(`${runtime}/`)).map(([k, d]) => `${k.slice(runtime.length + 1)}=${d.toExponential(2)}`).join(' ');

    it('onnxruntime-node cpu matches tfjs (mu, logvar, x <= 1e-5; logits <= 1e-4), batch 1 and 64', () => {
      const c = get();
      console.log(`${arch}/${variant} ort-cpu: ${show(c, 'ort-cpu')}`);
      for (const b of BATCHES) for (const o of ['mu', 'logvar', 'x', 'logits'] as const) expect(c.diffs.get(`ort-cpu/${o}/${b}`), `${o} batch ${b}`).toBeLessThanOrEqual(TOL.cpu[o]);
    });

    it.skipIf(!!webgpuSkip)('onnxruntime-node webgpu (SwiftShader) matches tfjs (mu, logvar, x <= 1e-4)', () => {
      const c = get();
      console.log(`${arch}/${variant} ort-webgpu: ${show(c, 'ort-webgpu')}`);
      for (const b of BATCHES) for (const o of ['mu', 'logvar', 'x', 'logits'] as const) expect(c.diffs.get(`ort-webgpu/${o}/${b}`), `${o} batch ${b}`).toBeLessThanOrEqual(TOL.webgpu[o]);
    });

    it('the fp16 export matches tfjs on x within 2e-3 and is about half the size', () => {
      const c = get();
      console.log(`${arch}/${variant} ort-cpu-fp16: ${show(c, 'ort-cpu-fp16')}`);
      for (const b of BATCHES) expect(c.diffs.get(`ort-cpu-fp16/x/${b}`), `x batch ${b}`).toBeLessThanOrEqual(TOL.fp16.x);
      const size = (e: BuiltExport) => e.encoder.length + e.decoder.length;
      expect(size(c.fp16) / size(c.fp32)).toBeLessThan(0.56);
    });
  });
});

if (webgpuSkip) {
  it('webgpu parity', (ctx) => {
    console.log(`SKIPPED webgpu parity: ${webgpuSkip}`);
    ctx.skip();
  });
}

describe('the comparison is real', () => {
  it('compares non-trivial outputs (they vary across images and latents)', () => {
    for (const c of cases) {
      const r = c.refs[64];
      expect(Math.max(...r.mu) - Math.min(...r.mu)).toBeGreaterThan(1e-2);
      expect(Math.max(...r.x) - Math.min(...r.x)).toBeGreaterThan(1e-2);
    }
  });

  it('detects a deliberately wrong flatten order (dense rows not re-ordered) and a spatially flipped deconv kernel', async () => {
    const arch = 'small';
    const spec = buildArchSpec({ arch });
    const model = createVaeModel(spec, 7);
    const params = await model.readParams();
    const ref = cases.find((c) => c.arch === arch && c.variant === 'fresh')!.refs[64];
    model.dispose();

    // 1. Undo the exporter's row re-ordering of encoder/mu: feed it rows
    //    pre-permuted with the inverse, so the graph gets tfjs (h,w,c) rows.
    const perm = chwToHwcPermutation([4, 4, 32]);
    const mu = params.get('encoder/mu/kernel')!;
    const wrongMu = new Float32Array(mu.length);
    const out = spec.encoder.mu.outFeatures;
    for (let j = 0; j < perm.length; j++) wrongMu.set(mu.subarray(j * out, (j + 1) * out), perm[j] * out);
    const badRows = buildExport(makeCheckpoint({ arch, params: new Map([...params, ['encoder/mu/kernel', wrongMu]]) }));
    const [enc] = await runCpu(badRows.encoder, [{ x: ref.images }]);
    const dMu = maxAbsDiff(enc.mu.data, ref.mu);
    const dLogvar = maxAbsDiff(enc.logvar.data, ref.logvar);

    // 2. Flip the last deconv kernel's kh/kw axes (a wrong permutation).
    const k = params.get('decoder/deconv3/kernel')!; // [3,3,1,8]
    const flipped = new Float32Array(k.length);
    const inner = 1 * 8;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) flipped.set(k.subarray((y * 3 + x) * inner, (y * 3 + x + 1) * inner), (x * 3 + y) * inner);
    const badKernel = buildExport(makeCheckpoint({ arch, params: new Map([...params, ['decoder/deconv3/kernel', flipped]]) }));
    const [dec] = await runCpu(badKernel.decoder, [{ z: ref.latents }]);
    const dX = maxAbsDiff(nchwToNhwc(dec.x), ref.x);
    console.log(`negative controls: unpermuted dense rows -> mu diff ${dMu.toExponential(2)}, logvar diff ${dLogvar.toExponential(2)}; flipped deconv kernel -> x diff ${dX.toExponential(2)}`);
    expect(dMu).toBeGreaterThan(100 * TOL.cpu.mu);
    expect(dX).toBeGreaterThan(100 * TOL.cpu.x);
  });
});
