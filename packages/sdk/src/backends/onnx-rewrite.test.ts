import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VAEModelError } from '../errors.js';
import { runCpu } from '../../test/run-cpu.js';
import { dequantizeForWebgl } from './onnx-rewrite.js';
import { concat, fieldText, lenField, readFields, varintField } from './protobuf-wire.js';

const MNIST = fileURLToPath(new URL('../../../../models/mnist/', import.meta.url));
const read = (f: string) => new Uint8Array(readFileSync(MNIST + f));

/** Each node's op type and each initializer's data type, from the model's own bytes. */
function inventory(model: Uint8Array) {
  const graph = readFields(model, 0, model.length, 'model').find((f) => f.no === 7)!;
  const fields = readFields(model, graph.body, graph.end, 'graph');
  const ops: string[] = [];
  const types: number[] = [];
  for (const f of fields) {
    const inner = f.no === 1 || f.no === 5 ? readFields(model, f.body, f.end, 'field') : [];
    if (f.no === 1) ops.push(fieldText(model, inner.find((g) => g.no === 4)!));
    if (f.no === 5) types.push(inner.find((g) => g.no === 2)!.value);
  }
  return { fields, ops, types };
}

const run = runCpu;

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const z = Float32Array.from({ length: 8 * 32 }, (_, i) => 1.5 * Math.sin(0.37 * i));
const x = Float32Array.from({ length: 4 * 784 }, (_, i) => (Math.sin(0.11 * i) + 1) / 2);

describe('dequantizeForWebgl', () => {
  for (const dtype of ['int8', 'fp16'] as const) {
    for (const [graph, input, data, dims] of [
      ['decoder', 'z', z, [8, 32]],
      ['encoder', 'x', x, [4, 1, 28, 28]],
    ] as const) {
      it(`folds the ${dtype} ${graph}'s weights into float32 initializers that give ORT cpu the outputs of the original graph`, async () => {
        const original = read(`${graph}_${dtype}.onnx`);
        const rewritten = dequantizeForWebgl(original);
        const before = inventory(original);
        const after = inventory(rewritten);
        const widen = dtype === 'int8' ? 'DequantizeLinear' : 'Cast';
        expect(before.ops).toContain(widen);
        expect(after.ops).not.toContain('DequantizeLinear');
        expect(after.ops).not.toContain('Cast');
        // No int8 (3) or float16 (10) tensor is left for the WebGL build to refuse.
        expect(after.types.filter((t) => t !== 1 && t !== 7)).toEqual([]);
        expect(after.ops).toEqual(before.ops.filter((o) => o !== widen));
        const want = await run(original, input, data, dims);
        const got = await run(rewritten, input, data, dims);
        for (const name of Object.keys(want)) {
          const d = maxAbs(got[name], want[name]);
          console.log(`${graph}_${dtype}.onnx ${name}: max |Δ| rewritten vs original on Node's ORT cpu ${d.toExponential(2)} (${original.length} → ${rewritten.length} bytes)`);
          // The folded weights are bit for bit what DequantizeLinear/Cast compute.
          expect(d, name).toBeLessThanOrEqual(1e-6);
        }
      });
    }
  }

  it('copies every field it does not fold byte for byte, in order', () => {
    const original = read('decoder_int8.onnx');
    const rewritten = dequantizeForWebgl(original);
    const keep = (model: Uint8Array, fields: ReturnType<typeof inventory>['fields']) =>
      fields.filter((f) => f.no !== 5 && !(f.no === 1 && fieldText(model, readFields(model, f.body, f.end, 'n').find((g) => g.no === 4)!) === 'DequantizeLinear')).map((f) => Buffer.from(model.subarray(f.start, f.end)).toString('hex'));
    expect(keep(rewritten, inventory(rewritten).fields)).toEqual(keep(original, inventory(original).fields));
    const top = (m: Uint8Array) => readFields(m, 0, m.length, 'model').filter((f) => f.no !== 7).map((f) => Buffer.from(m.subarray(f.start, f.end)).toString('hex'));
    expect(top(rewritten)).toEqual(top(original));
  });

  it('returns an fp32 model as the same bytes', () => {
    const fp32 = read('decoder.onnx');
    expect(dequantizeForWebgl(fp32)).toBe(fp32);
  });

  it('rejects a truncated model with a VAEModelError saying which length ran past the end', () => {
    const cut = read('decoder_int8.onnx').subarray(0, 5000);
    expect(() => dequantizeForWebgl(cut)).toThrow(VAEModelError);
    expect(() => dequantizeForWebgl(cut)).toThrow(/^not valid ONNX protobuf: the model: field 7 at byte \d+ declares \d+ bytes, but \d+ are left; expected a ModelProto as onnx\.proto defines it$/);
  });

  // A DequantizeLinear whose q initializer claims 10^9 × 10^9 int8 values in 4 bytes: checked before anything is allocated.
  const text = (s: string) => new TextEncoder().encode(s);
  const tensor = (name: string, type: number, dims: number[], raw: Uint8Array) => lenField(5, ...dims.map((d) => varintField(1, d)), varintField(2, type), lenField(8, text(name)), lenField(9, raw));
  const dq = lenField(1, lenField(1, text('q')), lenField(1, text('s')), lenField(2, text('y')), lenField(4, text('DequantizeLinear')));
  const model = (...graph: Uint8Array[]) => concat([varintField(1, 8), lenField(7, ...graph)]);

  it('rejects an initializer whose dims do not match its bytes, before allocating them', () => {
    const bad = model(dq, tensor('q', 3, [1e9, 1e9], new Uint8Array(4)), tensor('s', 1, [], new Uint8Array(4)));
    expect(() => dequantizeForWebgl(bad)).toThrow(VAEModelError);
    expect(() => dequantizeForWebgl(bad)).toThrow('not valid ONNX protobuf: initializer "q" holds 4 bytes of raw_data, which do not match its dims [1000000000,1000000000] of 1-byte values; expected a ModelProto as onnx.proto defines it');
  });

  it('rejects per-channel scales that do not match the channels along axis', () => {
    const bad = model(dq, tensor('q', 3, [3, 2], new Uint8Array(6)), tensor('s', 1, [3], new Uint8Array(12)));
    expect(() => dequantizeForWebgl(bad)).toThrow('not valid ONNX protobuf: DequantizeLinear of "q": 3 scales for 2 channels along axis 1; expected one per channel; expected a ModelProto as onnx.proto defines it');
  });

  it('rejects a group wire type with a VAEModelError naming it', () => {
    const bad = Uint8Array.from([0x0b, 0x0c]);
    expect(() => dequantizeForWebgl(bad)).toThrow(VAEModelError);
    expect(() => dequantizeForWebgl(bad)).toThrow('not valid ONNX protobuf: the model: field 1 at byte 0 has wire type 3; expected 0, 1, 2 or 5 (groups are not used by ONNX); expected a ModelProto as onnx.proto defines it');
  });

  it('folds a hand-built per-channel DequantizeLinear with a zero point into (q - zero) × scale', () => {
    const dqz = lenField(1, lenField(1, text('q')), lenField(1, text('s')), lenField(1, text('zp')), lenField(2, text('y')), lenField(4, text('DequantizeLinear')), lenField(5, lenField(1, text('axis')), varintField(3, 0), varintField(20, 2)));
    const q = Int8Array.of(1, -2, 3, 127, -127, 0);
    const s = Float32Array.of(0.5, 0.25);
    const m = model(dqz, tensor('q', 3, [2, 3], new Uint8Array(q.buffer)), tensor('s', 1, [2], new Uint8Array(s.buffer)), tensor('zp', 3, [2], Uint8Array.of(1, 0xff)));
    const out = dequantizeForWebgl(m);
    const g = readFields(out, 0, out.length, 'm').find((f) => f.no === 7)!;
    const inits = readFields(out, g.body, g.end, 'g').filter((f) => f.no === 5);
    expect(inits).toHaveLength(1);
    const t = readFields(out, inits[0].body, inits[0].end, 't');
    expect(fieldText(out, t.find((f) => f.no === 8)!)).toBe('y');
    const raw = t.find((f) => f.no === 9)!;
    expect(Array.from(new Float32Array(out.slice(raw.body, raw.end).buffer))).toEqual([0, -1.5, 1, 32, -31.5, 0.25]);
  });
});
