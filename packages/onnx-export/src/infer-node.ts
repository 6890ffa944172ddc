/**
 * Per-operator type and shape propagation for the validator, for the ONNX ops
 * the exporter writes. The rule throughout: `err` only for what is certainly
 * wrong under the ONNX specification (in any opset the op exists in), `warn`
 * for what cannot be inferred, and an unknown (`null`) dtype or dimension
 * wherever the input does not pin it down. A false error on a valid model is a
 * worse bug than a missed one, because `--check` claims to accept any valid file.
 */
import type { AttributeProto, NodeProto, TensorProto } from './onnx-schema.js';
import { DataType, dataTypeName } from './onnx-schema.js';

/** A dimension: known size, symbolic name, or unknown. */
export type Dim = number | string | null;

/** What the validator knows about a value: `null` dtype or shape means unknown (also for non-tensor values). */
export interface ValueType {
  dtype: number | null;
  shape: Dim[] | null;
}

/** Formats a shape for messages: `[N,1,28,28]`, `?` for unknown. */
export const fmt = (s: Dim[] | null): string => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(',')}]` : '[?]');

const FLOATS = [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, 16 /* bfloat16 */];
const SIGNED_INTS = [DataType.INT8, 5 /* int16 */, DataType.INT32, DataType.INT64];
const UNSIGNED_INTS = [DataType.UINT8, 4 /* uint16 */, 12 /* uint32 */, 13 /* uint64 */];
/** Union over all opsets of each op's type constraint `T` (so a type valid in some opset is never an error). */
const NUMERIC = new Set<number>([...FLOATS, ...SIGNED_INTS, ...UNSIGNED_INTS]);
const FLOAT_ONLY = new Set<number>(FLOATS);
const MATMUL_TYPES = new Set<number>([...FLOATS, DataType.INT32, DataType.INT64, 12, 13]);
const RELU_TYPES = new Set<number>([...FLOATS, ...SIGNED_INTS]);
const AUTO_PAD = new Set(['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']);

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
function attrString(node: NodeProto, name: string): string | undefined {
  const a = attr(node, name);
  return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : undefined;
}

/** Numpy-style broadcasting; a string is the reason two known shapes do not broadcast. */
function broadcast(a: Dim[], b: Dim[]): Dim[] | string {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)];
    const y = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') return `shapes ${fmt(a)} and ${fmt(b)} do not broadcast`;
    // a symbolic or unknown dim against another: it may be 1 at run time, so the result is unknown
    else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : null);
  }
  return out;
}

/** Integer values of a constant int64/int32 initializer, or undefined when they cannot be read. */
function constInts(t: TensorProto | undefined): number[] | undefined {
  if (!t || (t.data_type !== DataType.INT64 && t.data_type !== DataType.INT32)) return undefined;
  const wide = t.data_type === DataType.INT64;
  if (t.raw_data?.length) {
    const size = wide ? 8 : 4;
    if (t.raw_data.length % size) return undefined;
    const dv = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.length);
    return Array.from({ length: t.raw_data.length / size }, (_, i) => (wide ? Number(dv.getBigInt64(i * size, true)) : dv.getInt32(i * size, true)));
  }
  return (wide ? t.int64_data : t.int32_data)?.map(Number) ?? [];
}

/**
 * Propagates types and shapes through one node of the default ONNX domain.
 * Returns one {@link ValueType} per output, or null when the op is not known here.
 */
export function inferNode(
  node: NodeProto,
  op: string,
  input: (i: number) => ValueType | null,
  inits: ReadonlyMap<string, TensorProto>,
  opset: number,
  err: (m: string) => void,
  warn: (m: string) => void,
): ValueType[] | null {
  const x = input(0);
  /** Checks that the given inputs have one type from `allowed`; returns that type (null if none known). */
  const oneType = (idx: number[], allowed: ReadonlySet<number> | null) => {
    const types = idx.map((i) => input(i)).filter((t): t is ValueType => !!t && t.dtype !== null);
    if (allowed) for (const t of types) if (!allowed.has(t.dtype!)) err(`${op} does not take ${dataTypeName(t.dtype!)} inputs (it takes ${[...allowed].map(dataTypeName).join(', ')})`);
    const first = types[0]?.dtype;
    const odd = types.find((t) => t.dtype !== first);
    if (odd) err(`inputs mix ${dataTypeName(first!)} and ${dataTypeName(odd.dtype!)}; ${op} needs one type (Cast the weights first)`);
    return first ?? null;
  };
  const autoPad = attrString(node, 'auto_pad');
  if (autoPad !== undefined && (op === 'Conv' || op === 'ConvTranspose')) {
    if (!AUTO_PAD.has(autoPad)) err(`auto_pad "${autoPad}" is not one of ${[...AUTO_PAD].join(', ')}`);
    else if (autoPad !== 'NOTSET') warn(`auto_pad ${autoPad}: ONNX Runtime's WebGPU provider has mis-computed SAME padding; write explicit pads`);
  }
  switch (op) {
    case 'Conv':
    case 'ConvTranspose':
      return [convLike(node, op === 'ConvTranspose', x, input(1), input(2), oneType([0, 1, 2], FLOAT_ONLY), autoPad ?? 'NOTSET', err, warn)];
    case 'Gemm': {
      const a = x;
      const b = input(1);
      const c = input(2);
      const dtype = oneType([0, 1, 2], MATMUL_TYPES);
      if (!a?.shape || !b?.shape) return [{ dtype, shape: null }];
      if (a.shape.length !== 2 || b.shape.length !== 2) {
        err(`Gemm needs rank-2 A and B, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
        return [{ dtype, shape: null }];
      }
      const [m, ka] = attrInt(node, 'transA', 0) ? [a.shape[1], a.shape[0]] : a.shape;
      const [kb, nn] = attrInt(node, 'transB', 0) ? [b.shape[1], b.shape[0]] : b.shape;
      if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) err(`A ${fmt(a.shape)} has ${ka} columns but B ${fmt(b.shape)} has ${kb} rows`);
      if (c?.shape && opset >= 7) {
        const r = broadcast(c.shape, [m, nn]);
        if (typeof r === 'string' || r.length !== 2 || (typeof nn === 'number' && typeof r[1] === 'number' && r[1] !== nn) || (typeof m === 'number' && typeof r[0] === 'number' && r[0] !== m)) {
          err(`C ${fmt(c.shape)} does not broadcast to [${m ?? '?'},${nn ?? '?'}]`);
        }
      }
      return [{ dtype, shape: [m, nn] }];
    }
    case 'MatMul': {
      const b = input(1);
      const dtype = oneType([0, 1], MATMUL_TYPES);
      if (!x?.shape || !b?.shape || x.shape.length !== 2 || b.shape.length !== 2) return [{ dtype, shape: null }];
      if (typeof x.shape[1] === 'number' && typeof b.shape[0] === 'number' && x.shape[1] !== b.shape[0]) err(`inner dimensions differ: ${fmt(x.shape)} × ${fmt(b.shape)}`);
      return [{ dtype, shape: [x.shape[0], b.shape[1]] }];
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const b = input(1);
      const dtype = oneType([0, 1], NUMERIC);
      if (!x?.shape || !b?.shape) return [{ dtype, shape: null }];
      // Before opset 7 broadcasting was opt-in (`broadcast`, `axis`) and not numpy-style: the output is A's shape.
      if (opset < 7) return [{ dtype, shape: attrInt(node, 'broadcast', 0) ? x.shape : null }];
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
      if (op !== 'Identity') oneType([0], op === 'Relu' ? RELU_TYPES : FLOAT_ONLY);
      return [{ dtype: x?.dtype ?? null, shape: x?.shape ?? null }];
    case 'Clip': {
      const dtype = oneType([0, 1, 2], NUMERIC);
      if (opset >= 11 && (attr(node, 'min') || attr(node, 'max'))) err('min/max are inputs since opset 11, not attributes');
      for (const i of [1, 2]) {
        const t = input(i);
        if (t?.shape && t.shape.length !== 0) err(`${i === 1 ? 'min' : 'max'} must be a scalar, got ${fmt(t.shape)}`);
      }
      const lo = node.input?.[1] ? inits.get(node.input[1]) : undefined;
      const hi = node.input?.[2] ? inits.get(node.input[2]) : undefined;
      if (lo?.raw_data?.length === 4 && hi?.raw_data?.length === 4 && lo.data_type === DataType.FLOAT && hi.data_type === DataType.FLOAT) {
        const f = (t: TensorProto) => new DataView(t.raw_data!.buffer, t.raw_data!.byteOffset, 4).getFloat32(0, true);
        // Legal (the output is then all `max`), but never what an exporter meant.
        if (!(f(lo) <= f(hi))) warn(`min ${f(lo)} is above max ${f(hi)}: every output is ${f(hi)}`);
      }
      return [{ dtype, shape: x?.shape ?? null }];
    }
    case 'Flatten': {
      let axis = attrInt(node, 'axis', 1);
      if (!x?.shape) return [{ dtype: x?.dtype ?? null, shape: null }];
      if (axis < 0) axis += x.shape.length;
      if (axis < 0 || axis > x.shape.length) {
        err(`axis ${attrInt(node, 'axis', 1)} is out of range for an input of rank ${x.shape.length}`);
        return [{ dtype: x.dtype, shape: null }];
      }
      const prod = (ds: Dim[]): Dim => (ds.every((d) => typeof d === 'number') ? (ds as number[]).reduce((a, b) => a * b, 1) : null);
      return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
    }
    case 'Reshape':
      return [reshape(node, x, input(1), inits, opset, err, warn)];
    case 'Concat':
      return [concat(node, (node.input ?? []).map((_, i) => input(i)), oneType((node.input ?? []).map((_, i) => i), null), opset, err)];
    case 'DequantizeLinear':
      return [dequantize(node, x, input(1), input(2), opset, err)];
    case 'Cast': {
      const to = attr(node, 'to');
      if (to?.i === undefined) err('Cast has no "to" attribute');
      return [{ dtype: to?.i === undefined ? null : Number(to.i), shape: x?.shape ?? null }];
    }
    default:
      return null;
  }
}

/** Types DequantizeLinear's `x` takes in some opset (int32 since 10; 16-bit ints since 21; float8/int4 are not modelled). */
const DEQUANT_X = new Set<number>([DataType.INT8, DataType.UINT8, DataType.INT32, 5 /* int16 */, 4 /* uint16 */]);
/** Scale types: float32, and since opset 19 float16 and bfloat16. */
const DEQUANT_SCALE = new Set<number>([DataType.FLOAT, DataType.FLOAT16, 16]);

/**
 * DequantizeLinear: `y = (x - zero_point) * scale`, shaped like `x`, of the
 * scale's type. A 1-D scale (opset 13+) is per channel along `axis` and must
 * have `x`'s size there; the zero point, when given, has `x`'s type and the
 * scale's shape. With `block_size` (opset 21) the scale has `x`'s rank
 * instead, which is not checked further here.
 */
function dequantize(node: NodeProto, x: ValueType | null, scale: ValueType | null, zero: ValueType | null, opset: number, err: (m: string) => void): ValueType {
  if (x?.dtype != null && !DEQUANT_X.has(x.dtype)) err(`DequantizeLinear does not take ${dataTypeName(x.dtype)} x (it takes ${[...DEQUANT_X].map(dataTypeName).join(', ')})`);
  if (scale?.dtype != null && !DEQUANT_SCALE.has(scale.dtype)) err(`x_scale must be float32 (or float16/bfloat16 from opset 19), got ${dataTypeName(scale.dtype)}`);
  if (zero?.dtype != null && x?.dtype != null && zero.dtype !== x.dtype) err(`x_zero_point is ${dataTypeName(zero.dtype)} but x is ${dataTypeName(x.dtype)}; they must have one type`);
  const out: ValueType = { dtype: scale?.dtype ?? (opset < 19 ? DataType.FLOAT : null), shape: x?.shape ?? null };
  if (!scale?.shape) return out;
  const blocked = attrInt(node, 'block_size', 0) > 0;
  if (!blocked && scale.shape.length > 1) err(`x_scale ${fmt(scale.shape)} must be a scalar (per tensor) or 1-D (per axis)`);
  if (!blocked && scale.shape.length === 1) {
    if (opset < 13) err(`a 1-D x_scale ${fmt(scale.shape)} (per axis) needs opset 13; this model imports opset ${opset}`);
    if (x?.shape) {
      const given = attrInt(node, 'axis', 1);
      const axis = given < 0 ? given + x.shape.length : given;
      if (axis < 0 || axis >= x.shape.length) err(`axis ${given} is out of range for x ${fmt(x.shape)}`);
      else if (typeof x.shape[axis] === 'number' && typeof scale.shape[0] === 'number' && x.shape[axis] !== scale.shape[0]) {
        err(`x_scale has ${scale.shape[0]} values but x ${fmt(x.shape)} has ${x.shape[axis]} along axis ${axis}`);
      }
    }
  }
  if (zero?.shape && (zero.shape.length !== scale.shape.length || zero.shape.some((d, i) => typeof d === 'number' && typeof scale.shape![i] === 'number' && d !== scale.shape![i]))) {
    err(`x_zero_point ${fmt(zero.shape)} must have the shape of x_scale ${fmt(scale.shape)}`);
  }
  return out;
}

/**
 * Concat: every input has the output's rank and its dims off `axis`; the
 * output's `axis` dim is their sum (unknown unless every one is a number).
 */
function concat(node: NodeProto, inputs: (ValueType | null)[], dtype: number | null, opset: number, err: (m: string) => void): ValueType {
  const a = attr(node, 'axis');
  // Concat-1 defaulted axis to 1; from Concat-4 on it is required.
  if (a?.i === undefined && opset >= 4) err('Concat has no "axis" attribute (required since opset 4)');
  if (inputs.length === 0) {
    err('Concat needs at least one input');
    return { dtype, shape: null };
  }
  const shapes = inputs.map((t) => t?.shape ?? null);
  if (shapes.some((s) => s === null)) return { dtype, shape: null };
  const known = shapes as Dim[][];
  const rank = known[0].length;
  const odd = known.find((s) => s.length !== rank);
  if (odd) {
    err(`inputs have different ranks: ${fmt(known[0])} and ${fmt(odd)}`);
    return { dtype, shape: null };
  }
  const given = a?.i === undefined ? 1 : Number(a.i);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis >= rank) {
    err(`axis ${given} is out of range for inputs of rank ${rank}`);
    return { dtype, shape: null };
  }
  const out: Dim[] = [];
  for (let d = 0; d < rank; d++) {
    const dims = known.map((s) => s[d]);
    if (d === axis) {
      out.push(dims.every((v) => typeof v === 'number') ? (dims as number[]).reduce((x, y) => x + y, 0) : null);
      continue;
    }
    const nums = dims.filter((v): v is number => typeof v === 'number');
    if (nums.some((v) => v !== nums[0])) err(`inputs differ in dimension ${d} (off the concat axis ${axis}): ${known.map(fmt).join(', ')}`);
    // All must be equal at run time, so any known one stands for the rest.
    out.push(nums[0] ?? dims.find((v) => typeof v === 'string') ?? null);
  }
  return { dtype, shape: out };
}

/** Conv and ConvTranspose with any number of spatial dimensions (1-D, 2-D, 3-D...). */
function convLike(
  node: NodeProto,
  transpose: boolean,
  x: ValueType | null,
  w: ValueType | null,
  b: ValueType | null,
  dtype: number | null,
  autoPad: string,
  err: (m: string) => void,
  warn: (m: string) => void,
): ValueType {
  const unknown = { dtype, shape: null };
  if (!x?.shape || !w?.shape) return unknown;
  if (x.shape.length < 3) {
    err(`input ${fmt(x.shape)} has rank ${x.shape.length}; it needs a batch, a channel and at least one spatial dimension`);
    return unknown;
  }
  if (w.shape.length !== x.shape.length) {
    err(`weight ${fmt(w.shape)} has rank ${w.shape.length} but the input ${fmt(x.shape)} has rank ${x.shape.length}`);
    return unknown;
  }
  const nsp = x.shape.length - 2;
  const group = attrInt(node, 'group', 1);
  if (group < 1) err(`group ${group} must be at least 1`);
  const [n, c, ...size] = x.shape;
  const [w0, w1, ...kernel] = w.shape;
  const num = (d: Dim): d is number => typeof d === 'number';
  const cin = transpose ? w0 : num(w1) ? w1 * group : null;
  const cout = transpose ? (num(w1) ? w1 * group : null) : w0;
  if (num(c) && num(cin) && c !== cin) err(`input has ${c} channels but the weight ${fmt(w.shape)} expects ${cin}`);
  if (!transpose && num(w0) && group > 1 && w0 % group) err(`weight ${fmt(w.shape)} has ${w0} output channels, not a multiple of group ${group}`);
  if (b?.shape && (b.shape.length !== 1 || (num(cout) && num(b.shape[0]) && b.shape[0] !== cout))) err(`bias ${fmt(b.shape)} should be [${cout ?? '?'}]`);
  const listAttr = (name: string, len: number, dflt: number): number[] => {
    const v = attrInts(node, name);
    if (v === undefined) return new Array<number>(len).fill(dflt);
    if (v.length !== len) {
      err(`${name} has ${v.length} values, expected ${len} for ${nsp} spatial dimension${nsp > 1 ? 's' : ''}`);
      return new Array<number>(len).fill(dflt);
    }
    return v;
  };
  const ks = attrInts(node, 'kernel_shape');
  if (ks && (ks.length !== nsp || ks.some((k, i) => num(kernel[i]) && k !== kernel[i]))) err(`kernel_shape [${ks}] disagrees with the weight ${fmt(w.shape)}`);
  const strides = listAttr('strides', nsp, 1);
  const dil = listAttr('dilations', nsp, 1);
  const pads = listAttr('pads', 2 * nsp, 0);
  const outPad = transpose ? listAttr('output_padding', nsp, 0) : [];
  if (autoPad === 'NOTSET' && !attrInts(node, 'pads')) warn('no pads attribute: zero padding assumed');
  let outputShape = transpose ? attrInts(node, 'output_shape') : undefined;
  if (outputShape) {
    warn('output_shape is set: runtimes have disagreed on how it splits padding; prefer pads + output_padding');
    // The attribute holds the spatial sizes; some writers prepend N and C.
    if (outputShape.length === nsp + 2) outputShape = outputShape.slice(2);
    if (outputShape.length !== nsp) {
      err(`output_shape [${outputShape}] has ${outputShape.length} values, expected ${nsp}`);
      outputShape = undefined;
    }
  }
  const spatial = size.map((s, i): Dim => {
    const k = num(kernel[i]) ? kernel[i] : (ks?.[i] ?? null);
    if (transpose && outPad[i] >= strides[i] && outPad[i] >= dil[i]) err(`output_padding ${outPad[i]} must be smaller than stride ${strides[i]} or dilation ${dil[i]}`);
    if (outputShape) return outputShape[i];
    if (!num(s)) return null;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return transpose ? s * strides[i] : Math.ceil(s / strides[i]);
    if (!num(k)) return null;
    const keff = (k - 1) * dil[i] + 1;
    const padTotal = autoPad === 'VALID' ? 0 : pads[i] + pads[i + nsp];
    if (transpose) return strides[i] * (s - 1) + outPad[i] + keff - padTotal;
    return Math.floor((s + padTotal - keff) / strides[i]) + 1;
  });
  if (spatial.some((d) => num(d) && d < 1)) err(`output spatial size ${spatial.map((d) => d ?? '?').join('×')} is empty`);
  return { dtype, shape: [n, cout, ...spatial] };
}

function reshape(
  node: NodeProto,
  x: ValueType | null,
  s: ValueType | null,
  inits: ReadonlyMap<string, TensorProto>,
  opset: number,
  err: (m: string) => void,
  warn: (m: string) => void,
): ValueType {
  if (s && s.dtype !== null && s.dtype !== DataType.INT64) err(`shape must be int64, got ${dataTypeName(s.dtype)}`);
  const dtype = x?.dtype ?? null;
  // Reshape-1 and -4 took the target as an attribute; from opset 5 it is the second input.
  const fromInit = node.input?.[1] ? inits.get(node.input[1]) : undefined;
  const target = opset < 5 && !node.input?.[1] ? attrInts(node, 'shape') : fromInit?.data_type === DataType.INT64 ? constInts(fromInit) : undefined;
  if (!target) {
    if (node.input?.[1] && !fromInit) warn('the target shape is computed at run time; the output shape is not checked');
    return { dtype, shape: null };
  }
  if (target.filter((d) => d === -1).length > 1) {
    err('shape has more than one -1');
    return { dtype, shape: null };
  }
  const bad = target.find((d) => d < -1);
  if (bad !== undefined) {
    err(`shape has ${bad}; dimensions must be >= -1`);
    return { dtype, shape: null };
  }
  const allowZero = attrInt(node, 'allowzero', 0);
  const inShape = x?.shape ?? null;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (inShape?.[i] ?? null) : d === -1 ? null : d));
  if (!inShape) return { dtype, shape: out };
  if (!allowZero && target.some((d, i) => d === 0 && i >= inShape.length)) {
    err(`shape [${target.join(',')}] copies dimension ${target.findIndex((d, i) => d === 0 && i >= inShape.length)} from an input of rank ${inShape.length}`);
    return { dtype, shape: null };
  }
  const iMinus = target.indexOf(-1);
  // Symbolic dims that appear on both sides cancel; only then are the known products comparable.
  const sym = inShape.filter((d): d is string | null => typeof d !== 'number');
  const outSym = out.filter((d, i): d is string | null => i !== iMinus && typeof d !== 'number');
  const left = [...sym];
  for (const d of outSym) {
    const j = left.indexOf(d);
    if (d === null || j < 0) return { dtype, shape: out };
    left.splice(j, 1);
  }
  if (left.includes(null)) return { dtype, shape: out };
  const known = (ds: Dim[]) => ds.filter((d): d is number => typeof d === 'number').reduce((a, b) => a * b, 1);
  const kin = known(inShape);
  const kout = known(out.filter((_, i) => i !== iMinus));
  if (iMinus >= 0) {
    if (kout === 0) return { dtype, shape: out };
    if (left.length === 0) {
      if (kin % kout !== 0) err(`cannot reshape ${fmt(inShape)} to [${target.join(',')}]: ${kin} values do not divide into ${kout}`);
      else out[iMinus] = kin / kout;
    } else if (left.length === 1 && kin === kout) out[iMinus] = left[0];
  } else if (left.length === 0 && kin !== kout) {
    err(`cannot reshape ${fmt(inShape)} (${kin} values) to ${fmt(out)}`);
  }
  return { dtype, shape: out };
}
