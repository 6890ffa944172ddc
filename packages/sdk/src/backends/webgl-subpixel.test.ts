import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VAEModelError } from '../errors.js';
import { runCpu } from '../../test/run-cpu.js';
import { dequantizeForWebgl, rewriteForWebgl } from './onnx-rewrite.js';
import { concat, fieldText, lenField, readFields, varintField } from './protobuf-wire.js';

const MODELS = fileURLToPath(new URL('../../../../models/', import.meta.url));
const text = (s: string) => new TextEncoder().encode(s);

/** The graph's op types, in node order. */
function ops(model: Uint8Array): string[] {
  const g = readFields(model, 0, model.length, 'model').find((f) => f.no === 7)!;
  return readFields(model, g.body, g.end, 'graph')
    .filter((f) => f.no === 1)
    .map((f) => fieldText(model, readFields(model, f.body, f.end, 'node').find((n) => n.no === 4)!));
}

const run = runCpu;

/** Largest |a − b| relative to the largest |b| (so 1e-6 means float32 rounding, whatever the scale). */
const relDiff = (a: Float32Array, b: Float32Array) => {
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-30);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / scale;
};

// A one-node model: ConvTranspose(x[N, ci, h, h], W[ci, co, k, k], B?) → y, optionally through a Relu.
const ints = (name: string, v: number[]) => lenField(5, lenField(1, text(name)), varintField(20, 7), ...v.map((i) => varintField(8, i)));
const int = (name: string, v: number) => lenField(5, lenField(1, text(name)), varintField(20, 2), varintField(3, v));
const f32 = (name: string, dims: number[], v: Float32Array) => lenField(5, ...dims.map((d) => varintField(1, d)), varintField(2, 1), lenField(8, text(name)), lenField(9, new Uint8Array(v.buffer)));
const dim = (d: number | string) => lenField(1, typeof d === 'number' ? varintField(1, d) : lenField(2, text(d)));
// ValueInfoProto { name, type: TypeProto { tensor_type { elem_type FLOAT, shape { dim… } } } }
const valueInfo = (field: number, name: string, dims: (number | string)[]) => lenField(field, lenField(1, text(name)), lenField(2, lenField(1, varintField(1, 1), lenField(2, ...dims.map(dim)))));
const node = (op: string, inputs: string[], output: string, ...attrs: Uint8Array[]) => lenField(1, ...inputs.map((i) => lenField(1, text(i))), lenField(2, text(output)), lenField(4, text(op)), ...attrs);
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 0.7 * i) * 0.5);

interface Case { k: number; s: number; p: number; op: number; h: number; ci: number; co: number; bias?: boolean; relu?: boolean; extra?: Uint8Array[] }
function convTranspose({ k, s, p, op, h, ci, co, bias = true, relu = false, extra }: Case): Uint8Array {
  const attrs = extra ?? [ints('kernel_shape', [k, k]), ints('strides', [s, s]), ints('pads', [p, p, p, p]), ints('output_padding', [op, op])];
  const graph = [
    node('ConvTranspose', ['x', 'W', ...(bias ? ['B'] : [])], relu ? 't' : 'y', ...attrs),
    ...(relu ? [node('Relu', ['t'], 'y')] : []),
    f32('W', [ci, co, k, k], values(ci * co * k * k, 1)),
    ...(bias ? [f32('B', [co], values(co, 2))] : []),
    valueInfo(11, 'x', ['N', ci, h, h]),
    valueInfo(12, 'y', ['N', co, 'H', 'H']),
  ];
  return concat([varintField(1, 8), lenField(7, ...graph), lenField(8, lenField(1, text('')), varintField(2, 17))]);
}

describe('rewriteForWebgl: ConvTranspose as a sub-pixel convolution', () => {
  const cases: Case[] = [
    { k: 4, s: 2, p: 1, op: 0, h: 7, ci: 3, co: 5, relu: true }, // mnist base's deconv2
    { k: 4, s: 2, p: 1, op: 1, h: 3, ci: 4, co: 2 }, // mnist base's deconv1 (3 → 7)
    { k: 3, s: 2, p: 1, op: 1, h: 5, ci: 2, co: 3 }, // small's odd kernel
    { k: 3, s: 2, p: 1, op: 0, h: 4, ci: 2, co: 2, bias: false },
    { k: 5, s: 3, p: 2, op: 1, h: 4, ci: 2, co: 3 },
    { k: 2, s: 3, p: 0, op: 0, h: 3, ci: 1, co: 2 }, // kernel smaller than the stride
    { k: 3, s: 2, p: 0, op: 0, h: 3, ci: 2, co: 1, relu: true },
  ];
  for (const c of cases) {
    it(`gives ORT cpu the outputs of ConvTranspose k=${c.k} s=${c.s} p=${c.p} output_padding=${c.op} on ${c.h}×${c.h}${c.bias === false ? ', no bias' : ''}${c.relu ? ', with its Relu moved into the Conv' : ''}`, async () => {
      const original = convTranspose(c);
      const rewritten = rewriteForWebgl(original);
      expect(ops(rewritten)).toEqual(c.relu ? ['Conv', 'Relu', 'DepthToSpace', 'Slice'] : ['Conv', 'DepthToSpace', 'Slice']);
      const x = values(2 * c.ci * c.h * c.h, 3);
      const want = await run(original, 'x', x, [2, c.ci, c.h, c.h]);
      const got = await run(rewritten, 'x', x, [2, c.ci, c.h, c.h]);
      expect(got.y.length).toBe(want.y.length);
      expect(relDiff(got.y, want.y)).toBeLessThanOrEqual(1e-6);
    });
  }

  const base = { k: 4, s: 2, p: 1, op: 0, h: 7, ci: 2, co: 2 };
  for (const [why, extra] of [
    ['two groups', [ints('kernel_shape', [4, 4]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), int('group', 2)]],
    ['dilations 2', [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), ints('dilations', [2, 2])]],
    ['asymmetric pads', [ints('strides', [2, 2]), ints('pads', [1, 0, 1, 0])]],
    ['stride 1', [ints('strides', [1, 1]), ints('pads', [1, 1, 1, 1])]],
    ['unequal strides', [ints('strides', [2, 1]), ints('pads', [1, 1, 1, 1])]],
    ['an output_shape', [ints('strides', [2, 2]), ints('output_shape', [14, 14])]],
  ] as const) {
    it(`leaves a ConvTranspose with ${why} as it is (the same bytes)`, () => {
      const m = convTranspose({ ...base, extra: [...extra] });
      expect(rewriteForWebgl(m)).toBe(m);
    });
  }

  it('rejects a weight whose bytes do not match its dims with a VAEModelError', () => {
    const m = convTranspose(base);
    const bad = concat([m.subarray(0, m.length), new Uint8Array(0)]);
    // The weight's raw_data holds ci·co·k·k floats; claim one more output channel.
    const at = Buffer.from(bad).indexOf(Buffer.from([0x08, 2, 0x08, 2, 0x08, 4, 0x08, 4]));
    bad[at + 3] = 3;
    expect(() => rewriteForWebgl(bad)).toThrow(VAEModelError);
    expect(() => rewriteForWebgl(bad)).toThrow('not valid ONNX protobuf: initializer "W" holds 256 bytes of raw_data, which do not match its dims [2,3,4,4] of 4-byte values; expected a ModelProto as onnx.proto defines it');
  });
});

describe('rewriteForWebgl on the shipped decoders', () => {
  const z = Float32Array.from({ length: 8 * 32 }, (_, i) => 1.5 * Math.sin(0.37 * i));
  for (const [model, file] of [
    ['mnist', 'decoder.onnx'],
    ['mnist', 'decoder_int8.onnx'],
    ['mnist', 'decoder_fp16.onnx'],
    ['mnist-small', 'decoder.onnx'],
  ] as const) {
    it(`${model}/${file}: no ConvTranspose left, and ORT cpu gives the original's outputs to float32 rounding`, async () => {
      const original = new Uint8Array(readFileSync(`${MODELS}${model}/${file}`));
      const rewritten = rewriteForWebgl(original);
      expect(ops(original)).toContain('ConvTranspose');
      expect(ops(rewritten)).not.toContain('ConvTranspose');
      expect(ops(rewritten).filter((o) => o === 'DepthToSpace')).toHaveLength(ops(original).filter((o) => o === 'ConvTranspose').length);
      const want = await run(original, 'z', z, [8, 32]);
      const got = await run(rewritten, 'z', z, [8, 32]);
      for (const name of Object.keys(want)) {
        const d = relDiff(got[name], want[name]);
        console.log(`${model}/${file} ${name}: max |Δ| / max |original| rewritten vs original on ORT cpu ${d.toExponential(2)}`);
        expect(d, name).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});
