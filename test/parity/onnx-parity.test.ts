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
import { buildExport, chwToHwcPermutation, decodeModel } from '@vae/onnx-export';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../packages/onnx-export/test/fixtures.js';
import type { NodePlacement, Tensor } from './harness.js';
import { maxAbsDiff, nchwToNhwc, PARITY_TOLERANCE, nhwcToNchw, normals, runCpu, WEBGPU_EP, WEBGPU_OPT_OUT, WebGpuBatch, webgpuUnavailableReason } from './harness.js';

const ARCHS: ArchName[] = ['small', 'base', 'mlp'];
const VARIANTS = ['fresh', 'trained'] as const;
const BATCHES = [1, 64] as const;
const TOL = PARITY_TOLERANCE;
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
/** WebGPU parity runs unless explicitly opted out; missing prerequisites fail it. */
const webgpuOptOut = process.env[WEBGPU_OPT_OUT] === '1';
/** Why the WebGPU results are missing (prerequisites or a runner failure), reported by each WebGPU test. */
let webgpuError: string | null = null;
/** Ops whose placement matters: the heavy ones, which a silent CPU fallback would move. */
const HEAVY_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm']);
/** The fp32 graphs run on WebGPU, and the negative control run on cpu through the same runner. */
const gpuModels: { label: string; model: Uint8Array; ep: 'webgpu' | 'cpu'; placement?: NodePlacement[] }[] = [];

/** Heavy graph nodes of `model` that did not run on WebGPU according to `placement`. */
function offWebGpu(model: Uint8Array, placement: NodePlacement[]): string[] {
  // ORT renames nodes it rewrites: the WebGPU EP's NHWC layout transform appends `_token_<n>`, CPU fusion prefixes `fused `.
  const where = new Map(placement.map((p) => [p.name.replace(/^fused /, '').replace(/_token_\d+$/, ''), p.provider]));
  return decodeModel(model)
    .graph!.node!.filter((n) => HEAVY_OPS.has(n.op_type!))
    .filter((n) => where.get(n.name!) !== WEBGPU_EP)
    .map((n) => `${n.op_type} ${n.name} ran on ${where.get(n.name!) ?? 'nothing (not in the profile)'}`);
}
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
  const missing = webgpuOptOut ? null : webgpuUnavailableReason();
  if (missing) webgpuError = `${missing}; or set ${WEBGPU_OPT_OUT}=1 to skip the WebGPU parity tests`;
  const gpu = webgpuOptOut || missing ? null : new WebGpuBatch();
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
        gpuModels.push({ label: `${arch}/${variant} encoder`, model: c.fp32.encoder, ep: 'webgpu' });
        const decIds = gpu.add(c.fp32.decoder, decFeeds);
        gpuModels.push({ label: `${arch}/${variant} decoder`, model: c.fp32.decoder, ep: 'webgpu' });
        BATCHES.forEach((b, i) => pending.push({ c, batch: b, enc: encIds[i], dec: decIds[i] }));
      }
      cases.push(c);
    }
  }
  if (gpu) {
    // Negative control for the placement check: the small decoder on the cpu EP, through the same runner.
    const control = cases.find((c) => c.arch === 'small')!;
    gpu.add(control.fp32.decoder, [{ z: control.refs[1].latents }], 'cpu');
    gpuModels.push({ label: 'small/fresh decoder on cpu (control)', model: control.fp32.decoder, ep: 'cpu' });
    try {
      const { outputs, placement } = gpu.run();
      placement.forEach((p, i) => (gpuModels[i].placement = p));
      for (const p of pending) {
        const enc = outputs.get(p.enc);
        const dec = outputs.get(p.dec);
        if (!enc || !dec) throw new Error(`no webgpu result for ${p.c.arch}/${p.c.variant} batch ${p.batch}`);
        compare(p.c, 'ort-webgpu', p.batch, enc, dec);
      }
    } catch (e) {
      webgpuError = `webgpu runner failed: ${(e as Error).message}`;
    }
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

    it.skipIf(webgpuOptOut)('onnxruntime-node webgpu (SwiftShader) matches tfjs (mu, logvar, x <= 1e-4)', () => {
      if (webgpuError) throw new Error(webgpuError);
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

describe('webgpu node placement (ORT profile)', () => {
  it.skipIf(webgpuOptOut)(`every Conv, ConvTranspose and Gemm node ran on ${WEBGPU_EP}, not a silent CPU fallback`, () => {
    if (webgpuError) throw new Error(webgpuError);
    const webgpu = gpuModels.filter((m) => m.ep === 'webgpu');
    expect(webgpu).toHaveLength(ARCHS.length * VARIANTS.length * 2);
    const counts = new Map<string, number>();
    for (const m of webgpu) for (const p of m.placement!) counts.set(`${p.op}@${p.provider}`, (counts.get(`${p.op}@${p.provider}`) ?? 0) + 1);
    console.log(`webgpu placement (op@provider: nodes, over ${webgpu.length} graphs): ${[...counts].sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    const problems = webgpu.flatMap((m) => offWebGpu(m.model, m.placement!).map((p) => `${m.label}: ${p}`));
    expect(problems).toEqual([]);
    for (const m of webgpu) expect(m.placement!.filter((p) => HEAVY_OPS.has(p.op)).length, m.label).toBeGreaterThan(0);
  });

  it.skipIf(webgpuOptOut)('the check sees a CPU placement: the same decoder run on the cpu EP is flagged', () => {
    if (webgpuError) throw new Error(webgpuError);
    const control = gpuModels.find((m) => m.ep === 'cpu')!;
    const flagged = offWebGpu(control.model, control.placement!);
    console.log(`placement control (cpu EP): ${flagged.join('; ')}`);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((f) => f.endsWith('ran on CPUExecutionProvider'))).toBe(true);
  });
});

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
