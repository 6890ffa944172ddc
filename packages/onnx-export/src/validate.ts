/**
 * A structural validator for ONNX models, in TypeScript.
 *
 * It checks what a runtime would otherwise reject late or mis-handle silently:
 * the opset import, typed graph inputs and outputs, that every node input is
 * defined before use, that initializer data agrees with its declared type and
 * shape, and (by propagating shapes through the ops it knows) that weights have
 * the dtypes and shapes their ops need. Problems come back as a list.
 */
import type { AttributeProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './onnx-schema.js';
import { DATA_TYPE_BYTES, DataType, dataTypeName, decodeModel } from './onnx-schema.js';

/** One thing wrong with a model. */
export interface ValidationProblem {
  /** `error`: a runtime may reject or mis-run the model; `warning`: suspicious but legal. */
  severity: 'error' | 'warning';
  /** Where: `model`, `graph`, `initializer <name>`, `node <name> (<op>)`, `input <name>`, `output <name>`. */
  where: string;
  message: string;
}

/** Result of {@link validateModel}. */
export interface ValidationReport {
  /** True when there is no `error` problem (warnings allowed). */
  ok: boolean;
  problems: ValidationProblem[];
  /** Counts, for a one-line summary. */
  stats: { nodes: number; initializers: number; opset: number | null; irVersion: number | null };
}

type Dim = number | string | null;
interface ValueType {
  dtype: number | null;
  shape: Dim[] | null;
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, 16]);

const fmt = (s: Dim[] | null) => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(',')}]` : '[?]');

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? (a.ints ?? []).map(Number) : undefined;
}
function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a?.i === undefined ? dflt : Number(a.i);
}

function tensorElementCount(t: TensorProto): number {
  return (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
}

function broadcast(a: Dim[], b: Dim[]): Dim[] | string {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)];
    const y = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null || y === null) out.push(x ?? y);
    else if (x === y) out.push(x);
    else return `shapes ${fmt(a)} and ${fmt(b)} do not broadcast`;
  }
  return out;
}

/** Validates a decoded model. Never throws; everything wrong is in `problems`. */
export function validateModel(model: ModelProto): ValidationReport {
  const problems: ValidationProblem[] = [];
  const err = (where: string, message: string) => problems.push({ severity: 'error', where, message });
  const warn = (where: string, message: string) => problems.push({ severity: 'warning', where, message });

  const ir = model.ir_version === undefined ? null : Number(model.ir_version);
  if (ir === null) err('model', 'ir_version is not set');
  else if (ir < 3) err('model', `ir_version ${ir} is too old (need >= 3)`);
  const onnxOpset = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = onnxOpset?.version === undefined ? null : Number(onnxOpset.version);
  if (!model.opset_import?.length) err('model', 'no opset_import: runtimes cannot tell which operator versions to use');
  else if (opset === null) err('model', 'opset_import has no entry for the default ONNX domain ""');
  const g = model.graph;
  const stats = { nodes: g?.node?.length ?? 0, initializers: g?.initializer?.length ?? 0, opset, irVersion: ir };
  if (!g) {
    err('model', 'the model has no graph');
    return { ok: false, problems, stats };
  }
  if (!g.name) warn('graph', 'the graph has no name');

  const values = new Map<string, ValueType>();
  const inits = new Map<string, TensorProto>();
  const usedInits = new Set<string>();

  for (const t of g.initializer ?? []) {
    const where = `initializer ${t.name ?? '(unnamed)'}`;
    if (!t.name) {
      err(where, 'initializer has no name');
      continue;
    }
    if (inits.has(t.name)) err(where, 'duplicate initializer name');
    inits.set(t.name, t);
    const dims = (t.dims ?? []).map(Number);
    if (dims.some((d) => !Number.isInteger(d) || d < 0)) err(where, `invalid dims [${dims.join(',')}]`);
    const dt = t.data_type;
    const size = DATA_TYPE_BYTES[dt ?? -1];
    if (dt === undefined || dt === DataType.UNDEFINED) err(where, 'data_type is not set');
    else if (size === undefined) err(where, `unsupported data_type ${dataTypeName(dt)}`);
    else if (t.data_location === 1) err(where, 'external data is not supported here: weights must be inside the file');
    else {
      const n = tensorElementCount(t);
      let have: number;
      let unit: string;
      if (t.raw_data && t.raw_data.length > 0) {
        have = t.raw_data.length;
        unit = 'bytes';
        if (have !== n * size) err(where, `raw_data has ${have} bytes, dims [${dims.join(',')}] of ${dataTypeName(dt)} need ${n * size}`);
      } else {
        const arr =
          dt === DataType.FLOAT ? t.float_data : dt === DataType.INT64 ? t.int64_data : dt === DataType.DOUBLE ? t.double_data : t.int32_data;
        have = arr?.length ?? 0;
        unit = 'values';
        if (have !== n) err(where, `has ${have} ${unit}, dims [${dims.join(',')}] need ${n}`);
      }
    }
    values.set(t.name, { dtype: dt ?? null, shape: dims });
  }

  const declared = (v: ValueInfoProto, kind: 'input' | 'output'): ValueType | null => {
    const where = `${kind} ${v.name ?? '(unnamed)'}`;
    if (!v.name) {
      err(where, `graph ${kind} has no name`);
      return null;
    }
    const tt = v.type?.tensor_type;
    if (!tt) {
      err(where, 'no tensor type declared');
      return null;
    }
    if (tt.elem_type === undefined || tt.elem_type === DataType.UNDEFINED) err(where, 'element type is not declared');
    if (!tt.shape) {
      err(where, 'shape is not declared');
      return { dtype: tt.elem_type ?? null, shape: null };
    }
    const shape: Dim[] = (tt.shape.dim ?? []).map((d, i) => {
      if (d.dim_value !== undefined && d.dim_value !== null) return Number(d.dim_value);
      if (d.dim_param) return d.dim_param;
      err(where, `dimension ${i} has neither dim_value nor dim_param`);
      return null;
    });
    return { dtype: tt.elem_type ?? null, shape };
  };

  for (const v of g.input ?? []) {
    const t = declared(v, 'input');
    if (t && v.name) values.set(v.name, t);
  }
  if (!g.input?.length) err('graph', 'the graph declares no inputs');
  if (!g.output?.length) err('graph', 'the graph declares no outputs');

  const get = (node: NodeProto, where: string, idx: number): ValueType | null => {
    const name = node.input?.[idx];
    if (!name) return null;
    return values.get(name) ?? null;
  };

  (g.node ?? []).forEach((node, index) => {
    const op = node.op_type ?? '';
    const where = `node ${node.name || `#${index}`} (${op || 'no op_type'})`;
    if (!op) err(where, 'op_type is not set');
    if (node.domain && node.domain !== 'ai.onnx') err(where, `domain "${node.domain}" is not imported`);
    let defined = true;
    for (const name of node.input ?? []) {
      if (!name) continue; // optional input left out
      if (!values.has(name)) {
        err(where, `input "${name}" is used before it is defined (not a graph input, an initializer or an earlier node's output)`);
        defined = false;
      }
      if (inits.has(name)) usedInits.add(name);
    }
    const outs = node.output ?? [];
    if (outs.length === 0) err(where, 'node has no outputs');
    for (const name of outs) {
      if (name && values.has(name)) err(where, `output "${name}" is already defined (names must be assigned once)`);
    }
    let result: ValueType[] = outs.map(() => ({ dtype: null, shape: null }));
    if (defined) {
      const r = inferNode(node, op, (i) => get(node, where, i), inits, opset ?? 0, (m) => err(where, m), (m) => warn(where, m));
      if (r) result = r;
    }
    outs.forEach((name, i) => {
      if (name) values.set(name, result[i] ?? { dtype: null, shape: null });
    });
  });

  for (const v of g.output ?? []) {
    const t = declared(v, 'output');
    if (!t || !v.name) continue;
    const where = `output ${v.name}`;
    const got = values.get(v.name);
    if (!got) {
      err(where, 'no node produces this graph output');
      continue;
    }
    if (t.dtype !== null && got.dtype !== null && t.dtype !== got.dtype) {
      err(where, `declared ${dataTypeName(t.dtype)} but the graph computes ${dataTypeName(got.dtype)}`);
    }
    if (t.shape && got.shape) {
      const ok = t.shape.length === got.shape.length && t.shape.every((d, i) => d === null || got.shape![i] === null || typeof d === 'string' || d === got.shape![i]);
      if (!ok) err(where, `declared shape ${fmt(t.shape)} but the graph computes ${fmt(got.shape)}`);
    }
  }
  for (const name of inits.keys()) if (!usedInits.has(name)) warn(`initializer ${name}`, 'not used by any node');

  return { ok: !problems.some((p) => p.severity === 'error'), problems, stats };
}

function inferNode(
  node: NodeProto,
  op: string,
  input: (i: number) => ValueType | null,
  inits: Map<string, TensorProto>,
  opset: number,
  err: (m: string) => void,
  warn: (m: string) => void,
): ValueType[] | null {
  const x = input(0);
  const sameFloat = (idx: number[]) => {
    const types = idx.map((i) => input(i)).filter((t): t is ValueType => !!t && t.dtype !== null);
    for (const t of types) if (!FLOAT_TYPES.has(t.dtype!)) err(`${op} needs float inputs, got ${dataTypeName(t.dtype!)}`);
    const first = types[0]?.dtype;
    const odd = types.find((t) => t.dtype !== first);
    if (odd) err(`inputs mix ${dataTypeName(first!)} and ${dataTypeName(odd.dtype!)}; ${op} needs one type (Cast the weights first)`);
    return first ?? null;
  };
  const autoPad = attr(node, 'auto_pad');
  if (autoPad) {
    const v = new TextDecoder().decode(autoPad.s ?? new Uint8Array());
    if (v && v !== 'NOTSET') warn(`auto_pad ${v}: ONNX Runtime's WebGPU provider has mis-computed SAME padding; write explicit pads`);
  }
  switch (op) {
    case 'Conv':
    case 'ConvTranspose': {
      const transpose = op === 'ConvTranspose';
      const w = input(1);
      const b = input(2);
      const dtype = sameFloat([0, 1, 2]);
      if (!x?.shape || !w?.shape) return [{ dtype, shape: null }];
      if (x.shape.length !== 4) err(`input ${fmt(x.shape)} is not rank 4 (NCHW)`);
      if (w.shape.length !== 4) {
        err(`weight ${fmt(w.shape)} is not rank 4`);
        return [{ dtype, shape: null }];
      }
      const group = attrInt(node, 'group', 1);
      const [n, c, h, wd] = x.shape;
      const [w0, w1, kh, kw] = w.shape as number[];
      const cin = transpose ? w0 : w1 * group;
      const cout = transpose ? w1 * group : w0;
      if (typeof c === 'number' && c !== cin) err(`input has ${c} channels but the weight ${fmt(w.shape)} expects ${cin}`);
      if (b?.shape && (b.shape.length !== 1 || b.shape[0] !== cout)) err(`bias ${fmt(b.shape)} should be [${cout}]`);
      const ks = attrInts(node, 'kernel_shape');
      if (ks && (ks[0] !== kh || ks[1] !== kw)) err(`kernel_shape [${ks}] disagrees with the weight ${fmt(w.shape)}`);
      const strides = attrInts(node, 'strides') ?? [1, 1];
      const dil = attrInts(node, 'dilations') ?? [1, 1];
      const pads = attrInts(node, 'pads') ?? [0, 0, 0, 0];
      if (pads.length !== 4) err(`pads has ${pads.length} values, expected 4`);
      if (!autoPad && !attrInts(node, 'pads')) warn('no pads attribute: zero padding assumed');
      const out = (size: Dim, i: 0 | 1): Dim => {
        if (typeof size !== 'number') return null;
        const k = ((i === 0 ? kh : kw) - 1) * dil[i] + 1;
        if (transpose) {
          const op_ = (attrInts(node, 'output_padding') ?? [0, 0])[i];
          if (op_ >= strides[i] && op_ >= dil[i]) err(`output_padding ${op_} must be smaller than stride ${strides[i]} or dilation ${dil[i]}`);
          return strides[i] * (size - 1) + op_ + k - pads[i] - pads[i + 2];
        }
        return Math.floor((size + pads[i] + pads[i + 2] - k) / strides[i]) + 1;
      };
      if (transpose && attr(node, 'output_shape')) warn('output_shape is set: runtimes have disagreed on how it splits padding; prefer pads + output_padding');
      const oh = out(h, 0);
      const ow = out(wd, 1);
      if ((typeof oh === 'number' && oh < 1) || (typeof ow === 'number' && ow < 1)) err(`output spatial size ${oh}×${ow} is empty`);
      return [{ dtype, shape: [n, cout, oh, ow] }];
    }
    case 'Gemm': {
      const a = x;
      const b = input(1);
      const c = input(2);
      const dtype = sameFloat([0, 1, 2]);
      if (!a?.shape || !b?.shape) return [{ dtype, shape: null }];
      if (a.shape.length !== 2 || b.shape.length !== 2) {
        err(`Gemm needs rank-2 A and B, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
        return [{ dtype, shape: null }];
      }
      const [m, ka] = attrInt(node, 'transA', 0) ? [a.shape[1], a.shape[0]] : a.shape;
      const [kb, nn] = attrInt(node, 'transB', 0) ? [b.shape[1], b.shape[0]] : b.shape;
      if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) err(`A ${fmt(a.shape)} has ${ka} columns but B ${fmt(b.shape)} has ${kb} rows`);
      if (c?.shape) {
        const r = broadcast(c.shape, [m, nn]);
        if (typeof r === 'string' || r.length !== 2 || (typeof nn === 'number' && r[1] !== nn)) err(`C ${fmt(c.shape)} does not broadcast to [${m},${nn}]`);
      }
      return [{ dtype, shape: [m, nn] }];
    }
    case 'MatMul': {
      const b = input(1);
      const dtype = sameFloat([0, 1]);
      if (!x?.shape || !b?.shape || x.shape.length !== 2 || b.shape.length !== 2) return [{ dtype, shape: null }];
      if (typeof x.shape[1] === 'number' && typeof b.shape[0] === 'number' && x.shape[1] !== b.shape[0]) err(`inner dimensions differ: ${fmt(x.shape)} × ${fmt(b.shape)}`);
      return [{ dtype, shape: [x.shape[0], b.shape[1]] }];
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const b = input(1);
      const dtype = sameFloat([0, 1]);
      if (!x?.shape || !b?.shape) return [{ dtype, shape: null }];
      const r = broadcast(x.shape, b.shape);
      if (typeof r === 'string') {
        err(r);
        return [{ dtype, shape: null }];
      }
      return [{ dtype, shape: r }];
    }
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Exp':
    case 'Identity':
      if (op !== 'Identity') sameFloat([0]);
      return [{ dtype: x?.dtype ?? null, shape: x?.shape ?? null }];
    case 'Clip': {
      const dtype = sameFloat([0, 1, 2]);
      if (opset >= 11 && (attr(node, 'min') || attr(node, 'max'))) err('min/max are inputs since opset 11, not attributes');
      for (const i of [1, 2]) {
        const t = input(i);
        if (t?.shape && t.shape.length !== 0) err(`${i === 1 ? 'min' : 'max'} must be a scalar, got ${fmt(t.shape)}`);
      }
      const lo = node.input?.[1] ? inits.get(node.input[1]) : undefined;
      const hi = node.input?.[2] ? inits.get(node.input[2]) : undefined;
      if (lo?.raw_data?.length === 4 && hi?.raw_data?.length === 4 && lo.data_type === DataType.FLOAT && hi.data_type === DataType.FLOAT) {
        const f = (t: TensorProto) => new DataView(t.raw_data!.buffer, t.raw_data!.byteOffset, 4).getFloat32(0, true);
        if (!(f(lo) <= f(hi))) err(`min ${f(lo)} is above max ${f(hi)}`);
      }
      return [{ dtype, shape: x?.shape ?? null }];
    }
    case 'Flatten': {
      let axis = attrInt(node, 'axis', 1);
      if (!x?.shape) return [{ dtype: x?.dtype ?? null, shape: null }];
      if (axis < 0) axis += x.shape.length;
      const prod = (ds: Dim[]): Dim => (ds.every((d) => typeof d === 'number') ? (ds as number[]).reduce((a, b) => a * b, 1) : null);
      return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
    }
    case 'Reshape': {
      const s = input(1);
      if (s && s.dtype !== DataType.INT64) err(`shape must be int64, got ${dataTypeName(s.dtype ?? undefined)}`);
      const st = node.input?.[1] ? inits.get(node.input[1]) : undefined;
      if (!st || !x?.shape || st.data_type !== DataType.INT64) return [{ dtype: x?.dtype ?? null, shape: null }];
      const target = st.raw_data?.length
        ? Array.from({ length: Math.floor(st.raw_data.length / 8) }, (_, i) =>
            Number(new DataView(st.raw_data!.buffer, st.raw_data!.byteOffset, st.raw_data!.length).getBigInt64(i * 8, true)))
        : (st.int64_data ?? []).map(Number);
      const allowZero = attrInt(node, 'allowzero', 0);
      const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x.shape![i] ?? null) : d === -1 ? null : d));
      if (target.filter((d) => d === -1).length > 1) err('shape has more than one -1');
      const known = (ds: Dim[]) => ds.filter((d): d is number => typeof d === 'number').reduce((a, b) => a * b, 1);
      const inSym = x.shape.filter((d) => typeof d !== 'number');
      const iMinus = out.indexOf(null);
      if (iMinus >= 0) {
        // Resolve -1: the symbolic input dims must carry over.
        if (inSym.length === 1 && x.shape[0] === inSym[0]) {
          if (known(x.shape) === known(out)) out[iMinus] = inSym[0];
          else err(`cannot reshape ${fmt(x.shape)} to [${target.join(',')}]: ${known(x.shape)} values per batch item do not fit ${known(out)}`);
        } else if (inSym.length === 0) {
          const total = known(x.shape);
          if (total % known(out) !== 0) err(`cannot reshape ${fmt(x.shape)} to [${target.join(',')}]`);
          else out[iMinus] = total / known(out);
        }
      } else if (inSym.length === 0 && known(x.shape) !== known(out)) {
        err(`cannot reshape ${fmt(x.shape)} (${known(x.shape)} values) to ${fmt(out)}`);
      }
      return [{ dtype: x.dtype, shape: out }];
    }
    case 'Cast': {
      const to = attr(node, 'to');
      if (to?.i === undefined) err('Cast has no "to" attribute');
      return [{ dtype: to?.i === undefined ? null : Number(to.i), shape: x?.shape ?? null }];
    }
    default:
      warn(`operator ${op} is not known to this validator; its output shapes are not checked`);
      return null;
  }
}

/** Decodes and validates ONNX bytes; a protobuf decode failure becomes a problem too. */
export function validateModelBytes(bytes: Uint8Array): ValidationReport {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    return {
      ok: false,
      problems: [{ severity: 'error', where: 'file', message: `not a valid ONNX protobuf: ${(e as Error).message}` }],
      stats: { nodes: 0, initializers: 0, opset: null, irVersion: null },
    };
  }
  return validateModel(model);
}

/** Formats a report as lines for a terminal. */
export function formatReport(report: ValidationReport, label = 'model'): string {
  const { stats } = report;
  const head = `${label}: ${report.ok ? 'OK' : 'INVALID'} (IR ${stats.irVersion ?? '?'}, opset ${stats.opset ?? '?'}, ${stats.nodes} nodes, ${stats.initializers} initializers)`;
  const lines = report.problems.map((p) => `  ${p.severity === 'error' ? 'error  ' : 'warning'} ${p.where}: ${p.message}`);
  return [head, ...lines].join('\n');
}
