import { checkpointParams } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import type { ModelProto, NodeProto } from '../src/index.js';
import { chwToHwcPermutation, DataType, ExportError, permuteConvKernel, permuteConvTransposeKernel, translateArch } from '../src/index.js';
import { makeCheckpoint } from './fixtures.js';

const translate = (arch: 'small' | 'base' | 'mlp', opts = {}) => {
  const ckpt = makeCheckpoint({ arch });
  return translateArch(ckpt.header.arch, checkpointParams(ckpt), opts);
};
const attr = (n: NodeProto, name: string) => n.attribute?.find((a) => a.name === name);
const nodes = (m: ModelProto, op?: string) => (m.graph!.node ?? []).filter((n) => !op || n.op_type === op);
const dims = (m: ModelProto, which: 'input' | 'output') =>
  m.graph![which]!.map((v) => [v.name, v.type!.tensor_type!.elem_type, v.type!.tensor_type!.shape!.dim!.map((d) => d.dim_param ?? d.dim_value)]);

describe('translateArch', () => {
  it.each(['small', 'base', 'mlp'] as const)('%s: NCHW I/O with a symbolic batch, no Transpose, no auto_pad', (arch) => {
    const { encoder, decoder } = translate(arch);
    const latent = arch === 'mlp' ? 20 : 32;
    expect(dims(encoder, 'input')).toEqual([['x', DataType.FLOAT, ['N', 1, 28, 28]]]);
    expect(dims(encoder, 'output')).toEqual([
      ['mu', DataType.FLOAT, ['N', latent]],
      ['logvar', DataType.FLOAT, ['N', latent]],
    ]);
    expect(dims(decoder, 'input')).toEqual([['z', DataType.FLOAT, ['N', latent]]]);
    expect(dims(decoder, 'output')).toEqual([
      ['x', DataType.FLOAT, ['N', 1, 28, 28]],
      ['logits', DataType.FLOAT, ['N', 1, 28, 28]],
    ]);
    for (const m of [encoder, decoder]) {
      expect(nodes(m, 'Transpose')).toHaveLength(0);
      for (const n of nodes(m)) expect(attr(n, 'auto_pad')).toBeUndefined();
      expect(m.ir_version).toBe(8);
      expect(m.opset_import).toEqual([{ domain: '', version: 17 }]);
    }
    // logvar is clipped to [-20, 10]
    const clip = nodes(encoder, 'Clip');
    expect(clip).toHaveLength(1);
    expect(clip[0].output).toEqual(['logvar']);
    const scalar = (name: string) => new DataView(encoder.graph!.initializer!.find((t) => t.name === name)!.raw_data!.buffer).getFloat32(0, true);
    expect([scalar(clip[0].input![1]), scalar(clip[0].input![2])]).toEqual([-20, 10]);
    expect(nodes(decoder, 'Sigmoid')[0]).toMatchObject({ input: ['logits'], output: ['x'] });
  });

  it('writes explicit conv pads and ConvTranspose pads/output_padding that reproduce the spec sizes', () => {
    const small = translate('small');
    for (const n of nodes(small.encoder, 'Conv')) {
      expect(attr(n, 'pads')!.ints).toEqual([1, 1, 1, 1]);
      expect(attr(n, 'strides')!.ints).toEqual([2, 2]);
      expect(attr(n, 'kernel_shape')!.ints).toEqual([3, 3]);
    }
    const op = (m: ModelProto) => nodes(m, 'ConvTranspose').map((n) => [attr(n, 'pads')!.ints, attr(n, 'output_padding')!.ints]);
    expect(op(small.decoder)).toEqual([
      [[1, 1, 1, 1], [0, 0]],
      [[1, 1, 1, 1], [1, 1]],
      [[1, 1, 1, 1], [1, 1]],
    ]);
    expect(op(translate('base').decoder)).toEqual([
      [[1, 1, 1, 1], [1, 1]],
      [[1, 1, 1, 1], [0, 0]],
      [[1, 1, 1, 1], [0, 0]],
    ]);
  });

  it('permutes kernels: conv [kh,kw,in,out] -> [out,in,kh,kw], deconv [kh,kw,out,in] -> [in,out,kh,kw]', () => {
    // 2x2 kernel, 2 in, 3 out: value encodes its tfjs index (y,x,i,o)
    const kh = 2, kw = 2, ci = 2, co = 3;
    const src = new Float32Array(kh * kw * ci * co);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) src[((y * kw + x) * ci + i) * co + o] = y * 1000 + x * 100 + i * 10 + o;
    const conv = permuteConvKernel(src, kh, kw, ci, co);
    expect(conv[((2 * ci + 1) * kh + 1) * kw + 0]).toBe(1 * 1000 + 0 * 100 + 1 * 10 + 2); // o=2,i=1,y=1,x=0
    const dsrc = new Float32Array(src.length); // tfjs deconv [kh,kw,out=3,in=2]
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) dsrc[((y * kw + x) * co + o) * ci + i] = y * 1000 + x * 100 + o * 10 + i;
    const deconv = permuteConvTransposeKernel(dsrc, kh, kw, co, ci);
    expect(deconv[((1 * co + 2) * kh + 0) * kw + 1]).toBe(0 * 1000 + 1 * 100 + 2 * 10 + 1); // i=1,o=2,y=0,x=1
  });

  it('permutes every element of non-square kernels with in != out, and writes that ConvTranspose weight into the decoder', () => {
    // kh != kw and cin != cout, so swapping any two axes moves almost every element; the single
    // element checked above is a fixed point of swapping in and out.
    const kh = 2, kw = 3, ci = 4, co = 5;
    const code = (y: number, x: number, a: number, b: number) => y * 1000 + x * 100 + a * 10 + b;
    const src = new Float32Array(kh * kw * ci * co);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) src[((y * kw + x) * ci + i) * co + o] = code(y, x, i, o);
    const conv = permuteConvKernel(src, kh, kw, ci, co); // ONNX [out, in, kh, kw]
    const dsrc = new Float32Array(src.length); // tfjs deconv [kh, kw, out, in]
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) dsrc[((y * kw + x) * co + o) * ci + i] = code(y, x, o, i);
    const deconv = permuteConvTransposeKernel(dsrc, kh, kw, co, ci); // ONNX [in, out, kh, kw]
    let wrongConv = 0;
    let wrongDeconv = 0;
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) {
            if (conv[((o * ci + i) * kh + y) * kw + x] !== code(y, x, i, o)) wrongConv++;
            if (deconv[((i * co + o) * kh + y) * kw + x] !== code(y, x, o, i)) wrongDeconv++;
          }
    expect({ wrongConv, wrongDeconv }).toEqual({ wrongConv: 0, wrongDeconv: 0 });

    // In a real export: decoder/deconv1 maps 32 -> 16 channels with a 3x3 kernel.
    const ckpt = makeCheckpoint({ arch: 'small' });
    const params = checkpointParams(ckpt);
    const { decoder } = translateArch(ckpt.header.arch, params);
    const t = decoder.graph!.initializer!.find((x) => x.name === 'decoder/deconv1/kernel')!;
    expect(t.dims!.map(Number)).toEqual([32, 16, 3, 3]);
    const onnx = new Float32Array(t.raw_data!.slice().buffer);
    const tf = params.get('decoder/deconv1/kernel')!; // tfjs [3, 3, out=16, in=32]
    let wrong = 0;
    for (let i = 0; i < 32; i++) for (let o = 0; o < 16; o++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) if (onnx[((i * 16 + o) * 3 + y) * 3 + x] !== tf[((y * 3 + x) * 16 + o) * 32 + i]) wrong++;
    expect(wrong).toBe(0);
  });

  it('re-orders the dense rows after the flatten and the columns before the reshape', () => {
    const ckpt = makeCheckpoint({ arch: 'small' });
    const params = checkpointParams(ckpt);
    const { encoder, decoder } = translateArch(ckpt.header.arch, params);
    const perm = chwToHwcPermutation([4, 4, 32]);
    const f32 = (m: ModelProto, name: string) => {
      const t = m.graph!.initializer!.find((x) => x.name === name)!;
      return new Float32Array(t.raw_data!.slice().buffer);
    };
    const mu = params.get('encoder/mu/kernel')!; // [512, 32]
    const onnxMu = f32(encoder, 'encoder/mu/kernel');
    for (const j of [0, 1, 17, 511]) expect(Array.from(onnxMu.subarray(j * 32, j * 32 + 32))).toEqual(Array.from(mu.subarray(perm[j] * 32, perm[j] * 32 + 32)));
    const fc = params.get('decoder/fc/kernel')!; // [32, 512]
    const onnxFc = f32(decoder, 'decoder/fc/kernel');
    for (const j of [0, 5, 300, 511]) expect(onnxFc[3 * 512 + j]).toBe(fc[3 * 512 + perm[j]]);
    expect(f32(decoder, 'decoder/fc/bias')[7]).toBe(params.get('decoder/fc/bias')![perm[7]]);
    expect(perm[1]).toBe(32); // ONNX (c=0,h=0,w=1) is tfjs (h=0,w=1,c=0)
  });

  it('names and documents graphs, nodes, initializers and values', () => {
    for (const m of Object.values(translate('small'))) {
      expect(m.graph!.name).toMatch(/^vae_small_(en|de)coder$/);
      expect(m.graph!.doc_string!.length).toBeGreaterThan(20);
      expect(m.producer_name).toBe('@vae/onnx-export');
      for (const n of nodes(m)) {
        expect(n.name).toMatch(/^(encoder|decoder)\//);
        expect(n.doc_string!.length).toBeGreaterThan(5);
      }
      for (const t of m.graph!.initializer!) expect(t.doc_string!.length).toBeGreaterThan(5);
      for (const v of [...m.graph!.input!, ...m.graph!.output!]) expect(v.doc_string!.length).toBeGreaterThan(5);
    }
  });

  it('--fp16 stores float16 weights, keeps float32 inputs/outputs and Casts each weight', () => {
    const { decoder } = translate('small', { precision: 'fp16' });
    const floats = decoder.graph!.initializer!.filter((t) => t.data_type !== DataType.INT64);
    expect(floats.filter((t) => t.data_type === DataType.FLOAT16).length).toBe(8);
    expect(dims(decoder, 'input')[0][1]).toBe(DataType.FLOAT);
    expect(dims(decoder, 'output').map((d) => d[1])).toEqual([DataType.FLOAT, DataType.FLOAT]);
    expect(nodes(decoder, 'Cast').length).toBe(8);
  });

  it('maps opsets to IR versions and rejects opsets out of range', () => {
    expect(translate('mlp', { opset: 21 }).encoder.ir_version).toBe(10);
    expect(translate('mlp', { opset: 19 }).encoder.ir_version).toBe(9);
    expect(translate('mlp', { opset: 13 }).encoder.ir_version).toBe(7);
    expect(() => translate('mlp', { opset: 22 })).toThrow(/opset 22 is not supported; use 13..21/);
    expect(() => translate('mlp', { opset: 12 })).toThrow(ExportError);
  });

  it('rejects unsupported layers, activations and layer orders with the layer name', () => {
    const ckpt = makeCheckpoint({ arch: 'small' });
    const params = checkpointParams(ckpt);
    const spec = () => structuredClone(ckpt.header.arch);
    const s1 = spec();
    (s1.decoder[2] as { kind: string }).kind = 'batchNorm';
    expect(() => translateArch(s1, params)).toThrow(/decoder\/deconv1: kind "batchNorm" is not supported/);
    const s2 = spec();
    (s2.encoder.trunk[0] as { activation: string }).activation = 'tanh';
    expect(() => translateArch(s2, params)).toThrow(/encoder\/conv1: activation "tanh" is not supported/);
    const s3 = spec();
    s3.decoder.splice(1, 1); // drop the reshape: a deconv would get a vector
    expect(() => translateArch(s3, params)).toThrow(/deconv1: expects a 4×4×32 image/);
    try {
      translateArch(s1, params);
    } catch (e) {
      expect((e as ExportError).code).toBe('unsupported-layer');
    }
  });

  it('rejects NaN and infinite weights, naming the tensor', () => {
    const ckpt = makeCheckpoint({ arch: 'small' });
    const params = checkpointParams(ckpt);
    const bad = new Map(params);
    const b = Float32Array.from(params.get('decoder/deconv2/bias')!);
    b[3] = NaN;
    bad.set('decoder/deconv2/bias', b);
    expect(() => translateArch(ckpt.header.arch, bad)).toThrow(/decoder\/deconv2\/bias has a non-finite value \(NaN\) at flat index 3/);
  });
});
