import { checkpointParams } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import type { ModelProto } from '../src/index.js';
import { DataType, encodeModel, formatReport, translateArch, validateModel, validateModelBytes } from '../src/index.js';
import { makeCheckpoint } from './fixtures.js';

const fresh = (precision: 'fp32' | 'fp16' = 'fp32') => {
  const ckpt = makeCheckpoint({ arch: 'small' });
  return translateArch(ckpt.header.arch, checkpointParams(ckpt), { precision });
};
const errors = (m: ModelProto) => validateModel(m).problems.filter((p) => p.severity === 'error').map((p) => `${p.where}: ${p.message}`);

describe('validateModel', () => {
  it('accepts every exported graph with no problem at all', () => {
    for (const p of ['fp32', 'fp16'] as const) {
      for (const m of Object.values(fresh(p))) {
        const r = validateModelBytes(encodeModel(m));
        expect(r.problems).toEqual([]);
        expect(r.ok).toBe(true);
      }
    }
  });

  it('reports a missing opset import', () => {
    const { encoder } = fresh();
    encoder.opset_import = [];
    expect(errors(encoder)).toEqual([expect.stringMatching(/^model: no opset_import/)]);
  });

  it('reports a node input used before it is defined', () => {
    const { decoder } = fresh();
    decoder.graph!.node!.reverse();
    expect(errors(decoder).some((e) => /input "logits" is used before it is defined/.test(e))).toBe(true);
  });

  it('reports initializer data that disagrees with its dims', () => {
    const { encoder } = fresh();
    encoder.graph!.initializer![0].dims = [8, 1, 3, 4];
    expect(errors(encoder)).toContain('initializer encoder/conv1/kernel: raw_data has 288 bytes, dims [8,1,3,4] of float32 need 384');
  });

  it('reports a weight whose shape does not fit its op', () => {
    const { encoder } = fresh();
    const bias = encoder.graph!.initializer!.find((t) => t.name === 'encoder/conv2/bias')!;
    bias.dims = [4];
    bias.raw_data = bias.raw_data!.subarray(0, 16);
    expect(errors(encoder)).toContain('node encoder/conv2/Conv (Conv): bias [4] should be [16]');
    const { decoder } = fresh();
    const k = decoder.graph!.initializer!.find((t) => t.name === 'decoder/fc/kernel')!;
    k.dims = [512, 32]; // transposed: same byte count, wrong use
    expect(errors(decoder).some((e) => /A \[N,32\] has 32 columns but B \[512,32\] has 512 rows/.test(e))).toBe(true);
  });

  it('reports dtypes that disagree (float16 weights fed to a float32 op without a Cast)', () => {
    const { decoder } = fresh('fp16');
    decoder.graph!.node = decoder.graph!.node!.filter((n) => n.op_type !== 'Cast').map((n) => ({ ...n, input: n.input!.map((i) => i.replace(/\/float32$/, '')) }));
    expect(errors(decoder).some((e) => /inputs mix float32 and float16/.test(e))).toBe(true);
  });

  it('reports graph inputs/outputs without types and outputs no node produces', () => {
    const { decoder } = fresh();
    delete decoder.graph!.input![0].type;
    decoder.graph!.output![1].name = 'nothing';
    const e = errors(decoder);
    expect(e).toContain('input z: no tensor type declared');
    expect(e).toContain('output nothing: no node produces this graph output');
  });

  it('reports a declared output shape the graph does not compute', () => {
    const { decoder } = fresh();
    decoder.graph!.output![0].type!.tensor_type!.shape!.dim![2] = { dim_value: 27 };
    expect(errors(decoder)).toContain('output x: declared shape [N,1,27,28] but the graph computes [N,1,28,28]');
  });

  it('warns about auto_pad SAME', () => {
    const { encoder } = fresh();
    encoder.graph!.node![0].attribute!.push({ name: 'auto_pad', type: 3, s: new TextEncoder().encode('SAME_UPPER') });
    const r = validateModel(encoder);
    expect(r.problems.some((p) => p.severity === 'warning' && /auto_pad SAME_UPPER/.test(p.message))).toBe(true);
  });

  it('turns undecodable bytes into a problem, not an exception', () => {
    const r = validateModelBytes(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    expect(r.ok).toBe(false);
    expect(r.problems[0].message).toMatch(/not a valid ONNX protobuf/);
    expect(formatReport(r, 'junk.onnx')).toMatch(/^junk.onnx: INVALID/);
  });

  it('checks int64 reshape shapes', () => {
    const { decoder } = fresh();
    const shape = decoder.graph!.initializer!.find((t) => t.name === 'decoder/reshape/shape')!;
    shape.data_type = DataType.INT32;
    shape.raw_data = shape.raw_data!.subarray(0, 16);
    expect(errors(decoder)).toContain('node decoder/reshape/Reshape (Reshape): shape must be int64, got int32');
  });
});
