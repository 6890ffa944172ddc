/**
 * Lets onnxruntime-web's WebGL build run the int8 and fp16 variants, which it
 * cannot load as shipped (it has no DequantizeLinear and no float16 tensors):
 * before the session starts, every weight that is widened to float32 by a
 * node whose inputs are all constants is widened here instead, on the client.
 *
 * - `DequantizeLinear(q, scale, zero_point?)` with int8/uint8 `q`, float32
 *   `scale` (one per tensor, or one per channel along `axis`, default 1) →
 *   a float32 initializer `(q - zero_point) × scale`, rounded once to float32
 *   as the operator rounds (the product of an 8-bit integer and a float32 is
 *   exact in float64), so the weights are bit for bit the ones ONNX Runtime's
 *   cpu/wasm kernels compute from the int8 graph;
 * - `Cast(w, to=FLOAT)` of a float16 initializer → its float32 widening (exact).
 *
 * The download stays the small variant; only the graph handed to the runtime
 * holds float32 weights. Every other field (other nodes and initializers,
 * value_info, opset imports, metadata) is copied byte for byte; initializers
 * that nothing reads any more are dropped.
 * @internal
 */
import { VAEModelError } from '../errors.js';
import type { WireField } from './protobuf-wire.js';
import { concat, fieldText, lenField, readFields, readInts, varintField, WireError } from './protobuf-wire.js';

// onnx.proto field numbers.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, i: 3, t: 5, g: 6, graphs: 11 } as const;
const TENSOR = { dims: 1, dataType: 2, floatData: 4, int32Data: 5, name: 8, rawData: 9, dataLocation: 14 } as const;
// TensorProto.DataType.
const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const FLOAT16 = 10;

interface Tensor {
  field: WireField;
  fields: WireField[];
  name: string;
  type: number;
  dims: number[];
}

interface Node {
  field: WireField;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  ints: Map<string, number>;
  /** Has a subgraph attribute (If, Loop, Scan), which may read outer names. */
  nested: boolean;
}

const texts = (buf: Uint8Array, fields: readonly WireField[], no: number): string[] => fields.filter((f) => f.no === no && f.wire === 2).map((f) => fieldText(buf, f));
const bodyOf = (buf: Uint8Array, f: WireField, what: string): WireField[] => {
  if (f.wire !== 2) throw new WireError(`${what}: field ${f.no} has wire type ${f.wire}; expected a message`);
  return readFields(buf, f.body, f.end, what);
};

function readTensor(buf: Uint8Array, field: WireField): Tensor {
  const fields = bodyOf(buf, field, 'an initializer');
  const name = texts(buf, fields, TENSOR.name).at(-1) ?? '';
  const what = `initializer ${JSON.stringify(name)}`;
  const type = readInts(buf, fields, TENSOR.dataType, what).at(-1) ?? 0;
  return { field, fields, name, type, dims: readInts(buf, fields, TENSOR.dims, what) };
}

function readNode(buf: Uint8Array, field: WireField): Node {
  const fields = bodyOf(buf, field, 'a node');
  const ints = new Map<string, number>();
  let nested = false;
  for (const a of fields.filter((f) => f.no === NODE.attribute)) {
    const af = bodyOf(buf, a, 'a node attribute');
    const name = texts(buf, af, ATTR.name).at(-1) ?? '';
    const i = readInts(buf, af, ATTR.i, `attribute ${name}`).at(-1);
    if (i !== undefined) ints.set(name, i);
    if (af.some((f) => f.no === ATTR.g || f.no === ATTR.graphs)) nested = true;
  }
  return {
    field,
    op: texts(buf, fields, NODE.opType).at(-1) ?? '',
    domain: texts(buf, fields, NODE.domain).at(-1) ?? '',
    inputs: texts(buf, fields, NODE.input),
    outputs: texts(buf, fields, NODE.output),
    ints,
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
function valuesOf(buf: Uint8Array, t: Tensor): Float32Array | undefined {
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

/** `(q - zero) × scale` per channel along `axis`, each product rounded once to float32. */
function dequantize(q: Tensor, qv: Float32Array, scale: Tensor, sv: Float32Array, zv: Float32Array | undefined, axisAttr: number | undefined): Float32Array {
  const what = `DequantizeLinear of ${JSON.stringify(q.name)}`;
  const perTensor = sv.length === 1 && scale.dims.every((d) => d === 1);
  let inner = 1;
  let channels = 1;
  if (!perTensor) {
    const rank = q.dims.length;
    const axis = (axisAttr ?? 1) < 0 ? (axisAttr ?? 1) + rank : (axisAttr ?? 1);
    if (axis < 0 || axis >= rank) throw new WireError(`${what}: axis ${axisAttr} is out of range for dims [${q.dims.join(',')}]`);
    channels = q.dims[axis];
    for (let i = axis + 1; i < rank; i++) inner *= q.dims[i];
    if (scale.dims.length !== 1 || sv.length !== channels) throw new WireError(`${what}: ${sv.length} scales for ${channels} channels along axis ${axis}; expected one per channel`);
  }
  if (zv && zv.length !== sv.length) throw new WireError(`${what}: ${zv.length} zero points for ${sv.length} scales; expected as many`);
  const out = new Float32Array(qv.length);
  for (let i = 0; i < qv.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = (qv[i] - (zv ? zv[c] : 0)) * sv[c];
  }
  return out;
}

function floatInitializer(name: string, dims: readonly number[], values: Float32Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  return lenField(
    GRAPH.initializer,
    ...dims.map((d) => varintField(TENSOR.dims, d)),
    varintField(TENSOR.dataType, FLOAT),
    lenField(TENSOR.name, nameBytes),
    lenField(TENSOR.rawData, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)),
  );
}

const isOnnxDomain = (d: string) => d === '' || d === 'ai.onnx';

/** The float32 value a node computes from constants alone, or undefined when it is not one this rewrites. */
function constantWeight(buf: Uint8Array, node: Node, init: ReadonlyMap<string, Tensor>): { from: Tensor; dims: number[]; values: Float32Array } | undefined {
  if (!isOnnxDomain(node.domain) || node.outputs.length !== 1 || !node.outputs[0]) return undefined;
  const [x, s, z] = node.inputs.map((n) => (n ? init.get(n) : undefined));
  if (!x) return undefined;
  if (node.op === 'Cast' && node.inputs.length === 1 && x.type === FLOAT16 && node.ints.get('to') === FLOAT) {
    const values = valuesOf(buf, x);
    return values && { from: x, dims: x.dims, values };
  }
  if (node.op !== 'DequantizeLinear' || !s || s.type !== FLOAT || (x.type !== INT8 && x.type !== UINT8)) return undefined;
  const hasZero = node.inputs.length === 3 && node.inputs[2] !== '';
  if (node.inputs.length > 3 || (hasZero && (!z || z.type !== x.type))) return undefined;
  const [qv, sv, zv] = [valuesOf(buf, x), valuesOf(buf, s), hasZero ? valuesOf(buf, z!) : undefined];
  if (!qv || !sv || (hasZero && !zv)) return undefined;
  return { from: x, dims: x.dims, values: dequantize(x, qv, s, sv, zv, node.ints.get('axis')) };
}

/**
 * The model with its constant DequantizeLinear and float16 Cast nodes folded
 * into float32 initializers; the same bytes (the same object) when it has none.
 *
 * @throws {@link VAEModelError} when the bytes are not valid ONNX protobuf (truncated, wrong
 *   lengths, sizes that do not match their dims), naming what was wrong
 * @internal
 */
export function dequantizeForWebgl(model: Uint8Array): Uint8Array {
  try {
    return rewrite(model);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    throw new VAEModelError(`not valid ONNX protobuf: ${e.message}; expected a ModelProto as onnx.proto defines it`, { cause: e });
  }
}

function rewrite(buf: Uint8Array): Uint8Array {
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
  const folded = new Map<Node, { from: Tensor; dims: number[]; values: Float32Array }>();
  for (const n of nodes) {
    const w = constantWeight(buf, n, init);
    if (w) folded.set(n, w);
  }
  if (!folded.size) return buf;
  const stillRead = new Set(outputNames);
  for (const n of nodes) if (!folded.has(n)) for (const i of n.inputs) stillRead.add(i);
  const keepAll = nodes.some((n) => n.nested) || [...init.keys()].some((k) => inputNames.has(k));
  const removed = new Set<string>();
  for (const n of folded.keys()) for (const i of n.inputs) if (i && !stillRead.has(i) && !keepAll) removed.add(i);
  const replacing = new Map<Tensor, Node[]>();
  for (const [n, w] of folded) replacing.set(w.from, [...(replacing.get(w.from) ?? []), n]);
  const nodeOf = new Map(nodes.map((n) => [n.field, n]));
  const tensorOf = new Map([...init.values()].map((t) => [t.field, t]));
  const parts: Uint8Array[] = [];
  for (const f of gf) {
    if (f.no === GRAPH.node && folded.has(nodeOf.get(f)!)) continue;
    const t = f.no === GRAPH.initializer ? tensorOf.get(f) : undefined;
    if (t && replacing.has(t)) for (const n of replacing.get(t)!) parts.push(floatInitializer(n.outputs[0], folded.get(n)!.dims, folded.get(n)!.values));
    if (t && removed.has(t.name)) continue;
    parts.push(buf.subarray(f.start, f.end));
  }
  return concat(top.map((f) => (f.no === MODEL_GRAPH ? lenField(MODEL_GRAPH, ...parts) : buf.subarray(f.start, f.end))));
}
