/**
 * Parity of residual-block models (`resBlocks: 2`): the trainer's tfjs forward
 * pass vs the exported graphs on onnxruntime-node (cpu), fp32 and fp16, for
 * small (fresh and briefly trained, latent 64) and base (fresh), batch 1 and
 * 64 on real MNIST test images; the exporter's probe forward pass vs ORT for
 * fp32, fp16 and int8; and the SDK's Node entry decoding the same images as
 * tfjs. Tolerances are the existing parity tests' (harness PARITY_TOLERANCE;
 * probe 1e-4 as in probe-forward.test.ts and int8-parity.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchConfig } from '@vae/format';
import type { VaeModel } from '@vae/trainer';
import { ADAM_DEFAULTS, buildArchSpec, createVaeModel, loadMnist, selectBackend, TrainStep } from '@vae/trainer';
import type { BuiltExport } from '@vae/onnx-export';
import { buildExport, decodeModel } from '@vae/onnx-export';
import { beforeAll, describe, expect, it } from 'vitest';
import { VAE } from '../../packages/sdk/src/node.js';
import { probeDecoder, probeEncoder } from '../../packages/onnx-export/src/probe-forward.js';
import { makeCheckpoint } from '../../packages/onnx-export/test/fixtures.js';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, normals, PARITY_TOLERANCE, runCpu } from './harness.js';

const TOL = PARITY_TOLERANCE;
const PROBE_TOL = 1e-4;
const CASES: { label: string; config: Partial<ArchConfig> & Pick<ArchConfig, 'arch'>; steps: number }[] = [
  { label: 'small resBlocks 2 latent 64, fresh', config: { arch: 'small', resBlocks: 2, latent: 64 }, steps: 0 },
  { label: 'small resBlocks 2 latent 64, trained', config: { arch: 'small', resBlocks: 2, latent: 64 }, steps: 4 },
  { label: 'base resBlocks 2, fresh', config: { arch: 'base', resBlocks: 2 }, steps: 0 },
];
const BATCHES = [1, 64] as const;

interface Built {
  label: string;
  model: VaeModel;
  params: Map<string, Float32Array>;
  fp32: BuiltExport;
  latents: Float32Array;
  /** tfjs outputs on the first 64 test images and latents (NHWC). */
  ref: { mu: Float32Array; logvar: Float32Array; logits: Float32Array; x: Float32Array };
}

let images: Float32Array;
let trainImages: Float32Array;
const built: Built[] = [];

/** ORT cpu keeping DequantizeLinear's own semantics (see runCpu), on one feed. */
async function runQdq(model: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  return (await runCpu(model, [feeds], { keepQdq: true }))[0];
}

async function tfjsOutputs(model: VaeModel, x: Float32Array, z: Float32Array, n: number) {
  const latent = model.spec.config.latent;
  const xT = tf.tensor4d(x.subarray(0, n * 784), [n, 28, 28, 1]);
  const zT = tf.tensor2d(z.subarray(0, n * latent), [n, latent]);
  const { mu, logvar } = model.encode(xT);
  const logits = model.decodeLogits(zT);
  const sx = tf.sigmoid(logits);
  const out = { mu: (await mu.data()) as Float32Array, logvar: (await logvar.data()) as Float32Array, logits: (await logits.data()) as Float32Array, x: (await sx.data()) as Float32Array };
  tf.dispose([xT, zT, mu, logvar, logits, sx]);
  return out;
}

beforeAll(async () => {
  await selectBackend('cpu', { threads: 1 });
  const mnist = await loadMnist();
  images = Float32Array.from(mnist.test.images.subarray(0, 64 * 784), (v) => v / 255);
  trainImages = Float32Array.from(mnist.train.images.subarray(0, 4 * 32 * 784), (v) => v / 255);
  for (const c of CASES) {
    const spec = buildArchSpec(c.config);
    const model = createVaeModel(spec, 7);
    const step = new TrainStep(model, { lr: 2e-3, ...ADAM_DEFAULTS });
    for (let s = 0; s < c.steps; s++) await step.step(trainImages.slice(s * 32 * 784, (s + 1) * 32 * 784), 32, normals(32 * spec.config.latent, 100 + s), 1);
    const params = await model.readParams();
    const { arch, ...config } = c.config;
    const fp32 = buildExport(makeCheckpoint({ arch, config, params }), { name: `res-${arch}`, createdAt: new Date(0) });
    const latents = normals(64 * spec.config.latent, 11);
    built.push({ label: c.label, model, params, fp32, latents, ref: await tfjsOutputs(model, images, latents, 64) });
  }
}, 300_000);

describe('resBlocks 2: exported graphs on onnxruntime-node match the trainer', () => {
  it('write each block as Conv, Relu, Conv, Add, Relu at opset 17, and nothing else new', () => {
    for (const b of built) {
      for (const [side, bytes] of [['encoder', b.fp32.encoder], ['decoder', b.fp32.decoder]] as const) {
        const m = decodeModel(bytes);
        expect(m.opset_import?.[0]?.version).toBe(17);
        const nodes = m.graph!.node!;
        const adds = nodes.filter((n) => n.op_type === 'Add');
        expect(adds.map((n) => n.name), `${b.label} ${side}`).toEqual([`${side}/res0/Add`, `${side}/res1/Add`]);
        // The skip reads the block's input itself: conv3's Relu in the encoder, the Reshape in the decoder.
        const producer = nodes.find((n) => n.output?.includes(adds[0].input![0]));
        expect(producer?.name).toBe(side === 'encoder' ? 'encoder/conv3/Relu' : 'decoder/reshape/Reshape');
        // The second block's skip is the first block's output Relu.
        expect(adds[1].input![0]).toBe(nodes.find((n) => n.name === `${side}/res0/Relu`)?.output?.[0]);
        expect(new Set(nodes.map((n) => n.op_type))).toEqual(new Set(side === 'encoder' ? ['Conv', 'Relu', 'Add', 'Flatten', 'Gemm', 'Clip'] : ['Gemm', 'Relu', 'Reshape', 'Conv', 'Add', 'ConvTranspose', 'Sigmoid']));
      }
    }
  });

  for (const precision of ['fp32', 'fp16'] as const) {
    it(`${precision}: encoder mu/logvar and decoder logits/x within the parity tolerance, batches 1 and 64`, async () => {
      for (const b of built) {
        const exp = precision === 'fp32' ? b.fp32 : buildExport(makeCheckpoint({ arch: b.model.spec.config.arch, config: { ...b.model.spec.config }, params: b.params }), { precision, createdAt: new Date(0) });
        const latent = b.model.spec.config.latent;
        for (const n of BATCHES) {
          const ref = n === 64 ? b.ref : await tfjsOutputs(b.model, images, b.latents, n);
          const [[enc], [dec]] = await Promise.all([
            runCpu(exp.encoder, [{ x: nhwcToNchw(images.slice(0, n * 784), [n, 28, 28, 1]) }]),
            runCpu(exp.decoder, [{ z: { data: b.latents.slice(0, n * latent), dims: [n, latent] } }]),
          ]);
          const d = { mu: maxAbsDiff(enc.mu.data, ref.mu), logvar: maxAbsDiff(enc.logvar.data, ref.logvar), logits: maxAbsDiff(nchwToNhwc(dec.logits), ref.logits), x: maxAbsDiff(nchwToNhwc(dec.x), ref.x) };
          console.log(`res parity ${b.label} ${precision} batch ${n}: ${JSON.stringify(d)}`);
          if (precision === 'fp32') {
            for (const k of ['mu', 'logvar', 'logits', 'x'] as const) expect(d[k], `${b.label} ${k} batch ${n}`).toBeLessThan(TOL.cpu[k]);
          } else {
            expect(d.x, `${b.label} x batch ${n}`).toBeLessThan(TOL.fp16.x);
          }
        }
      }
    });
  }

  it('the exporter\'s probe forward pass gives what ORT gives for fp32, fp16 and int8', async () => {
    for (const b of built) {
      const spec = b.model.spec;
      const latent = spec.config.latent;
      const x = { data: images.slice(0, 8 * 784), dims: [8, 28, 28, 1] };
      const z = { data: b.latents.slice(0, 8 * latent), dims: [8, latent] };
      for (const precision of ['fp32', 'fp16', 'int8'] as const) {
        const exp = buildExport(makeCheckpoint({ arch: spec.config.arch, config: { ...spec.config }, params: b.params }), { precision, createdAt: new Date(0) });
        const [enc, dec] = await Promise.all([runQdq(exp.encoder, { x: nhwcToNchw(x.data, x.dims) }), runQdq(exp.decoder, { z })]);
        const pe = probeEncoder(spec, b.params, x, precision);
        const pd = probeDecoder(spec, b.params, z, precision);
        const d = { mu: maxAbsDiff(pe.outputs.mu.data, enc.mu.data), logvar: maxAbsDiff(pe.outputs.logvar.data, enc.logvar.data), logits: maxAbsDiff(pd.outputs.logits.data, nchwToNhwc(dec.logits)), x: maxAbsDiff(pd.outputs.x.data, nchwToNhwc(dec.x)) };
        console.log(`res probe vs ORT ${b.label} ${precision}: ${JSON.stringify(d)}`);
        for (const [k, v] of Object.entries(d)) expect(v, `${b.label} ${precision} ${k}`).toBeLessThan(PROBE_TOL);
        expect(pe.firstNonFinite).toBeNull();
        expect(pd.firstNonFinite).toBeNull();
      }
    }
  });

  it('the SDK (Node entry) loads the export unchanged and decodes the images tfjs gives', async () => {
    for (const b of built) {
      const dir = mkdtempSync(join(tmpdir(), 'vae-res-sdk-'));
      writeFileSync(join(dir, 'encoder.onnx'), b.fp32.encoder);
      writeFileSync(join(dir, 'decoder.onnx'), b.fp32.decoder);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(b.fp32.manifest, null, 2));
      const vae = await VAE.load(dir, { device: 'cpu' });
      try {
        const latent = b.model.spec.config.latent;
        expect(vae.info.latent).toBe(latent);
        const out = await vae.decode(b.latents.slice(0, 16 * latent));
        expect(out.shape).toEqual([16, 1, 28, 28]);
        const d = maxAbsDiff(nchwToNhwc({ data: out.data, dims: [...out.shape] }), b.ref.x.subarray(0, 16 * 784));
        console.log(`res SDK decode ${b.label}: max |dx| ${d}`);
        expect(d, b.label).toBeLessThan(TOL.cpu.x);
        const { mu } = await vae.encode({ data: images.slice(0, 16 * 784), shape: [16, 1, 28, 28] });
        expect(maxAbsDiff(mu.data, b.ref.mu.subarray(0, 16 * latent)), `${b.label} mu`).toBeLessThan(TOL.cpu.mu);
      } finally {
        vae.dispose();
      }
    }
  });
});
