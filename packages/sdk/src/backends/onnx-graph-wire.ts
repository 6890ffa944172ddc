/**
 * Reading an ONNX model in the protobuf wire format, for the WebGL graph
 * rewrites (onnx-rewrite.ts, webgl-subpixel.ts): its graph's nodes and
 * initializers as views into the bytes, so that what a rewrite leaves alone is
 * copied byte for byte, and a float32 initializer written back. Sizes come
 * from the bytes and are checked before anything is allocated.
 * @internal
 */
import type { WireField } from './protobuf-wire.js';
import { fieldText, lenField, readFields, readInts, varintField, WireError } from './protobuf-wire.js';
// onnx.proto field numbers.
/** @internal */
export const MODEL_GRAPH = 7;
/** @internal */
export const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, i: 3, s: 4, t: 5, g: 6, ints: 8, graphs: 11 } as const;
const TENSOR = { dims: 1, dataType: 2, floatData: 4, int32Data: 5, name: 8, rawData: 9, dataLocation: 14 } as const;
// TensorProto.DataType.
/** @internal */
export const FLOAT = 1;
/** @internal */
export const UINT8 = 2;
/** @internal */
export const INT8 = 3;
/** @internal */
export const FLOAT16 = 10;

/** @internal */
export interface Tensor {
  field: WireField;
  fields: WireField[];
  name: string;
  type: number;
  dims: number[];
}

/** @internal */
export interface Node {
  field: WireField;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  ints: Map<string, number>;
  /** INTS attributes, and STRING ones as text. */
  lists: Map<string, number[] | string>;
  /** Has a subgraph attribute (If, Loop, Scan), which may read outer names. */
  nested: boolean;
}

/** @internal */
export const texts = (buf: Uint8Array, fields: readonly WireField[], no: number): string[] => fields.filter((f) => f.no === no && f.wire === 2).map((f) => fieldText(buf, f));
/** @internal */
export const bodyOf = (buf: Uint8Array, f: WireField, what: string): WireField[] => {
  if (f.wire !== 2) throw new WireError(`${what}: field ${f.no} has wire type ${f.wire}; expected a message`);
  return readFields(buf, f.body, f.end, what);
};

/** @internal */
export function readTensor(buf: Uint8Array, field: WireField): Tensor {
  const fields = bodyOf(buf, field, 'an initializer');
  const name = texts(buf, fields, TENSOR.name).at(-1) ?? '';
  const what = `initializer ${JSON.stringify(name)}`;
  const type = readInts(buf, fields, TENSOR.dataType, what).at(-1) ?? 0;
  return { field, fields, name, type, dims: readInts(buf, fields, TENSOR.dims, what) };
}

/** @internal */
export function readNode(buf: Uint8Array, field: WireField): Node {
  const fields = bodyOf(buf, field, 'a node');
  const ints = new Map<string, number>();
  const lists = new Map<string, number[] | string>();
  let nested = false;
  for (const a of fields.filter((f) => f.no === NODE.attribute)) {
    const af = bodyOf(buf, a, 'a node attribute');
    const name = texts(buf, af, ATTR.name).at(-1) ?? '';
    const i = readInts(buf, af, ATTR.i, `attribute ${name}`).at(-1);
    if (i !== undefined) ints.set(name, i);
    if (af.some((f) => f.no === ATTR.ints)) lists.set(name, readInts(buf, af, ATTR.ints, `attribute ${name}`));
    const text = texts(buf, af, ATTR.s).at(-1);
    if (text !== undefined) lists.set(name, text);
    if (af.some((f) => f.no === ATTR.g || f.no === ATTR.graphs)) nested = true;
  }
  return {
    field,
    op: texts(buf, fields, NODE.opType).at(-1) ?? '',
    domain: texts(buf, fields, NODE.domain).at(-1) ?? '',
    inputs: texts(buf, fields, NODE.input),
    outputs: texts(buf, fields, NODE.output),
    ints,
    lists,
    nested,
  };
}

/** Element count of `dims`, checked to be at most `limit` (what the bytes can hold) before anything is allocated. */
function countOf(t: Tensor, limit: number): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new WireError(`initializer ${JSON.stringify(t.name)} has dimension ${d}; expected a non-negative integer`);
    n *= d;
    if (n > limit) break;
  }
  return n;
}

const BYTES: Record<number, number> = { [FLOAT]: 4, [UINT8]: 1, [INT8]: 1, [FLOAT16]: 2 };

function half(h: number): number {
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  const v = e === 0 ? m * 2 ** -24 : e === 0x1f ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (e - 15);
  return h & 0x8000 ? -v : v;
}

/**
 * A float32, float16, int8 or uint8 initializer's values (all exact in
 * float32), from raw_data or the typed field; undefined when they live in an
 * external file (left to the runtime).
 */
/** @internal */
export function valuesOf(buf: Uint8Array, t: Tensor): Float32Array | undefined {
  const what = `initializer ${JSON.stringify(t.name)}`;
  if ((readInts(buf, t.fields, TENSOR.dataLocation, what).at(-1) ?? 0) !== 0) return undefined;
  const size = BYTES[t.type];
  const raw = t.fields.filter((f) => f.no === TENSOR.rawData && f.wire === 2).at(-1);
  if (raw) {
    const bytes = raw.end - raw.body;
    const n = countOf(t, bytes);
    if (n * size !== bytes) throw new WireError(`${what} holds ${bytes} bytes of raw_data, which do not match its dims [${t.dims.join(',')}] of ${size}-byte values`);
    const view = new DataView(buf.buffer, buf.byteOffset + raw.body, bytes);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = t.type === FLOAT ? view.getFloat32(4 * i, true) : t.type === FLOAT16 ? half(view.getUint16(2 * i, true)) : t.type === INT8 ? view.getInt8(i) : view.getUint8(i);
    }
    return out;
  }
  let values: number[];
  if (t.type === FLOAT) {
    values = [];
    for (const f of t.fields.filter((f) => f.no === TENSOR.floatData)) {
      const view = new DataView(buf.buffer, buf.byteOffset + f.body, f.end - f.body);
      if (f.wire === 5) values.push(view.getFloat32(0, true));
      else if (f.wire === 2 && view.byteLength % 4 === 0) for (let p = 0; p < view.byteLength; p += 4) values.push(view.getFloat32(p, true));
      else throw new WireError(`${what}: float_data is not a list of float32 values`);
    }
  } else {
    values = readInts(buf, t.fields, TENSOR.int32Data, what);
    if (t.type === FLOAT16) values = values.map((v) => half(v & 0xffff));
  }
  const n = countOf(t, values.length);
  if (n !== values.length) throw new WireError(`${what} holds ${values.length} values, which do not match its dims [${t.dims.join(',')}]`);
  return Float32Array.from(values);
}

/** @internal */
export function floatInitializer(name: string, dims: readonly number[], values: Float32Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  return lenField(
    GRAPH.initializer,
    ...dims.map((d) => varintField(TENSOR.dims, d)),
    varintField(TENSOR.dataType, FLOAT),
    lenField(TENSOR.name, nameBytes),
    lenField(TENSOR.rawData, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)),
  );
}

/** @internal */
export const isOnnxDomain = (d: string) => d === '' || d === 'ai.onnx';

/** A model's fields, its graph's fields, nodes, constant initializers and graph input/output names. @internal */
export function parseGraph(buf: Uint8Array) {
  const top = readFields(buf, 0, buf.length, 'the model');
  const graphs = top.filter((f) => f.no === MODEL_GRAPH);
  if (graphs.length !== 1) throw new WireError(`the model has ${graphs.length} graph fields; expected 1`);
  const gf = bodyOf(buf, graphs[0], 'the graph');
  const nodes = gf.filter((f) => f.no === GRAPH.node).map((f) => readNode(buf, f));
  const inputNames = new Set(gf.filter((f) => f.no === GRAPH.input).flatMap((f) => texts(buf, bodyOf(buf, f, 'a graph input'), 1)));
  const outputNames = new Set(gf.filter((f) => f.no === GRAPH.output).flatMap((f) => texts(buf, bodyOf(buf, f, 'a graph output'), 1)));
  const init = new Map<string, Tensor>();
  // An initializer that is also a graph input is only a default that a feed may replace: not a constant.
  for (const f of gf.filter((f) => f.no === GRAPH.initializer)) {
    const t = readTensor(buf, f);
    if (!inputNames.has(t.name)) init.set(t.name, t);
  }
  return { top, gf, nodes, inputNames, outputNames, init };
}
