import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkpointParams } from '@vae/format/checkpoint';
import { decodeModel, encodeModel, ONNX_PROTO_SOURCE, translateArch } from '../src/index.js';
import { modelProtoType } from '../src/onnx-schema.js';
import { buildExport } from '../src/export.js';
import { makeCheckpoint } from './fixtures.js';

/** Buffers -> plain Uint8Array copies, so deep equality compares bytes only. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    // protobuf cannot tell an empty repeated field from an absent one
    return Object.fromEntries(Object.entries(v).filter(([, x]) => !(Array.isArray(x) && x.length === 0)).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

describe('ONNX schema', () => {
  it('embeds proto/onnx-subset.proto verbatim', () => {
    expect(ONNX_PROTO_SOURCE).toBe(readFileSync(new URL('../proto/onnx-subset.proto', import.meta.url), 'utf8'));
  });

  it('uses the field numbers of the ONNX specification', () => {
    const root = modelProtoType().root;
    const ids = (type: string) => Object.fromEntries(Object.entries(root.lookupType(type).fields).map(([n, f]) => [n, f.id]));
    expect(ids('onnx.ModelProto')).toMatchObject({ ir_version: 1, producer_name: 2, producer_version: 3, domain: 4, model_version: 5, doc_string: 6, graph: 7, opset_import: 8, metadata_props: 14 });
    expect(ids('onnx.GraphProto')).toMatchObject({ node: 1, name: 2, initializer: 5, doc_string: 10, input: 11, output: 12, value_info: 13 });
    expect(ids('onnx.NodeProto')).toMatchObject({ input: 1, output: 2, name: 3, op_type: 4, attribute: 5, doc_string: 6, domain: 7 });
    expect(ids('onnx.AttributeProto')).toMatchObject({ name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, doc_string: 13, type: 20 });
    expect(ids('onnx.TensorProto')).toMatchObject({ dims: 1, data_type: 2, float_data: 4, int64_data: 7, name: 8, raw_data: 9, doc_string: 12 });
    expect(ids('onnx.ValueInfoProto')).toMatchObject({ name: 1, type: 2, doc_string: 3 });
    expect(ids('onnx.TypeProto')).toMatchObject({ tensor_type: 1, denotation: 6 });
    expect(ids('onnx.TypeProto.Tensor')).toMatchObject({ elem_type: 1, shape: 2 });
    expect(ids('onnx.TensorShapeProto.Dimension')).toMatchObject({ dim_value: 1, dim_param: 2 });
    expect(ids('onnx.OperatorSetIdProto')).toMatchObject({ domain: 1, version: 2 });
  });

  it('writes the bytes a protobuf reader expects (hand-decoded ir_version and opset)', () => {
    const bytes = encodeModel({ ir_version: 8, opset_import: [{ domain: '', version: 17 }] });
    // field 1 varint 8; field 8 (length-delimited) { field 1 "" ; field 2 varint 17 }
    expect(Array.from(bytes)).toEqual([0x08, 8, 0x42, 4, 0x0a, 0, 0x10, 17]);
  });

  it.each(['small', 'base', 'mlp'] as const)('decoding the written %s graphs gives back the same model', (arch) => {
    for (const precision of ['fp32', 'fp16'] as const) {
      const built = buildExport(makeCheckpoint({ arch }), { precision, createdAt: new Date(0) });
      for (const bytes of [built.encoder, built.decoder]) {
        const decoded = decodeModel(bytes);
        expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
        expect(decoded.graph!.node!.length).toBeGreaterThan(3);
        expect(decoded.ir_version).toBe(8);
      }
      // and the decoded object equals the object that was encoded, field for field
      const ckpt = makeCheckpoint({ arch });
      const models = translateArch(ckpt.header.arch, checkpointParams(ckpt), { precision, metadata: { k: 'v' } });
      for (const m of [models.encoder, models.decoder]) expect(normalise(decodeModel(encodeModel(m)))).toEqual(normalise(m));
    }
  });

  it('rejects a malformed message before writing it', () => {
    expect(() => encodeModel({ ir_version: 'eight' as unknown as number })).toThrow(/invalid ModelProto/);
  });
});
