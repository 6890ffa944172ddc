/**
 * Unconditional models keep their graphs: the committed models/mnist and
 * models/mnist-small were exported before the exporter learnt conditional
 * graphs. Their tfjs weights are recovered from the ONNX initializers (undoing
 * the kernel permutations and the flatten/reshape row and column re-ordering),
 * put back in a checkpoint with the header fields the graphs record, and
 * exported again: every byte of both graphs must come out the same. The
 * committed conditional models/mnist-cvae is checked the same way.
 */
import { readFileSync } from 'node:fs';
import type { ArchName, ArchSpec, ModelManifest } from '@vae/format';
import { buildArchSpec, parseManifest } from '@vae/format';
import type { TensorProto } from '@vae/onnx-export';
import { buildExport, chwToHwcPermutation, DataType, decodeModel } from '@vae/onnx-export';
import { describe, expect, it } from 'vitest';
import { fromFloat16Bits } from '../../packages/onnx-export/src/float16.js';
import { makeCheckpoint } from '../../packages/onnx-export/test/fixtures.js';

const root = new URL('../../models/', import.meta.url);

function floats(t: TensorProto): Float32Array {
  const raw = t.raw_data!;
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  // An fp16 export's weights widen exactly, and narrow back to the same halves.
  if (t.data_type === DataType.FLOAT16) return Float32Array.from(new Uint16Array(bytes), fromFloat16Bits);
  expect(t.data_type).toBe(DataType.FLOAT);
  return new Float32Array(bytes);
}

/** The tfjs-layout parameters whose export gives these initializers (the inverse of translate.ts's weight transforms). */
function recoverParams(spec: ArchSpec, initializers: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const get = (name: string) => {
    const t = initializers.get(name);
    if (!t) throw new Error(`no initializer ${name}`);
    return t;
  };
  const layers = [...spec.encoder.trunk, spec.encoder.mu, spec.encoder.logvar, ...spec.decoder];
  const trunkEnd = spec.encoder.trunk.at(-1)!;
  for (const [i, l] of layers.entries()) {
    if (l.kind === 'conv2d') {
      const { kernelSize: k, inChannels: ci, outChannels: co } = l;
      const src = get(`${l.name}/kernel`);
      const dst = new Float32Array(src.length);
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let a = 0; a < ci; a++) for (let o = 0; o < co; o++) dst[((y * k + x) * ci + a) * co + o] = src[((o * ci + a) * k + y) * k + x];
      out.set(`${l.name}/kernel`, dst);
      out.set(`${l.name}/bias`, get(`${l.name}/bias`));
    } else if (l.kind === 'conv2dTranspose') {
      const { kernelSize: k, inChannels: ci, outChannels: co } = l;
      const src = get(`${l.name}/kernel`);
      const dst = new Float32Array(src.length);
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let o = 0; o < co; o++) for (let a = 0; a < ci; a++) dst[((y * k + x) * co + o) * ci + a] = src[((a * co + o) * k + y) * k + x];
      out.set(`${l.name}/kernel`, dst);
      out.set(`${l.name}/bias`, get(`${l.name}/bias`));
    } else if (l.kind === 'dense') {
      const { inFeatures: nin, outFeatures: nout } = l;
      const isHead = l === spec.encoder.mu || l === spec.encoder.logvar;
      const rows = isHead && trunkEnd.kind === 'flatten' ? chwToHwcPermutation(trunkEnd.inputShape) : null;
      const next = layers[i + 1];
      const cols = !isHead && next?.kind === 'reshape' ? chwToHwcPermutation(next.outputShape) : null;
      const w = get(`${l.name}/kernel`);
      const b = get(`${l.name}/bias`);
      const kernel = new Float32Array(nin * nout);
      const bias = new Float32Array(nout);
      // A conditional head's label rows follow the features, in the trainer's order.
      for (let j = 0; j < nin; j++) for (let o = 0; o < nout; o++) kernel[(rows && j < rows.length ? rows[j] : j) * nout + (cols ? cols[o] : o)] = w[j * nout + o];
      for (let o = 0; o < nout; o++) bias[cols ? cols[o] : o] = b[o];
      out.set(`${l.name}/kernel`, kernel);
      out.set(`${l.name}/bias`, bias);
    }
  }
  return out;
}

/** Re-exports a committed model from the weights recovered from its own graphs. */
function reexport(dir: string) {
  const manifest = parseManifest(readFileSync(new URL(`${dir}/model.json`, root))) as ModelManifest;
  const files = { encoder: new Uint8Array(readFileSync(new URL(`${dir}/encoder.onnx`, root))), decoder: new Uint8Array(readFileSync(new URL(`${dir}/decoder.onnx`, root))) };
  const initializers = new Map<string, Float32Array>();
  for (const g of [files.encoder, files.decoder]) for (const t of decodeModel(g).graph!.initializer!) if ((t.data_type === DataType.FLOAT || t.data_type === DataType.FLOAT16) && t.dims?.length) initializers.set(t.name!, floats(t));
  const spec = buildArchSpec(manifest.archConfig as { arch: ArchName; classes?: number });
  expect(JSON.stringify(spec.config)).toBe(JSON.stringify(manifest.archConfig));
  const classes = spec.config.classes;
  const ckpt = makeCheckpoint({ arch: spec.config.arch, ...(classes ? { classes } : {}), params: recoverParams(spec, initializers), dataset: manifest.dataset });
  // The header fields the graphs record: epochs and test loss.
  ckpt.header.epoch = manifest.training.epochs;
  ckpt.header.metrics = { ...ckpt.header.metrics!, epoch: manifest.training.epochs, testLoss: manifest.training.metrics!.testLoss };
  const again = buildExport(ckpt, { name: manifest.name, createdAt: new Date(manifest.createdAt), precision: manifest.precision, opset: manifest.onnx.opset, ...(manifest.condition ? { classNames: manifest.condition.names } : {}) });
  return { manifest, files, again };
}

function expectSameBytes({ manifest, files, again }: ReturnType<typeof reexport>) {
  for (const which of ['encoder', 'decoder'] as const) {
    expect(again[which].length, `${which} bytes`).toBe(files[which].length);
    expect(Buffer.from(again[which]).equals(Buffer.from(files[which])), `${which} is byte-identical`).toBe(true);
    expect(again.manifest.graphs[which].sha256).toBe(manifest.graphs[which].sha256);
  }
}

describe.each(['mnist', 'mnist-small'])('committed models/%s', (dir) => {
  it('exports again byte for byte from its own weights: the unconditional graphs are unchanged (no y, no condition)', () => {
    const r = reexport(dir);
    expect(r.manifest.condition).toBeUndefined();
    expect('condition' in r.again.manifest).toBe(false);
    expect(r.again.manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x']);
    expect(r.again.manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z']);
    expectSameBytes(r);
  });
});

describe('committed models/mnist-cvae', () => {
  it('exports again byte for byte from its own weights, recovered with the label rows kept after the re-ordered features', () => {
    const r = reexport('mnist-cvae');
    expect(r.manifest.condition?.classes).toBe(10);
    expect(r.again.manifest.condition).toEqual(r.manifest.condition);
    expect(r.again.manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x', 'y']);
    expect(r.again.manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z', 'y']);
    expectSameBytes(r);
  });
});
