/**
 * Parity of conditional (CVAE) graphs: the trainer's tfjs forward pass with
 * one-hot labels (`encode(x, y)`, `decodeLogits(z, y)`) vs the exported graphs
 * (inputs x,y and z,y) on onnxruntime-node cpu and webgpu (SwiftShader), fp32
 * and fp16, for small/base/mlp, fresh and briefly trained, batch 1 and 64, on
 * real MNIST test images with their labels. The tolerances are those of the
 * unconditional parity test (onnx-parity.test.ts). Prints the parity table:
 * runtime × precision × weights × batch → max |Δ| of mu, logvar, logits, x.
 *
 * Print it alone: npx vitest run test/parity/conditional-parity.test.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName, VaeModel } from '@vae/trainer';
import { ADAM_DEFAULTS, buildArchSpec, createVaeModel, loadMnist, oneHotLabels, selectBackend, TrainStep } from '@vae/trainer';
import type { BuiltExport } from '@vae/onnx-export';
import { buildExport, decodeModel } from '@vae/onnx-export';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../packages/onnx-export/test/fixtures.js';
import type { NodePlacement, Tensor } from './harness.js';
import { maxAbsDiff, nchwToNhwc, PARITY_TOLERANCE, nhwcToNchw, normals, runCpu, WEBGPU_EP, WEBGPU_OPT_OUT, WebGpuBatch, webgpuUnavailableReason } from './harness.js';

const ARCHS: ArchName[] = ['small', 'base', 'mlp'];
const VARIANTS = ['fresh', 'trained'] as const;
const BATCHES = [1, 64] as const;
const PRECISIONS = ['fp32', 'fp16'] as const;
const CLASSES = 10;
const TOL = PARITY_TOLERANCE;
const OUTPUTS = ['mu', 'logvar', 'logits', 'x'] as const;
type Output = (typeof OUTPUTS)[number];
type Runtime = 'ort-cpu' | 'ort-webgpu';
type Precision = (typeof PRECISIONS)[number];
/** Ops a silent CPU fallback must not take; Concat is where the label joins. */
const PLACED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'Concat']);

interface Reference {
  images: Tensor; // NCHW, for ONNX
  latents: Tensor;
  labels: Tensor; // one-hot [n, K]
  mu: Float32Array;
  logvar: Float32Array;
  logits: Float32Array; // NHWC
  x: Float32Array; // NHWC
}

interface Case {
  arch: ArchName;
  variant: (typeof VARIANTS)[number];
  exports: Record<Precision, BuiltExport>;
  refs: Record<number, Reference>;
  /** The same inputs with every label moved to the next class. */
  shifted: Reference;
  /** max |Δ| per `runtime/precision/output/batch`. */
  diffs: Map<string, number>;
}

const cases: Case[] = [];
const webgpuOptOut = process.env[WEBGPU_OPT_OUT] === '1';
let webgpuError: string | null = null;
const gpuModels: { label: string; model: Uint8Array; placement?: NodePlacement[] }[] = [];
let testImages: Float32Array;
let testLabels: Uint8Array;
let trainImages: Float32Array;
let trainLabels: Uint8Array;

const key = (runtime: Runtime, precision: Precision, out: Output, batch: number) => `${runtime}/${precision}/${out}/${batch}`;

async function reference(model: VaeModel, images: Float32Array, latents: Float32Array, labels: ArrayLike<number>, n: number): Promise<Reference> {
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;
  const xT = tf.tensor4d(images.subarray(0, n * H * W * C), [n, H, W, C]);
  const zT = tf.tensor2d(latents.subarray(0, n * latent), [n, latent]);
  const yT = oneHotLabels(Array.from(labels).slice(0, n), CLASSES);
  const { mu, logvar } = model.encode(xT, yT);
  const logits = model.decodeLogits(zT, yT);
  const x = tf.sigmoid(logits);
  const ref: Reference = {
    images: nhwcToNchw(images.slice(0, n * H * W * C), [n, H, W, C]),
    latents: { data: latents.slice(0, n * latent), dims: [n, latent] },
    labels: { data: (await yT.data()) as Float32Array, dims: [n, CLASSES] },
    mu: (await mu.data()) as Float32Array,
    logvar: (await logvar.data()) as Float32Array,
    logits: (await logits.data()) as Float32Array,
    x: (await x.data()) as Float32Array,
  };
  tf.dispose([xT, zT, yT, mu, logvar, logits, x]);
  return ref;
}

/** A few Adam steps on a tiny labelled MNIST subset, with the trainer's own (conditional) step. */
async function briefTrain(model: VaeModel, steps: number, batch: number): Promise<void> {
  const step = new TrainStep(model, { lr: 2e-3, ...ADAM_DEFAULTS });
  const per = 28 * 28;
  for (let s = 0; s < steps; s++) {
    const x = trainImages.slice(s * batch * per, (s + 1) * batch * per);
    await step.step(x, batch, normals(batch * model.spec.config.latent, 100 + s), 1, trainLabels.subarray(s * batch, (s + 1) * batch));
  }
}

function compare(c: Case, runtime: Runtime, precision: Precision, batch: number, enc: Record<string, Tensor>, dec: Record<string, Tensor>) {
  const ref = c.refs[batch];
  c.diffs.set(key(runtime, precision, 'mu', batch), maxAbsDiff(enc.mu.data, ref.mu));
  c.diffs.set(key(runtime, precision, 'logvar', batch), maxAbsDiff(enc.logvar.data, ref.logvar));
  c.diffs.set(key(runtime, precision, 'logits', batch), maxAbsDiff(nchwToNhwc(dec.logits), ref.logits));
  c.diffs.set(key(runtime, precision, 'x', batch), maxAbsDiff(nchwToNhwc(dec.x), ref.x));
}

/** Label rows of the heads and of the decoder's first layer, reversed in class order. */
function reverseLabelRows(model: VaeModel, params: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map(params);
  for (const layer of [model.spec.encoder.mu, model.spec.encoder.logvar, model.spec.decoder[0]]) {
    if (layer.kind !== 'dense') throw new Error(`${layer.name} is not dense`);
    const k = params.get(`${layer.name}/kernel`)!;
    const w = new Float32Array(k);
    const first = layer.inFeatures - CLASSES;
    const o = layer.outFeatures;
    for (let c = 0; c < CLASSES; c++) w.set(k.subarray((first + c) * o, (first + c + 1) * o), (first + CLASSES - 1 - c) * o);
    out.set(`${layer.name}/kernel`, w);
  }
  return out;
}

let labelOrderControl: { mu: number; x: number } | null = null;

beforeAll(async () => {
  const t0 = Date.now();
  await selectBackend('cpu');
  const mnist = await loadMnist();
  const toFloat = (u8: Uint8Array, n: number) => Float32Array.from(u8.subarray(0, n * 784), (v) => v / 255);
  testImages = toFloat(mnist.test.images, 64);
  testLabels = mnist.test.labels.slice(0, 64);
  trainImages = toFloat(mnist.train.images, 4 * 32);
  trainLabels = mnist.train.labels.slice(0, 4 * 32);
  const missing = webgpuOptOut ? null : webgpuUnavailableReason();
  if (missing) webgpuError = `${missing}; or set ${WEBGPU_OPT_OUT}=1 to skip the WebGPU parity tests`;
  const gpu = webgpuOptOut || missing ? null : new WebGpuBatch();
  const pending: { c: Case; precision: Precision; batch: number; enc: string; dec: string }[] = [];

  for (const arch of ARCHS) {
    for (const variant of VARIANTS) {
      const spec = buildArchSpec({ arch, classes: CLASSES });
      const model = createVaeModel(spec, 7);
      if (variant === 'trained') await briefTrain(model, arch === 'base' ? 2 : 4, 32);
      const params = await model.readParams();
      const ckpt = makeCheckpoint({ arch, classes: CLASSES, params });
      const latents = normals(64 * spec.config.latent, 11);
      const refs: Record<number, Reference> = {};
      for (const b of BATCHES) refs[b] = await reference(model, testImages, latents, testLabels, b);
      const shifted = await reference(model, testImages, latents, Array.from(testLabels, (l) => (l + 1) % CLASSES), 64);
      const c: Case = {
        arch,
        variant,
        exports: {
          fp32: buildExport(ckpt, { name: `${arch}-${variant}-cvae` }),
          fp16: buildExport(ckpt, { name: `${arch}-${variant}-cvae`, precision: 'fp16' }),
        },
        refs,
        shifted,
        diffs: new Map(),
      };
      if (arch === 'small' && variant === 'fresh') {
        const bad = buildExport(makeCheckpoint({ arch, classes: CLASSES, params: reverseLabelRows(model, params) }));
        const r = refs[64];
        const [[enc], [dec]] = await Promise.all([runCpu(bad.encoder, [{ x: r.images, y: r.labels }]), runCpu(bad.decoder, [{ z: r.latents, y: r.labels }])]);
        labelOrderControl = { mu: maxAbsDiff(enc.mu.data, r.mu), x: maxAbsDiff(nchwToNhwc(dec.x), r.x) };
      }
      model.dispose();

      const encFeeds = BATCHES.map((b) => ({ x: refs[b].images, y: refs[b].labels }));
      const decFeeds = BATCHES.map((b) => ({ z: refs[b].latents, y: refs[b].labels }));
      for (const precision of PRECISIONS) {
        const [enc, dec] = await Promise.all([runCpu(c.exports[precision].encoder, encFeeds), runCpu(c.exports[precision].decoder, decFeeds)]);
        BATCHES.forEach((b, i) => compare(c, 'ort-cpu', precision, b, enc[i], dec[i]));
        if (gpu) {
          const encIds = gpu.add(c.exports[precision].encoder, encFeeds);
          gpuModels.push({ label: `${arch}/${variant} ${precision} encoder`, model: c.exports[precision].encoder });
          const decIds = gpu.add(c.exports[precision].decoder, decFeeds);
          gpuModels.push({ label: `${arch}/${variant} ${precision} decoder`, model: c.exports[precision].decoder });
          BATCHES.forEach((b, i) => pending.push({ c, precision, batch: b, enc: encIds[i], dec: decIds[i] }));
        }
      }
      cases.push(c);
    }
  }
  if (gpu) {
    try {
      const { outputs, placement } = gpu.run();
      placement.forEach((p, i) => (gpuModels[i].placement = p));
      for (const p of pending) {
        const enc = outputs.get(p.enc);
        const dec = outputs.get(p.dec);
        if (!enc || !dec) throw new Error(`no webgpu result for ${p.c.arch}/${p.c.variant} ${p.precision} batch ${p.batch}`);
        compare(p.c, 'ort-webgpu', p.precision, p.batch, enc, dec);
      }
    } catch (e) {
      webgpuError = `webgpu runner failed: ${(e as Error).message}`;
    }
  }
  console.log(`conditional parity: built ${cases.length} models and all references in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

afterAll(() => {
  // runtime × precision × weights × batch -> max |Δ| over the three archs.
  const rows = new Map<string, Map<Output, number>>();
  for (const c of cases) {
    for (const [k, d] of c.diffs) {
      const [runtime, precision, out, batch] = k.split('/') as [Runtime, Precision, Output, string];
      const row = `${runtime} ${precision} ${c.variant} ${batch}`;
      const r = rows.get(row) ?? new Map<Output, number>();
      r.set(out, Math.max(r.get(out) ?? 0, d));
      rows.set(row, r);
    }
  }
  const head = `| runtime | precision | weights | batch | ${OUTPUTS.join(' | ')} |`;
  const lines = [...rows].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([row, r]) => `| ${row.split(' ').join(' | ')} | ${OUTPUTS.map((o) => r.get(o)?.toExponential(2) ?? '-').join(' | ')} |`);
  console.log(`conditional parity table (max |Δ| vs the trainer's tfjs encode(x, y) / decodeLogits(z, y), over small, base, mlp; K=${CLASSES}):\n${head}\n|${'---|'.repeat(4 + OUTPUTS.length)}\n${lines.join('\n')}`);
});

describe.each(ARCHS)('conditional %s', (arch) => {
  describe.each(VARIANTS)('%s weights', (variant) => {
    const get = () => cases.find((c) => c.arch === arch && c.variant === variant)!;
    const show = (c: Case, prefix: string) =>
      [...c.diffs].filter(([k]) => k.startsWith(prefix)).map(([k, d]) => `${k.slice(prefix.length)}=${d.toExponential(2)}`).join(' ');

    it('onnxruntime-node cpu matches tfjs with labels (mu, logvar, x <= 1e-5; logits <= 1e-4), batch 1 and 64', () => {
      const c = get();
      console.log(`${arch}/${variant} cvae ort-cpu fp32: ${show(c, 'ort-cpu/fp32/')}`);
      for (const b of BATCHES) for (const o of OUTPUTS) expect(c.diffs.get(key('ort-cpu', 'fp32', o, b)), `${o} batch ${b}`).toBeLessThanOrEqual(TOL.cpu[o]);
    });

    it.skipIf(webgpuOptOut)('onnxruntime-node webgpu (SwiftShader) matches tfjs with labels (mu, logvar, x <= 1e-4; logits <= 1e-3)', () => {
      if (webgpuError) throw new Error(webgpuError);
      const c = get();
      console.log(`${arch}/${variant} cvae ort-webgpu fp32: ${show(c, 'ort-webgpu/fp32/')}`);
      for (const b of BATCHES) for (const o of OUTPUTS) expect(c.diffs.get(key('ort-webgpu', 'fp32', o, b)), `${o} batch ${b}`).toBeLessThanOrEqual(TOL.webgpu[o]);
    });

    it('the fp16 export matches tfjs on x within 2e-3 on cpu, and is about half the size', () => {
      const c = get();
      console.log(`${arch}/${variant} cvae ort-cpu fp16: ${show(c, 'ort-cpu/fp16/')}`);
      for (const b of BATCHES) expect(c.diffs.get(key('ort-cpu', 'fp16', 'x', b)), `x batch ${b}`).toBeLessThanOrEqual(TOL.fp16.x);
      const size = (e: BuiltExport) => e.encoder.length + e.decoder.length;
      expect(size(c.exports.fp16) / size(c.exports.fp32)).toBeLessThan(0.56);
    });

    it.skipIf(webgpuOptOut)('the fp16 export matches tfjs on x within 2e-3 on webgpu', () => {
      if (webgpuError) throw new Error(webgpuError);
      const c = get();
      console.log(`${arch}/${variant} cvae ort-webgpu fp16: ${show(c, 'ort-webgpu/fp16/')}`);
      for (const b of BATCHES) expect(c.diffs.get(key('ort-webgpu', 'fp16', 'x', b)), `x batch ${b}`).toBeLessThanOrEqual(TOL.fp16.x);
    });

    it('the label matters: moving every label to the next class moves mu and x by far more than the tolerance, and ORT follows', async () => {
      const c = get();
      const r = c.refs[64];
      const s = c.shifted;
      const dMu = maxAbsDiff(s.mu, r.mu);
      const dX = maxAbsDiff(s.x, r.x);
      const [[enc], [dec]] = await Promise.all([
        runCpu(c.exports.fp32.encoder, [{ x: s.images, y: s.labels }]),
        runCpu(c.exports.fp32.decoder, [{ z: s.latents, y: s.labels }]),
      ]);
      console.log(`${arch}/${variant} cvae: labels + 1 move mu by ${dMu.toExponential(2)}, x by ${dX.toExponential(2)}`);
      // A graph that ignored y would give the unshifted outputs, this far from tfjs.
      expect(dMu).toBeGreaterThan(100 * TOL.cpu.mu);
      expect(dX).toBeGreaterThan(100 * TOL.cpu.x);
      expect(maxAbsDiff(enc.mu.data, s.mu)).toBeLessThanOrEqual(TOL.cpu.mu);
      expect(maxAbsDiff(nchwToNhwc(dec.x), s.x)).toBeLessThanOrEqual(TOL.cpu.x);
    });
  });
});

describe('conditional webgpu node placement (ORT profile)', () => {
  it.skipIf(webgpuOptOut)(`every Conv, ConvTranspose, Gemm and Concat node of the conditional graphs ran on ${WEBGPU_EP}`, () => {
    if (webgpuError) throw new Error(webgpuError);
    expect(gpuModels).toHaveLength(ARCHS.length * VARIANTS.length * PRECISIONS.length * 2);
    const problems: string[] = [];
    for (const m of gpuModels) {
      // ORT renames nodes it rewrites: the WebGPU EP's layout transform appends `_token_<n>`, CPU fusion prefixes `fused `.
      const where = new Map(m.placement!.map((p) => [p.name.replace(/^fused /, '').replace(/_token_\d+$/, ''), p.provider]));
      for (const n of decodeModel(m.model).graph!.node!) {
        if (PLACED_OPS.has(n.op_type!) && where.get(n.name!) !== WEBGPU_EP) problems.push(`${m.label}: ${n.op_type} ${n.name} ran on ${where.get(n.name!) ?? 'nothing (not in the profile)'}`);
      }
      expect(m.placement!.some((p) => p.op === 'Concat'), `${m.label} has a Concat in its profile`).toBe(true);
    }
    expect(problems).toEqual([]);
  });
});

describe('the conditional comparison is real', () => {
  it('compares non-trivial outputs (they vary across images, latents and labels)', () => {
    for (const c of cases) {
      const r = c.refs[64];
      expect(Math.max(...r.mu) - Math.min(...r.mu)).toBeGreaterThan(1e-2);
      expect(Math.max(...r.x) - Math.min(...r.x)).toBeGreaterThan(1e-2);
      expect(new Set(testLabels).size).toBe(CLASSES);
    }
  });

  it('detects label rows in the wrong class order (a graph that reads y as another class)', () => {
    expect(labelOrderControl).not.toBeNull();
    console.log(`negative control: label rows reversed -> mu diff ${labelOrderControl!.mu.toExponential(2)}, x diff ${labelOrderControl!.x.toExponential(2)}`);
    expect(labelOrderControl!.mu).toBeGreaterThan(100 * TOL.cpu.mu);
    expect(labelOrderControl!.x).toBeGreaterThan(100 * TOL.cpu.x);
  });
});
