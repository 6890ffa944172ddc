/**
 * Parity of the `celeba` export (64x64 RGB, latent 256, BatchNorm folded into
 * every Conv and ConvTranspose) with an evaluation-mode forward pass, on
 * onnxruntime-node cpu, onnxruntime-node webgpu (SwiftShader) and the fp16
 * export, batch 1 and 64, against the trainer's own tfjs model in evaluation
 * mode, for fresh weights (BatchNorm at its initial gamma 1, beta 0, mean 0,
 * variance 1) and after a few of the trainer's training steps (trained gamma
 * and beta, running statistics moved by the batches). Held to
 * PARITY_TOLERANCE, the table every parity test shares; the trainer itself is
 * checked at batch 1 against a float64 TypeScript conv + BatchNorm pass.
 * Prints the parity table.
 */
import { buildArchSpec } from '@vae/format';
import type { ArchSpec } from '@vae/format';
import type { BuiltExport } from '@vae/onnx-export';
import { buildExport, decodeModel } from '@vae/onnx-export';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint, rng } from '../../packages/onnx-export/test/fixtures.js';
import { evalForward, REFERENCE_NAME, TRAIN_STEPS, tsForward, variantParams } from './celeba-reference.js';
import type { Tensor } from './harness.js';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, normals, PARITY_TOLERANCE, runCpu, WEBGPU_EP, WEBGPU_OPT_OUT, WebGpuBatch, webgpuUnavailableReason } from './harness.js';

const VARIANTS = ['fresh', 'trained'] as const;
const BATCHES = [1, 64] as const;
const OUTPUTS = ['mu', 'logvar', 'logits', 'x'] as const;
type Variant = (typeof VARIANTS)[number];
type Output = (typeof OUTPUTS)[number];
const TOL = PARITY_TOLERANCE;

const spec: ArchSpec = buildArchSpec({ arch: 'celeba' });
const [H, W, C] = spec.config.imageShape;
const LATENT = spec.config.latent;
const PX = H * W * C;

interface Case {
  variant: Variant;
  params: Map<string, Float32Array>;
  fp32: BuiltExport;
  fp16: BuiltExport;
  /** Reference outputs (tfjs layout), by batch. */
  refs: Record<number, Record<Output, Float32Array>>;
  /** max |Δ| keyed `runtime/output/batch`. */
  diffs: Map<string, number>;
}

const cases: Case[] = [];
const webgpuOptOut = process.env[WEBGPU_OPT_OUT] === '1';
let webgpuError: string | null = null;
let images: Float32Array; // NHWC, 64 images
let latents: Float32Array;
let int8Bytes = '-';
/** Heavy nodes of the webgpu graphs that ORT's profile puts elsewhere than the WebGPU EP (a silent CPU fallback). */
const offWebGpu: string[] = [];
let heavyOnWebGpu = 0;
const HEAVY_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm']);

function compare(c: Case, runtime: string, batch: number, enc: Record<string, Tensor>, dec: Record<string, Tensor>) {
  const ref = c.refs[batch];
  const got: Record<Output, ArrayLike<number>> = { mu: enc.mu.data, logvar: enc.logvar.data, logits: nchwToNhwc(dec.logits), x: nchwToNhwc(dec.x) };
  for (const o of OUTPUTS) c.diffs.set(`${runtime}/${o}/${batch}`, maxAbsDiff(got[o], ref[o]));
}

beforeAll(async () => {
  const t0 = Date.now();
  const r = rng(2024);
  // Smooth colour blobs plus noise rather than white noise, so that the images look like images to the convs.
  images = new Float32Array(64 * PX);
  for (let n = 0; n < 64; n++) {
    const [cy, cx, rad] = [r() * H, r() * W, 4 + r() * 20];
    const tint = [r(), r(), r()];
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const inside = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * rad * rad));
        for (let ch = 0; ch < C; ch++) images[((n * H + y) * W + x) * C + ch] = Math.min(1, Math.max(0, inside * tint[ch] + (1 - inside) * 0.9 + 0.1 * (r() - 0.5)));
      }
  }
  latents = normals(64 * LATENT, 31);
  const missing = webgpuOptOut ? null : webgpuUnavailableReason();
  if (missing) webgpuError = `${missing}; or set ${WEBGPU_OPT_OUT}=1 to skip the WebGPU parity tests`;
  const runGpu = !webgpuOptOut && !missing;

  for (const variant of VARIANTS) {
    const params = await variantParams(spec, variant, images);
    const ckpt = makeCheckpoint({ arch: 'celeba', params });
    const c: Case = { variant, params, fp32: buildExport(ckpt, { name: `celeba-${variant}` }), fp16: buildExport(ckpt, { name: `celeba-${variant}`, precision: 'fp16' }), refs: {}, diffs: new Map() };
    for (const b of BATCHES) c.refs[b] = await evalForward(spec, params, images.slice(0, b * PX), latents.slice(0, b * LATENT), b);
    const ts = tsForward(spec, params, images.slice(0, PX), latents.slice(0, LATENT), 1);
    for (const o of OUTPUTS) c.diffs.set(`ts-reference/${o}/1`, maxAbsDiff(ts[o], c.refs[1][o]));
    const amax = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    console.log(`celeba ${variant}: max |mu| ${amax(c.refs[64].mu).toFixed(3)}, max |logvar| ${amax(c.refs[64].logvar).toFixed(3)}, max |logits| ${amax(c.refs[64].logits).toFixed(3)} (batch 64, trainer)`);
    const encFeeds = BATCHES.map((b) => ({ x: nhwcToNchw(images.slice(0, b * PX), [b, H, W, C]) }));
    const decFeeds = BATCHES.map((b) => ({ z: { data: latents.slice(0, b * LATENT), dims: [b, LATENT] } }));
    const [enc32, dec32, enc16, dec16] = [await runCpu(c.fp32.encoder, encFeeds), await runCpu(c.fp32.decoder, decFeeds), await runCpu(c.fp16.encoder, encFeeds), await runCpu(c.fp16.decoder, decFeeds)];
    // ONNX Runtime against the float64 pass too, so a gap to the trainer's float32 tfjs can be placed on one side.
    const ortCpu1: Record<Output, ArrayLike<number>> = { mu: enc32[0].mu.data, logvar: enc32[0].logvar.data, logits: nchwToNhwc(dec32[0].logits), x: nchwToNhwc(dec32[0].x) };
    for (const o of OUTPUTS) c.diffs.set(`ort-cpu-vs-f64/${o}/1`, maxAbsDiff(ortCpu1[o], ts[o]));
    BATCHES.forEach((b, i) => {
      compare(c, 'ort-cpu', b, enc32[i], dec32[i]);
      compare(c, 'ort-cpu-fp16', b, enc16[i], dec16[i]);
    });
    // One child per weight set: SwiftShader takes about 2.5 minutes for one set's graphs at batch 1 and 64 on two cores.
    if (runGpu && !webgpuError) {
      const gpu = new WebGpuBatch();
      const encIds = gpu.add(c.fp32.encoder, encFeeds);
      const decIds = gpu.add(c.fp32.decoder, decFeeds);
      try {
        const { outputs, placement } = gpu.run(600_000);
        [c.fp32.encoder, c.fp32.decoder].forEach((model, i) => {
          // ORT renames nodes it rewrites: `_token_<n>` from the WebGPU EP's NHWC transform, `fused ` from CPU fusion.
          const where = new Map(placement[i].map((p) => [p.name.replace(/^fused /, '').replace(/_token_\d+$/, ''), p.provider]));
          for (const n of decodeModel(model).graph!.node!.filter((n) => HEAVY_OPS.has(n.op_type!))) {
            if (where.get(n.name!) === WEBGPU_EP) heavyOnWebGpu++;
            else offWebGpu.push(`${variant}: ${n.op_type} ${n.name} ran on ${where.get(n.name!) ?? 'nothing (not in the profile)'}`);
          }
        });
        BATCHES.forEach((b, i) => {
          const enc = outputs.get(encIds[i]);
          const dec = outputs.get(decIds[i]);
          if (!enc || !dec) throw new Error(`no webgpu result for ${variant} batch ${b}`);
          compare(c, 'ort-webgpu', b, enc, dec);
        });
      } catch (e) {
        webgpuError = `webgpu runner failed: ${(e as Error).message}`;
      }
    }
    if (variant === 'fresh') int8Bytes = ((e) => `${e.encoder.length} + ${e.decoder.length} bytes`)(buildExport(ckpt, { name: 'celeba-fresh', precision: 'int8' }));
    cases.push(c);
  }
  console.log(`celeba parity: ${cases.length} weight sets, reference ${REFERENCE_NAME}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(() => {
  const lines = [`${'runtime'.padEnd(14)}${'precision'.padEnd(10)}${'weights'.padEnd(10)}${'batch'.padStart(6)}${OUTPUTS.map((o) => o.padStart(10)).join('')}`];
  for (const runtime of ['ort-cpu', 'ort-webgpu', 'ort-cpu-fp16', 'ts-reference', 'ort-cpu-vs-f64']) {
    for (const c of cases) {
      for (const b of BATCHES) {
        if (!c.diffs.has(`${runtime}/x/${b}`)) continue;
        const name = { 'ort-cpu-fp16': 'ort-cpu', 'ts-reference': 'TS float64*', 'ort-cpu-vs-f64': 'ort-cpu**' }[runtime] ?? runtime;
        const precision = runtime === 'ort-cpu-fp16' ? 'fp16' : runtime === 'ts-reference' ? 'float64' : 'fp32';
        lines.push(`${name.padEnd(14)}${precision.padEnd(10)}${c.variant.padEnd(10)}${String(b).padStart(6)}${OUTPUTS.map((o) => c.diffs.get(`${runtime}/${o}/${b}`)!.toExponential(2).padStart(10)).join('')}`);
      }
    }
  }
  const size = (e: BuiltExport) => `${e.encoder.length} + ${e.decoder.length} bytes`;
  console.log(`celeba parity table (max |Δ| vs ${REFERENCE_NAME}, BatchNorm folded; 64x64x3, latent ${LATENT}):\n${lines.join('\n')}\n* the trainer itself against the float64 TS pass; ** ORT cpu against the float64 TS pass instead of the trainer
graph sizes (encoder + decoder): fp32 ${cases[0] ? size(cases[0].fp32) : '-'}, fp16 ${cases[0] ? size(cases[0].fp16) : '-'}, int8 ${int8Bytes}`);
});

describe.each(VARIANTS)('celeba, %s weights', (variant) => {
  const get = () => cases.find((c) => c.variant === variant)!;

  it('onnxruntime-node cpu matches the eval-mode forward pass (mu, logvar, x <= 1e-5; logits <= 1e-4), batch 1 and 64', () => {
    const c = get();
    for (const b of BATCHES) for (const o of OUTPUTS) expect(c.diffs.get(`ort-cpu/${o}/${b}`), `${o} batch ${b}`).toBeLessThanOrEqual(TOL.cpu[o]);
  });

  it.skipIf(webgpuOptOut)('onnxruntime-node webgpu (SwiftShader) matches it (mu, logvar, x <= 1e-4; logits <= 1e-3)', () => {
    if (webgpuError) throw new Error(webgpuError);
    const c = get();
    for (const b of BATCHES) for (const o of OUTPUTS) expect(c.diffs.get(`ort-webgpu/${o}/${b}`), `${o} batch ${b}`).toBeLessThanOrEqual(TOL.webgpu[o]);
  });

  it('the fp16 export matches it on x within 2e-3 and is about half the size', () => {
    const c = get();
    for (const b of BATCHES) expect(c.diffs.get(`ort-cpu-fp16/x/${b}`), `x batch ${b}`).toBeLessThanOrEqual(TOL.fp16.x);
    const size = (e: BuiltExport) => e.encoder.length + e.decoder.length;
    expect(size(c.fp16) / size(c.fp32)).toBeLessThan(0.56);
  });

  it('compares non-trivial outputs (they vary across images and latents)', () => {
    const r = get().refs[64];
    const spread = (a: Float32Array) => a.reduce((m, v) => Math.max(m, v), -Infinity) - a.reduce((m, v) => Math.min(m, v), Infinity);
    expect(spread(r.mu)).toBeGreaterThan(1e-2);
    expect(spread(r.x)).toBeGreaterThan(1e-2);
  });
});

describe('celeba on webgpu', () => {
  it.skipIf(webgpuOptOut)(`every Conv, ConvTranspose and Gemm node ran on ${WEBGPU_EP} (ORT profile), not a silent CPU fallback`, () => {
    if (webgpuError) throw new Error(webgpuError);
    console.log(`celeba webgpu placement: ${heavyOnWebGpu} heavy nodes on ${WEBGPU_EP}, ${offWebGpu.length} elsewhere`);
    expect(offWebGpu).toEqual([]);
    // 4 Conv + 2 Gemm in the encoder, 1 Gemm + 4 ConvTranspose in the decoder, per weight set.
    expect(heavyOnWebGpu).toBe(VARIANTS.length * 11);
  });
});

describe('the trainer side', () => {
  it('the trainer\'s eval-mode pass matches a float64 TS conv + BatchNorm pass at batch 1 within the cpu tolerances (fresh and trained)', () => {
    for (const c of cases) for (const o of OUTPUTS) expect(c.diffs.get(`ts-reference/${o}/1`), `${c.variant} ${o}`).toBeLessThanOrEqual(TOL.cpu[o]);
  });

  it(`after ${TRAIN_STEPS} training steps every BatchNorm's gamma, beta, running mean and variance are far from their initial 1, 0, 0, 1`, () => {
    const trained = cases.find((c) => c.variant === 'trained')!.params;
    const moved: string[] = [];
    for (const [name, t] of trained) {
      const m = /\/bn\/(gamma|beta|mean|variance)$/.exec(name);
      if (!m) continue;
      const init = m[1] === 'gamma' || m[1] === 'variance' ? 1 : 0;
      const d = t.reduce((a, v) => Math.max(a, Math.abs(v - init)), 0);
      moved.push(`${name} ${d.toExponential(1)}`);
      expect(d, name).toBeGreaterThan(1e-3);
    }
    console.log(`largest change from the initial BatchNorm values after ${TRAIN_STEPS} steps: ${moved.join(', ')}`);
    expect(moved).toHaveLength(7 * 4);
  });
});
