/**
 * Valid ONNX models the validator used to reject (one per cause found by
 * running it over Debian's libonnx-testdata), and next to each the nearest
 * certainly-wrong model, which must still be an error.
 */
import { describe, expect, it } from 'vitest';
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../src/index.js';
import { DataType, decodeModel, encodeModel, validateModel } from '../src/index.js';

type Shape = (number | string | null)[];
const tensor = (name: string, elem: number, shape?: Shape): ValueInfoProto => ({
  name,
  type: { tensor_type: { elem_type: elem, ...(shape ? { shape: { dim: shape.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}) } },
});
const node = (op_type: string, input: string[], output: string[], attribute: NodeProto['attribute'] = [], domain?: string): NodeProto => ({ op_type, input, output, attribute, name: op_type.toLowerCase(), ...(domain ? { domain } : {}) });
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const str = (name: string, v: string) => ({ name, type: 3, s: new TextEncoder().encode(v) });
const floats = (name: string, dims: number[]): TensorProto => ({ name, data_type: DataType.FLOAT, dims, raw_data: new Uint8Array(4 * dims.reduce((a, b) => a * b, 1)) });

function model(g: { nodes: NodeProto[]; inputs?: ValueInfoProto[]; outputs: ValueInfoProto[]; inits?: TensorProto[]; opsets?: { domain: string; version: number }[] }): ModelProto {
  const m: ModelProto = {
    ir_version: 8,
    opset_import: g.opsets ?? [{ domain: '', version: 17 }],
    graph: { name: 'g', node: g.nodes, input: g.inputs ?? [], output: g.outputs, initializer: g.inits ?? [] },
  };
  return decodeModel(encodeModel(m)); // through the wire format, as --check sees a file
}
const errors = (m: ModelProto) => validateModel(m).problems.filter((p) => p.severity === 'error').map((p) => `${p.where}: ${p.message}`);
const warnings = (m: ModelProto) => validateModel(m).problems.filter((p) => p.severity === 'warning').map((p) => `${p.where}: ${p.message}`);

describe('validateModel accepts valid models it cannot fully infer', () => {
  it('accepts a Reshape whose target shape is computed by another node, with a warning', () => {
    const m = model({
      nodes: [node('Shape', ['y'], ['s']), node('Reshape', ['x', 's'], ['out'])],
      inputs: [tensor('x', DataType.FLOAT, [2, 6]), tensor('y', DataType.FLOAT, [3, 4])],
      outputs: [tensor('out', DataType.FLOAT, [3, 4])],
    });
    expect(errors(m)).toEqual([]);
    expect(warnings(m)).toContain('node reshape (Reshape): the target shape is computed at run time; the output shape is not checked');
  });

  it('still rejects a Reshape shape input of a known non-int64 type, and a size that cannot fit', () => {
    const shape: TensorProto = { name: 's', data_type: DataType.INT64, dims: [2], int64_data: [5, -1] };
    const m = model({ nodes: [node('Reshape', ['x', 's'], ['out'])], inputs: [tensor('x', DataType.FLOAT, [2, 6]), tensor('s32', DataType.INT32, [2])], outputs: [tensor('out', DataType.FLOAT)], inits: [shape] });
    expect(errors(m)).toEqual(['node reshape (Reshape): cannot reshape [2,6] to [5,-1]: 12 values do not divide into 5']);
    m.graph!.node![0].input = ['x', 's32'];
    expect(errors(m)).toEqual(['node reshape (Reshape): shape must be int64, got int32']);
  });

  it('resolves -1 against a symbolic batch copied with 0', () => {
    const shape: TensorProto = { name: 's', data_type: DataType.INT64, dims: [2], int64_data: [0, -1] };
    const m = model({ nodes: [node('Reshape', ['x', 's'], ['out'])], inputs: [tensor('x', DataType.FLOAT, ['N', 4, 7])], outputs: [tensor('out', DataType.FLOAT, ['N', 27])], inits: [shape] });
    expect(errors(m)).toEqual(['output out: declared shape [N,27] but the graph computes [N,28]']);
  });

  it('accepts sequence and optional graph inputs and outputs', () => {
    const seq: ValueInfoProto = { name: 'seq', type: { sequence_type: { elem_type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'n' }] } } } } } };
    const opt: ValueInfoProto = { name: 'opt', type: { optional_type: { elem_type: { tensor_type: { elem_type: DataType.FLOAT } } } } };
    const m = model({
      nodes: [node('SequenceLength', ['seq'], ['len']), node('OptionalHasElement', ['opt'], ['has']), node('Identity', ['seq'], ['seq_out'])],
      inputs: [seq, opt],
      outputs: [tensor('len', DataType.INT64, []), tensor('has', DataType.BOOL, []), { ...seq, name: 'seq_out' }],
      opsets: [{ domain: '', version: 18 }],
    });
    expect(errors(m)).toEqual([]);
  });

  it('still rejects a graph input with no type at all', () => {
    const m = model({ nodes: [node('Identity', ['x'], ['y'])], inputs: [{ name: 'x' }], outputs: [tensor('y', DataType.FLOAT, [1])] });
    expect(errors(m)).toEqual(['input x: no tensor type declared']);
  });

  it('infers 1-D Conv and 3-D ConvTranspose shapes', () => {
    const conv1d = model({
      nodes: [node('Conv', ['x', 'w'], ['y'], [ints('pads', [1, 1]), ints('strides', [2])])],
      inputs: [tensor('x', DataType.FLOAT, [1, 2, 9])],
      outputs: [tensor('y', DataType.FLOAT, [1, 4, 5])],
      inits: [floats('w', [4, 2, 3])],
    });
    expect(errors(conv1d)).toEqual([]);
    const deconv3d = model({
      nodes: [node('ConvTranspose', ['x', 'w'], ['y'], [ints('pads', [0, 0, 0, 0, 0, 0]), ints('strides', [2, 2, 2]), ints('output_padding', [1, 0, 0])])],
      inputs: [tensor('x', DataType.FLOAT, ['N', 3, 2, 3, 4])],
      outputs: [tensor('y', DataType.FLOAT, ['N', 5, 6, 7, 9])],
      inits: [floats('w', [3, 5, 3, 3, 3])],
    });
    expect(errors(deconv3d)).toEqual([]);
  });

  it('still rejects a 3-D Conv whose weight expects other channels, or has another rank', () => {
    const m = model({
      nodes: [node('Conv', ['x', 'w'], ['y'], [ints('pads', [0, 0, 0, 0, 0, 0])])],
      inputs: [tensor('x', DataType.FLOAT, [1, 2, 4, 4, 4])],
      outputs: [tensor('y', DataType.FLOAT)],
      inits: [floats('w', [4, 3, 3, 3, 3])],
    });
    expect(errors(m)).toEqual(['node conv (Conv): input has 2 channels but the weight [4,3,3,3,3] expects 3']);
    m.graph!.initializer = [floats('w', [4, 2, 3, 3])];
    expect(errors(m)).toEqual(['node conv (Conv): weight [4,2,3,3] has rank 4 but the input [1,2,4,4,4] has rank 5']);
  });

  it('infers auto_pad SAME and ConvTranspose output_shape as the specification does', () => {
    const same = model({
      nodes: [node('Conv', ['x', 'w'], ['y'], [str('auto_pad', 'SAME_LOWER'), ints('strides', [2, 2])])],
      inputs: [tensor('x', DataType.FLOAT, [1, 1, 5, 5])],
      outputs: [tensor('y', DataType.FLOAT, [1, 1, 3, 3])],
      inits: [floats('w', [1, 1, 3, 3])],
    });
    expect(errors(same)).toEqual([]);
    const tSame = model({
      nodes: [node('ConvTranspose', ['x', 'w'], ['y'], [str('auto_pad', 'SAME_UPPER'), ints('strides', [2, 2])])],
      inputs: [tensor('x', DataType.FLOAT, [1, 1, 3, 3])],
      outputs: [tensor('y', DataType.FLOAT, [1, 2, 6, 6])],
      inits: [floats('w', [1, 2, 3, 3])],
    });
    expect(errors(tSame)).toEqual([]);
    const outShape = model({
      nodes: [node('ConvTranspose', ['x', 'w'], ['y'], [ints('output_shape', [10, 8]), ints('strides', [3, 2])])],
      inputs: [tensor('x', DataType.FLOAT, [1, 1, 3, 3])],
      outputs: [tensor('y', DataType.FLOAT, [1, 2, 10, 8])],
      inits: [floats('w', [1, 2, 3, 3])],
    });
    expect(errors(outShape)).toEqual([]);
    outShape.graph!.output![0].type!.tensor_type!.shape!.dim![3] = { dim_value: 9 };
    expect(errors(outShape)).toEqual(['output y: declared shape [1,2,10,9] but the graph computes [1,2,10,8]']);
  });

  it('accepts integer arithmetic and integer Clip, and still rejects mixed or non-numeric types', () => {
    const m = model({
      nodes: [node('Add', ['a', 'b'], ['c']), node('Mul', ['c', 'b'], ['d']), node('Clip', ['d'], ['e'])],
      inputs: [tensor('a', DataType.INT32, [3]), tensor('b', DataType.INT32, [3])],
      outputs: [tensor('e', DataType.INT32, [3])],
    });
    expect(errors(m)).toEqual([]);
    m.graph!.input![1] = tensor('b', DataType.INT64, [3]);
    m.graph!.output![0] = tensor('e', DataType.INT32, [3]);
    expect(errors(m)).toContain('node add (Add): inputs mix int32 and int64; Add needs one type (Cast the weights first)');
    m.graph!.input = [tensor('a', DataType.BOOL, [3]), tensor('b', DataType.BOOL, [3])];
    expect(errors(m)[0]).toMatch(/^node add \(Add\): Add does not take bool inputs \(it takes float32, float16, float64, bfloat16, int8, /);
  });

  it('accepts ops of an imported non-default domain with a warning, and rejects an unimported one', () => {
    const opsets = [{ domain: 'ai.onnx.preview.training', version: 1 }];
    const m = model({
      nodes: [node('Momentum', ['r', 't', 'x', 'g', 'v'], ['x2', 'v2'], [], 'ai.onnx.preview.training')],
      inputs: ['r', 'x', 'g', 'v'].map((n) => tensor(n, DataType.FLOAT, [])).concat(tensor('t', DataType.INT64, [])),
      outputs: [tensor('x2', DataType.FLOAT, []), tensor('v2', DataType.FLOAT, [])],
      opsets,
    });
    expect(errors(m)).toEqual([]);
    expect(warnings(m)).toContain('node momentum (Momentum): operator Momentum of domain "ai.onnx.preview.training" is not known to this validator; its output types and shapes are not checked');
    m.graph!.node![0].domain = 'com.example';
    expect(errors(m)).toEqual(['node momentum (Momentum): domain "com.example" is not imported: opset_import lists "ai.onnx.preview.training"']);
    m.graph!.node![0] = node('Identity', ['x'], ['x2']);
    m.graph!.output = [tensor('x2', DataType.FLOAT, [])];
    expect(errors(m)).toEqual(['node identity (Identity): domain "" (the default ONNX domain) is not imported: opset_import lists "ai.onnx.preview.training"']);
  });

  it('accepts unknown dimensions and a graph with no inputs, with warnings only where something is not checked', () => {
    const c: TensorProto = { name: 'k', data_type: DataType.FLOAT, dims: [2], float_data: [1, 2] };
    const m = model({ nodes: [node('Identity', ['k'], ['y'])], outputs: [tensor('y', DataType.FLOAT, [null])], inits: [c] });
    expect(errors(m)).toEqual([]);
    expect(warnings(m)).toEqual(['output y: dimension 0 is unknown (neither dim_value nor dim_param); it is not checked']);
    m.graph!.output = [tensor('y', DataType.FLOAT, [3])];
    expect(errors(m)).toEqual(['output y: declared shape [3] but the graph computes [2]']);
  });
});
