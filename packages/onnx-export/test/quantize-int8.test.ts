/**
 * `--quantize int8`: per-channel symmetric int8 kernels (scale = max|w|/127 per
 * output channel, zero point 0) widened by DequantizeLinear along each
 * layout's output-channel axis; biases, inputs and outputs stay float32.
 */
import type { ArchName } from '@vae/format';
import { buildArchSpec, parseManifest } from '@vae/format';
import { checkpointParams } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import type { ModelProto, NodeProto, TensorProto } from '../src/index.js';
import { buildExport, DataType, decodeModel, dequantizeInt8, quantizeInt8PerChannel, runCli, translateArch, validateModel, validateModelBytes } from '../src/index.js';
import { probeDecoder, probeEncoder } from '../src/probe-forward.js';
import { probeBatch } from '../src/check-finite-outputs.js';
import { makeCheckpoint, randomParams, refusal } from './fixtures.js';

function floats(t: TensorProto): Float32Array {
  const raw = t.raw_data!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}
function int8s(t: TensorProto): Int8Array {
  const raw = t.raw_data!;
  return new Int8Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}
const init = (m: ModelProto, name: string) => {
  const t = m.graph!.initializer!.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
};
const axisOf = (n: NodeProto) => Number(n.attribute!.find((a) => a.name === 'axis')!.i);

describe('quantizeInt8PerChannel', () => {
  it('gives each output channel scale max|w|/127, maps its largest magnitude to ±127, rounds half to even, and a zero channel scale 1', () => {
    // dims [2, 3], axis 1: channels are the columns.
    const w = Float32Array.of(1.27, -0.5, 0, -2.54, 0.25, 0);
    const q = quantizeInt8PerChannel(w, [2, 3], 1);
    expect(Array.from(q.scales)).toEqual([Math.fround(2.54 / 127), Math.fround(0.5 / 127), 1]);
    expect(Array.from(q.values)).toEqual([64, -127, 0, -127, 64, 0]); // 1.27/0.02 = 63.5 → 64 (even); 0.25/(0.5/127) = 63.5 → 64
    const back = dequantizeInt8(q, [2, 3]);
    for (let i = 0; i < w.length; i++) expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(q.scales[i % 3] / 2 + 1e-9);
  });

  it('takes the channel along axis 0 of a [out,in,kh,kw] kernel and axis 1 of an [in,out,kh,kw] one', () => {
    const w = new Float32Array(2 * 3 * 2 * 2).map((_, i) => (i + 1) * (i % 2 ? -1 : 1));
    const a0 = quantizeInt8PerChannel(w, [2, 3, 2, 2], 0);
    expect(Array.from(a0.scales)).toEqual([Math.fround(12 / 127), Math.fround(24 / 127)]);
    const a1 = quantizeInt8PerChannel(w, [2, 3, 2, 2], 1);
    expect(Array.from(a1.scales)).toEqual([Math.fround(16 / 127), Math.fround(20 / 127), Math.fround(24 / 127)]);
  });

  it('refuses a non-finite value and data that does not fill its dims', () => {
    expect(() => quantizeInt8PerChannel(Float32Array.of(1, NaN), [2], 0)).toThrow(/^value NaN at flat index 1 cannot be quantized$/);
    expect(() => quantizeInt8PerChannel(new Float32Array(5), [2, 3], 1)).toThrow(/^5 values do not fill dims \[2,3\] \(6\)$/);
  });
});

describe.each(['small', 'base', 'mlp'] as ArchName[])('an int8 %s export', (arch) => {
  it('stores every kernel as INT8 with float32 per-channel scales and int8 zero points of 0, widened by DequantizeLinear along the output-channel axis; biases and I/O stay float32; it validates without warnings', () => {
    const ckpt = makeCheckpoint({ arch });
    const q = buildExport(ckpt, { precision: 'int8' });
    const f = buildExport(ckpt, { precision: 'fp32' });
    expect(q.manifest.precision).toBe('int8');
    for (const which of ['encoder', 'decoder'] as const) {
      expect(q.reports[which].problems, which).toEqual([]);
      const m = decodeModel(q[which]);
      const fm = decodeModel(f[which]);
      for (const v of [...m.graph!.input!, ...m.graph!.output!]) expect(v.type!.tensor_type!.elem_type, v.name).toBe(DataType.FLOAT);
      const deq = m.graph!.node!.filter((n) => n.op_type === 'DequantizeLinear');
      const kernels = fm.graph!.initializer!.filter((t) => t.name!.endsWith('/kernel'));
      expect(deq.map((n) => n.input![0]).sort()).toEqual(kernels.map((t) => t.name).sort());
      for (const n of deq) {
        const name = n.input![0];
        const consumer = m.graph!.node!.find((c) => c.input!.includes(n.output![0]))!;
        expect(axisOf(n), `${name} feeds ${consumer.op_type}`).toBe({ Conv: 0, ConvTranspose: 1, Gemm: 1 }[consumer.op_type!]);
        const t = init(m, name);
        expect(t.data_type).toBe(DataType.INT8);
        const scale = init(m, `${name}/scale`);
        expect(scale.data_type).toBe(DataType.FLOAT);
        const zero = init(m, `${name}/zero_point`);
        expect(zero.data_type).toBe(DataType.INT8);
        expect(Array.from(int8s(zero)).every((v) => v === 0)).toBe(true);
        // Round trip against the fp32 export's kernel, in the same ONNX layout.
        const dims = t.dims!.map(Number);
        const w = floats(init(fm, name));
        const expected = quantizeInt8PerChannel(w, dims, axisOf(n));
        expect(Array.from(floats(scale))).toEqual(Array.from(expected.scales));
        expect(Array.from(int8s(t))).toEqual(Array.from(expected.values));
        const back = dequantizeInt8({ values: int8s(t), scales: floats(scale), axis: axisOf(n) }, dims);
        let worst = 0;
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(back[i] - w[i]) / expected.scales[Math.floor(i / (w.length / dims[0] / (axisOf(n) ? dims[1] : 1))) % dims[axisOf(n)]]);
        // Half a step, plus float32 rounding of the scale (2^-24 relative) times |q| <= 127 and of the product.
        expect(worst, `${name}: error in units of its channel's scale`).toBeLessThanOrEqual(0.5 + 128 * 2 ** -23);
      }
      for (const b of fm.graph!.initializer!.filter((t) => t.name!.endsWith('/bias'))) {
        expect(init(m, b.name!).data_type, b.name!).toBe(DataType.FLOAT);
        expect(Array.from(floats(init(m, b.name!)))).toEqual(Array.from(floats(b)));
      }
      // Every kernel shrinks 4x; biases, scales and the doc strings stay (small's encoder measured 0.35x).
      expect(q[which].length).toBeLessThan(f[which].length * 0.4);
    }
    expect(parseManifest(JSON.stringify(q.manifest))).toEqual(q.manifest);
  });

  it('works for a conditional model: the graphs take y beside x and z', () => {
    const q = buildExport(makeCheckpoint({ arch, classes: 10 }), { precision: 'int8' });
    expect(q.manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x', 'y']);
    expect(q.manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z', 'y']);
    expect(q.reports.encoder.problems).toEqual([]);
    expect(q.reports.decoder.problems).toEqual([]);
  });
});

describe('int8 export options', () => {
  it('refuses opset 12, naming DequantizeLinear per-channel axis as the reason', () => {
    const ckpt = makeCheckpoint({ arch: 'small' });
    const e = refusal(() => translateArch(ckpt.header.arch, checkpointParams(ckpt), { precision: 'int8', opset: 12 }));
    expect(e.code).toBe('usage');
    expect(e.message).toBe('int8 weights need DequantizeLinear with a per-channel axis, which ONNX has from opset 13; got opset 12');
  });

  it('refuses an unknown precision, listing the three', () => {
    const ckpt = makeCheckpoint({ arch: 'small' });
    const e = refusal(() => translateArch(ckpt.header.arch, checkpointParams(ckpt), { precision: 'int4' as never }));
    expect(e.message).toBe('precision must be one of fp32, fp16, int8, got int4');
  });

  it('vae-export --quantize int8 writes an int8 manifest; another value and --fp16 with it are usage errors', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };
    expect(await runCli(['--checkpoint', 'x', '--out', 'y', '--quantize', 'int4'], io)).toBe(2);
    expect(err.join('')).toBe('vae-export: --quantize must be int8, got int4\n');
    err.length = 0;
    expect(await runCli(['--checkpoint', 'x', '--out', 'y', '--quantize', 'int8', '--fp16'], io)).toBe(2);
    expect(err.join('')).toBe('vae-export: --fp16 and --quantize int8 are two weight precisions; give one\n');
  });
});

describe('the probe pass of an int8 export', () => {
  it('runs the dequantized kernels and the float32 biases: the same numbers as an fp32 pass over weights quantized by hand', () => {
    const spec = buildArchSpec({ arch: 'small' });
    const params = randomParams(spec, 3);
    const byHand = new Map(params);
    const layers = [...spec.encoder.trunk, spec.encoder.mu, spec.encoder.logvar, ...spec.decoder];
    for (const l of layers) {
      const k = params.get(`${l.name}/kernel`);
      if (!k) continue;
      const [dims, axis] =
        l.kind === 'conv2d' ? [[l.kernelSize, l.kernelSize, l.inChannels, l.outChannels], 3] : l.kind === 'conv2dTranspose' ? [[l.kernelSize, l.kernelSize, l.outChannels, l.inChannels], 2] : l.kind === 'dense' ? [[l.inFeatures, l.outFeatures], 1] : [[], 0];
      byHand.set(`${l.name}/kernel`, dequantizeInt8(quantizeInt8PerChannel(k, dims as number[], axis as number), dims as number[]));
    }
    const { x, z } = probeBatch(spec);
    const q = probeDecoder(spec, params, z, 'int8');
    expect(Array.from(q.outputs.logits.data)).toEqual(Array.from(probeDecoder(spec, byHand, z, 'fp32').outputs.logits.data));
    expect(Array.from(probeEncoder(spec, params, x, 'int8').outputs.mu.data)).toEqual(Array.from(probeEncoder(spec, byHand, x, 'fp32').outputs.mu.data));
    // And it is not simply the fp32 pass.
    expect(Array.from(q.outputs.logits.data)).not.toEqual(Array.from(probeDecoder(spec, params, z, 'fp32').outputs.logits.data));
  });
});

describe('the validator on DequantizeLinear', () => {
  const graph = (scaleLen: number, axis: number, zeroType: number = DataType.INT8) => {
    const b = buildExport(makeCheckpoint({ arch: 'mlp' }), { precision: 'int8' });
    const m = decodeModel(b.decoder);
    const n = m.graph!.node!.find((x) => x.op_type === 'DequantizeLinear')!;
    n.attribute = [{ name: 'axis', type: 2, i: axis }];
    const scale = init(m, n.input![1]);
    scale.dims = [scaleLen];
    scale.raw_data = new Uint8Array(4 * scaleLen);
    const zero = init(m, n.input![2]);
    zero.dims = [scaleLen];
    zero.data_type = zeroType;
    zero.raw_data = new Uint8Array(scaleLen);
    return { m, n };
  };

  it('knows the op: an exported int8 graph has no "not known" warning', () => {
    const b = buildExport(makeCheckpoint({ arch: 'mlp' }), { precision: 'int8' });
    expect(validateModelBytes(b.decoder).problems).toEqual([]);
  });

  it('errors when the per-axis scale does not match x along axis, and when the zero point has another type than x', () => {
    const { m, n } = graph(3, 1);
    const r = validateModel(m);
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.where === `node ${n.name} (DequantizeLinear)` && /^x_scale has 3 values but x \[\d+,\d+\] has \d+ along axis 1$/.test(p.message))).toBe(true);
    const { m: m2 } = graph(3, 1, DataType.UINT8);
    expect(validateModel(m2).problems.map((p) => p.message)).toContain('x_zero_point is uint8 but x is int8; they must have one type');
  });
});
