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
import type { Node, Tensor } from './onnx-graph-wire.js';
import { FLOAT, FLOAT16, floatInitializer, GRAPH, INT8, isOnnxDomain, MODEL_GRAPH, parseGraph, UINT8, valuesOf } from './onnx-graph-wire.js';
import { concat, lenField, WireError } from './protobuf-wire.js';
import { subpixelConvTranspose } from './webgl-subpixel.js';

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
export const dequantizeForWebgl = (model: Uint8Array): Uint8Array => asModelError(() => rewrite(model, false));

/**
 * What the WebGL build is given: {@link dequantizeForWebgl}, and each strided
 * ConvTranspose as a sub-pixel convolution (webgl-subpixel.ts), in one pass.
 *
 * @throws {@link VAEModelError} as {@link dequantizeForWebgl}
 * @internal
 */
export const rewriteForWebgl = (model: Uint8Array): Uint8Array => asModelError(() => rewrite(model, true));

function asModelError(rewrite: () => Uint8Array): Uint8Array {
  try {
    return rewrite();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    throw new VAEModelError(`not valid ONNX protobuf: ${e.message}; expected a ModelProto as onnx.proto defines it`, { cause: e });
  }
}

function rewrite(buf: Uint8Array, subpixel: boolean): Uint8Array {
  const { top, gf, nodes, outputNames, init } = parseGraph(buf);
  const folded = new Map<Node, { from: Tensor; dims: number[]; values: Float32Array }>();
  const byOutput = new Map<string, { dims: number[]; values: Float32Array }>();
  for (const n of nodes) {
    const w = constantWeight(buf, n, init);
    if (w) folded.set(n, w), byOutput.set(n.outputs[0], w);
  }
  // A subgraph (If, Loop) may read any outer name: its readers cannot be counted.
  const nested = nodes.some((n) => n.nested);
  const replaced = new Map<Node, Uint8Array[]>();
  const gone = new Set<Node>(folded.keys());
  const added: Uint8Array[] = [];
  if (subpixel && !nested) {
    const readers = new Map<string, Node[]>();
    for (const n of nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
    const weight = (name: string) => {
      const t = init.get(name);
      const values = byOutput.has(name) || t?.type !== FLOAT ? undefined : valuesOf(buf, t);
      return byOutput.get(name) ?? (values && { dims: t!.dims, values });
    };
    for (const n of nodes) {
      const plan = subpixelConvTranspose(n, weight, readers, outputNames);
      if (!plan) continue;
      replaced.set(n, plan.nodes);
      added.push(...plan.initializers);
      if (plan.moved) gone.add(plan.moved);
    }
  }
  if (!gone.size && !replaced.size) return buf;
  const stillRead = new Set(outputNames);
  for (const n of nodes) if (!gone.has(n)) for (const i of replaced.has(n) ? n.inputs.slice(0, 1) : n.inputs) stillRead.add(i);
  const subsumed = new Set([...replaced.keys()].flatMap((n) => n.inputs));
  const removed = new Set<string>();
  for (const n of [...gone, ...replaced.keys()]) for (const i of n.inputs) if (i && !stillRead.has(i) && !nested) removed.add(i);
  const replacing = new Map<Tensor, Node[]>();
  for (const [n, w] of folded) replacing.set(w.from, [...(replacing.get(w.from) ?? []), n]);
  const nodeOf = new Map(nodes.map((n) => [n.field, n]));
  const tensorOf = new Map([...init.values()].map((t) => [t.field, t]));
  const parts: Uint8Array[] = [];
  for (const f of gf) {
    const n = f.no === GRAPH.node ? nodeOf.get(f)! : undefined;
    if (n && gone.has(n)) continue;
    if (n && replaced.has(n)) {
      parts.push(...replaced.get(n)!);
      continue;
    }
    const t = f.no === GRAPH.initializer ? tensorOf.get(f) : undefined;
    // A folded weight that only a replaced ConvTranspose read is not written at all.
    if (t && replacing.has(t)) for (const n of replacing.get(t)!) if (stillRead.has(n.outputs[0]) || !subsumed.has(n.outputs[0])) parts.push(floatInitializer(n.outputs[0], folded.get(n)!.dims, folded.get(n)!.values));
    if (t && removed.has(t.name)) continue;
    parts.push(buf.subarray(f.start, f.end));
  }
  return concat(top.map((f) => (f.no === MODEL_GRAPH ? lenField(MODEL_GRAPH, ...parts, ...added) : buf.subarray(f.start, f.end))));
}
