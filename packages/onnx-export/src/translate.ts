/**
 * ArchSpec (tfjs, NHWC) -> ONNX graphs (NCHW), with no Transpose nodes.
 *
 * The translation tracks, for every intermediate value, how its ONNX layout
 * relates to the tfjs one:
 * - an image is NCHW in ONNX where tfjs has NHWC, so conv kernels are permuted;
 * - a flattened vector is in (c, h, w) order in ONNX where tfjs has (h, w, c),
 *   so the dense layer that reads it gets its rows re-ordered, and the dense
 *   layer that feeds a reshape gets its columns (and bias) re-ordered.
 */
import type { ArchSpec, Conv2DSpec, Conv2DTransposeSpec, DenseSpec, ImageShape, LayerSpec, ResidualSpec } from '@vae/format';
import { BATCH_DIM, GRAPH_IO, conditionClasses } from '@vae/format';
import { ExportError } from './errors.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { toFloat16Array } from './float16.js';
import { quantizeInt8PerChannel } from './quantize-int8.js';
import type { AttributeProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './onnx-schema.js';
import { AttributeType, DataType } from './onnx-schema.js';

/** Name and version written into `producer_name` / `producer_version`. */
export const PRODUCER = { name: '@vae/onnx-export', version: '0.1.0' } as const;

/** Lowest and highest ONNX opset the exporter writes. */
export const OPSET_RANGE = { min: 13, max: 21, default: 17 } as const;

/** Weight storage of an export: float32, float16 (Cast), or per-channel int8 (DequantizeLinear). */
export type Precision = 'fp32' | 'fp16' | 'int8';

/** Every {@link Precision}, for messages and option checks. */
export const PRECISIONS: readonly Precision[] = Object.freeze(['fp32', 'fp16', 'int8']);

/** DequantizeLinear's `axis` (per-channel scales) exists from opset 13 on. */
export const INT8_MIN_OPSET = 13;

/** Symbolic name of the batch dimension in every graph input and output (`@vae/format`'s, re-exported). */
export { BATCH_DIM };

/**
 * The lowest IR version that can carry an opset, so that older runtimes and
 * checkers accept the file (opset 17 -> IR 8).
 */
export function irVersionForOpset(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** Options of {@link translateArch}. */
export interface TranslateOptions {
  /** ONNX opset, {@link OPSET_RANGE}. Default 17. */
  opset?: number;
  /**
   * Weight storage: `fp32`, or `fp16` (half the bytes; each weight is Cast to
   * float32 inside the graph, so inputs, outputs and arithmetic stay float32
   * and every execution provider can run it), or `int8` (a quarter of the
   * bytes: per-output-channel symmetric int8 kernels, each widened by a
   * DequantizeLinear; biases stay float32). Inputs and outputs stay float32.
   */
  precision?: Precision;
  /** `metadata_props` written into both graphs. */
  metadata?: Record<string, string>;
  /** Model doc string prefix (e.g. the model name). */
  docPrefix?: string;
}

/** The two ONNX models of a VAE. */
export interface TranslatedModel {
  encoder: ModelProto;
  decoder: ModelProto;
}

type Layout =
  | { kind: 'image'; shape: ImageShape }
  /** `perm[j]` is the tfjs index of ONNX element j, or null for identity. */
  | { kind: 'vector'; size: number; perm: Int32Array | null };

const isIdentity = (p: Int32Array | null) => p === null || p.every((v, i) => v === i);

/** ONNX (c,h,w) flat index -> tfjs (h,w,c) flat index. */
export function chwToHwcPermutation([H, W, C]: ImageShape): Int32Array {
  const perm = new Int32Array(H * W * C);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) perm[c * H * W + h * W + w] = h * W * C + w * C + c;
  return perm;
}

/** tfjs conv2d kernel `[kh,kw,in,out]` -> ONNX Conv weight `[out,in,kh,kw]`. */
export function permuteConvKernel(src: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) dst[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o];
  return dst;
}

/** tfjs conv2dTranspose kernel `[kh,kw,out,in]` -> ONNX ConvTranspose weight `[in,out,kh,kw]`. */
export function permuteConvTransposeKernel(src: Float32Array, kh: number, kw: number, cout: number, cin: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++) dst[((i * cout + o) * kh + y) * kw + x] = src[((y * kw + x) * cout + o) * cin + i];
  return dst;
}

const fmtShape = (s: readonly number[]) => s.join('×');
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

function attrInts(name: string, ints: number[]): AttributeProto {
  return { name, type: AttributeType.INTS, ints };
}
function attrInt(name: string, i: number): AttributeProto {
  return { name, type: AttributeType.INT, i };
}
function attrFloat(name: string, f: number): AttributeProto {
  return { name, type: AttributeType.FLOAT, f };
}

function floatBytes(data: Float32Array): Uint8Array {
  const copy = new Float32Array(data); // little-endian on every supported platform
  return new Uint8Array(copy.buffer);
}

/** Builds one graph's nodes and initializers. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly precision: Precision) {}

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`duplicate value name ${name}`);
    this.used.add(name);
    return name;
  }

  /**
   * A float weight; returns the float32 value name ops should read.
   * `channelAxis` is the output-channel axis of a kernel in its ONNX layout:
   * only kernels are quantized to int8 (a bias is a few floats, and int8
   * biases would cost accuracy for no size).
   */
  weight(name: string, dims: number[], data: Float32Array, doc: string, channelAxis?: number): string {
    if (this.precision === 'int8' && channelAxis !== undefined) return this.int8Weight(name, dims, data, doc, channelAxis);
    if (this.precision === 'fp32' || this.precision === 'int8') {
      this.initializers.push({ name: this.claim(name), dims, data_type: DataType.FLOAT, raw_data: floatBytes(data), doc_string: doc });
      return name;
    }
    const half = toFloat16Array(data);
    this.initializers.push({
      name: this.claim(name),
      dims,
      data_type: DataType.FLOAT16,
      raw_data: new Uint8Array(half.buffer),
      doc_string: `${doc} Stored as float16.`,
    });
    return this.node('Cast', `${name}/to_float32`, [name], `${name}/float32`, [attrInt('to', DataType.FLOAT)], `Widens the float16 weight ${name} to float32.`);
  }

  private int8Weight(name: string, dims: number[], data: Float32Array, doc: string, axis: number): string {
    const q = quantizeInt8PerChannel(data, dims, axis);
    const channels = dims[axis];
    this.initializers.push({
      name: this.claim(name),
      dims,
      data_type: DataType.INT8,
      raw_data: new Uint8Array(q.values.buffer),
      doc_string: `${doc} Stored as int8, symmetric per channel along axis ${axis}.`,
    });
    const scale = `${name}/scale`;
    this.initializers.push({ name: this.claim(scale), dims: [channels], data_type: DataType.FLOAT, raw_data: floatBytes(q.scales), doc_string: `Per-channel scales of ${name}: max|w| / 127 of each of its ${channels} output channels.` });
    const zero = `${name}/zero_point`;
    this.initializers.push({ name: this.claim(zero), dims: [channels], data_type: DataType.INT8, raw_data: new Uint8Array(channels), doc_string: `Zero points of ${name}: 0 (symmetric).` });
    return this.node('DequantizeLinear', `${name}/dequantize`, [name, scale, zero], `${name}/float32`, [attrInt('axis', axis)], `Widens the int8 weight ${name} to float32: q × scale per channel along axis ${axis}.`);
  }

  /** A float32 scalar constant (kept float32 in fp16 exports: 4 bytes). */
  scalar(name: string, value: number, doc: string): string {
    this.initializers.push({ name: this.claim(name), dims: [], data_type: DataType.FLOAT, raw_data: floatBytes(Float32Array.of(value)), doc_string: doc });
    return name;
  }

  /** An int64 vector constant. */
  int64s(name: string, values: number[], doc: string): string {
    const raw = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    this.initializers.push({ name: this.claim(name), dims: [values.length], data_type: DataType.INT64, raw_data: raw, doc_string: doc });
    return name;
  }

  node(opType: string, name: string, inputs: string[], output: string, attribute: AttributeProto[], doc: string): string {
    this.nodes.push({ name, op_type: opType, input: inputs, output: [this.claim(output)], attribute, doc_string: doc });
    return output;
  }
}

function tensorValue(name: string, dims: (number | string)[], doc: string): ValueInfoProto {
  return {
    name,
    doc_string: doc,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
      },
    },
  };
}

/** Reads one named parameter, checking its size and that every value is finite. */
function param(params: Map<string, Float32Array>, name: string, shape: number[]): Float32Array {
  const t = params.get(name);
  const size = shape.reduce((a, b) => a * b, 1);
  if (!t) throw new ExportError('checkpoint', `checkpoint has no parameter ${name} [${shape.join(',')}]`);
  if (t.length !== size) throw new ExportError('checkpoint', `parameter ${name} has ${t.length} values, expected ${size} for [${shape.join(',')}]`);
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i])) {
      throw new ExportError('non-finite', `parameter ${name} has a non-finite value (${t[i]}) at flat index ${i}; the checkpoint is unusable (training diverged?)`);
    }
  }
  return t;
}

class Translator {
  constructor(
    private readonly g: GraphBuilder,
    private readonly params: Map<string, Float32Array>,
  ) {}

  private activation(layerName: string, kind: string, act: string, pre: string, out: string | undefined): string {
    if (act === 'linear') {
      if (out && out !== pre) throw new Error('internal: a linear layer must be named at creation');
      return pre;
    }
    if (act === 'relu') return this.g.node('Relu', `${layerName}/Relu`, [pre], out ?? `${layerName}/output`, [], `ReLU after ${layerName} (${kind}).`);
    throw new ExportError('unsupported-layer', `layer ${layerName}: activation "${act}" is not supported (relu, linear)`);
  }

  layer(l: LayerSpec, input: string, layout: Layout, next: LayerSpec | undefined, out?: string): { value: string; layout: Layout } {
    switch (l.kind) {
      case 'conv2d':
        return this.conv(l, input, layout, out);
      case 'conv2dTranspose':
        return this.convTranspose(l, input, layout, out);
      case 'dense':
        return this.dense(l, input, layout, next, out);
      case 'residual':
        return this.residual(l, input, layout, out);
      case 'flatten': {
        if (layout.kind === 'vector') return { value: input, layout };
        if (!same(layout.shape, l.inputShape)) {
          throw new ExportError('unsupported-layer', `layer ${l.name}: spec says input ${fmtShape(l.inputShape)} but the previous layer gives ${fmtShape(layout.shape)}`);
        }
        const [h, w, c] = layout.shape;
        const value = this.g.node('Flatten', `${l.name}/Flatten`, [input], out ?? `${l.name}/output`, [attrInt('axis', 1)],
          `Flattens ${c}×${h}×${w} (NCHW) to ${h * w * c} values in (c,h,w) order; tfjs flattens in (h,w,c) order, so the next dense layer's rows are re-ordered to match.`);
        return { value, layout: { kind: 'vector', size: h * w * c, perm: chwToHwcPermutation(layout.shape) } };
      }
      case 'reshape': {
        const [h, w, c] = l.outputShape;
        if (layout.kind !== 'vector' || layout.size !== h * w * c) {
          throw new ExportError('unsupported-layer', `layer ${l.name}: reshape to ${fmtShape(l.outputShape)} needs a vector of ${h * w * c} values`);
        }
        const want = chwToHwcPermutation(l.outputShape);
        const ok = layout.perm === null ? isIdentity(want) : same(layout.perm, want);
        if (!ok) {
          throw new ExportError('unsupported-layer', `layer ${l.name}: a reshape must directly follow a dense layer (whose columns are re-ordered), or the graph would need a Transpose`);
        }
        const shape = this.g.int64s(`${l.name}/shape`, [-1, c, h, w], `Target shape [N, ${c}, ${h}, ${w}] (NCHW) of ${l.name}; tfjs reshapes to [N, ${h}, ${w}, ${c}].`);
        const value = this.g.node('Reshape', `${l.name}/Reshape`, [input, shape], out ?? `${l.name}/output`, [],
          `Reshapes ${h * w * c} values to ${c}×${h}×${w}; the previous dense layer already emits them in (c,h,w) order.`);
        return { value, layout: { kind: 'image', shape: [...l.outputShape] as ImageShape } };
      }
      default: {
        const k = (l as { kind?: unknown; name?: unknown }).kind;
        const n = (l as { name?: unknown }).name;
        throw new ExportError('unsupported-layer', `layer ${String(n)}: kind "${String(k)}" is not supported (conv2d, conv2dTranspose, dense, flatten, reshape, residual)`);
      }
    }
  }

  /** `act(x + b(a(x)))` as Conv, Relu, Conv, Add, Relu: the skip is `input` read a second time, so no copy is made. */
  private residual(l: ResidualSpec, input: string, layout: Layout, out?: string) {
    if (!Array.isArray(l.layers) || l.layers.length !== 2 || l.layers.some((c) => c?.kind !== 'conv2d')) {
      throw new ExportError('unsupported-layer', `layer ${l.name}: a residual block needs exactly two conv2d layers`);
    }
    let inner: { value: string; layout: Layout } = { value: input, layout };
    for (const c of l.layers) inner = this.conv(c, inner.value, inner.layout);
    if (inner.layout.kind !== 'image' || layout.kind !== 'image' || !same(inner.layout.shape, layout.shape)) {
      throw new ExportError('unsupported-layer', `layer ${l.name}: its convs must keep the input's shape for the skip connection`);
    }
    const linear = l.activation === 'linear';
    const sum = this.g.node('Add', `${l.name}/Add`, [input, inner.value], linear && out ? out : `${l.name}/add`, [],
      `Skip connection of ${l.name}: its input plus ${l.layers[1].name}'s output.`);
    const value = this.activation(l.name, 'residual Add', l.activation, sum, out);
    return { value, layout: inner.layout };
  }

  private expectImage(l: Conv2DSpec | Conv2DTransposeSpec, layout: Layout): void {
    if (layout.kind !== 'image' || !same(layout.shape, l.inputShape)) {
      const got = layout.kind === 'image' ? fmtShape(layout.shape) : `a vector of ${layout.size}`;
      throw new ExportError('unsupported-layer', `layer ${l.name}: expects a ${fmtShape(l.inputShape)} image, the previous layer gives ${got}`);
    }
  }

  private conv(l: Conv2DSpec, input: string, layout: Layout, out?: string) {
    this.expectImage(l, layout);
    const { kernelSize: k, inChannels: ci, outChannels: co, stride: s, pads: p } = l;
    const [h, w] = l.inputShape;
    const oh = Math.floor((h + p.top + p.bottom - k) / s) + 1;
    const ow = Math.floor((w + p.left + p.right - k) / s) + 1;
    if (!same([oh, ow, co], l.outputShape)) {
      throw new ExportError('unsupported-layer', `layer ${l.name}: spec output ${fmtShape(l.outputShape)} disagrees with its kernel/stride/pads (${oh}×${ow}×${co})`);
    }
    const kernel = param(this.params, `${l.name}/kernel`, [k, k, ci, co]);
    const bias = param(this.params, `${l.name}/bias`, [co]);
    const W = this.g.weight(`${l.name}/kernel`, [co, ci, k, k], permuteConvKernel(kernel, k, k, ci, co),
      `Conv weight [out=${co}, in=${ci}, ${k}, ${k}], permuted from the tfjs kernel [${k}, ${k}, ${ci}, ${co}].`, 0);
    const B = this.g.weight(`${l.name}/bias`, [co], bias, `Conv bias [${co}].`);
    const linear = l.activation === 'linear';
    const pre = this.g.node('Conv', `${l.name}/Conv`, [input, W, B], linear && out ? out : `${l.name}/conv`, [
      attrInts('kernel_shape', [k, k]),
      attrInts('strides', [s, s]),
      attrInts('pads', [p.top, p.left, p.bottom, p.right]),
      attrInts('dilations', [1, 1]),
      attrInt('group', 1),
    ], `${l.name}: ${ci}→${co} channels, ${k}×${k} kernel, stride ${s}, explicit pads top ${p.top} left ${p.left} bottom ${p.bottom} right ${p.right}; ${fmtShape([h, w])} → ${fmtShape([oh, ow])}.`);
    const value = this.activation(l.name, 'Conv', l.activation, pre, out);
    return { value, layout: { kind: 'image' as const, shape: [...l.outputShape] as ImageShape } };
  }

  private convTranspose(l: Conv2DTransposeSpec, input: string, layout: Layout, out?: string) {
    this.expectImage(l, layout);
    const { kernelSize: k, inChannels: ci, outChannels: co, stride: s, padding: p, outputPadding: op } = l;
    const [h, w] = l.inputShape;
    const oh = (h - 1) * s - 2 * p + k + op;
    const ow = (w - 1) * s - 2 * p + k + op;
    if (!same([oh, ow, co], l.outputShape)) {
      throw new ExportError('unsupported-layer', `layer ${l.name}: spec output ${fmtShape(l.outputShape)} disagrees with its kernel/stride/padding/outputPadding (${oh}×${ow}×${co})`);
    }
    if (op < 0 || op >= s) throw new ExportError('unsupported-layer', `layer ${l.name}: outputPadding ${op} must be in [0, stride)`);
    const kernel = param(this.params, `${l.name}/kernel`, [k, k, co, ci]);
    const bias = param(this.params, `${l.name}/bias`, [co]);
    const W = this.g.weight(`${l.name}/kernel`, [ci, co, k, k], permuteConvTransposeKernel(kernel, k, k, co, ci),
      `ConvTranspose weight [in=${ci}, out=${co}, ${k}, ${k}], permuted from the tfjs kernel [${k}, ${k}, ${co}, ${ci}].`, 1);
    const B = this.g.weight(`${l.name}/bias`, [co], bias, `ConvTranspose bias [${co}].`);
    const linear = l.activation === 'linear';
    const pre = this.g.node('ConvTranspose', `${l.name}/ConvTranspose`, [input, W, B], linear && out ? out : `${l.name}/deconv`, [
      attrInts('kernel_shape', [k, k]),
      attrInts('strides', [s, s]),
      attrInts('pads', [p, p, p, p]),
      attrInts('output_padding', [op, op]),
      attrInts('dilations', [1, 1]),
      attrInt('group', 1),
    ], `${l.name}: ${ci}→${co} channels, ${k}×${k} kernel, stride ${s}, pads ${p}, output_padding ${op} (extra row/column at the bottom/right, as tfjs conv2dTranspose with the explicit output shape); ${fmtShape([h, w])} → ${fmtShape([oh, ow])}.`);
    const value = this.activation(l.name, 'ConvTranspose', l.activation, pre, out);
    return { value, layout: { kind: 'image' as const, shape: [...l.outputShape] as ImageShape } };
  }

  dense(l: DenseSpec, input: string, layout: Layout, next: LayerSpec | undefined, out?: string) {
    if (layout.kind !== 'vector') {
      throw new ExportError('unsupported-layer', `layer ${l.name}: a dense layer needs a flat input; add a flatten layer before it`);
    }
    const { inFeatures: nin, outFeatures: nout } = l;
    if (layout.size !== nin) throw new ExportError('unsupported-layer', `layer ${l.name}: expects ${nin} inputs, the previous layer gives ${layout.size}`);
    const kernel = param(this.params, `${l.name}/kernel`, [nin, nout]);
    const bias = param(this.params, `${l.name}/bias`, [nout]);
    const rowPerm = layout.perm && !isIdentity(layout.perm) ? layout.perm : null;
    let colPerm: Int32Array | null = null;
    if (next?.kind === 'reshape') {
      const [h, w, c] = next.outputShape;
      if (h * w * c !== nout) {
        throw new ExportError('unsupported-layer', `layer ${next.name}: cannot reshape ${nout} values to ${fmtShape(next.outputShape)}`);
      }
      const p = chwToHwcPermutation(next.outputShape);
      if (!isIdentity(p)) colPerm = p;
    }
    let W = kernel;
    let B = bias;
    if (rowPerm || colPerm) {
      W = new Float32Array(nin * nout);
      for (let j = 0; j < nin; j++) {
        const sr = rowPerm ? rowPerm[j] : j;
        for (let o = 0; o < nout; o++) W[j * nout + o] = kernel[sr * nout + (colPerm ? colPerm[o] : o)];
      }
      if (colPerm) {
        B = new Float32Array(nout);
        for (let o = 0; o < nout; o++) B[o] = bias[colPerm[o]];
      }
    }
    const reorder = [rowPerm && 'rows re-ordered from the tfjs (h,w,c) flatten order to ONNX (c,h,w)', colPerm && 'columns re-ordered so the output is in (c,h,w) order for the NCHW reshape']
      .filter(Boolean)
      .join('; ');
    const wName = this.g.weight(`${l.name}/kernel`, [nin, nout], W, `Dense kernel [in=${nin}, out=${nout}]${reorder ? `, ${reorder}` : ''}.`, 1);
    const bName = this.g.weight(`${l.name}/bias`, [nout], B, `Dense bias [${nout}]${colPerm ? ', re-ordered like the kernel columns' : ''}.`);
    const linear = l.activation === 'linear';
    const pre = this.g.node('Gemm', `${l.name}/Gemm`, [input, wName, bName], linear && out ? out : `${l.name}/gemm`, [
      attrFloat('alpha', 1),
      attrFloat('beta', 1),
      attrInt('transA', 0),
      attrInt('transB', 0),
    ], `${l.name}: dense ${nin} → ${nout}${reorder ? ` (${reorder})` : ''}.`);
    const value = this.activation(l.name, 'Gemm', l.activation, pre, out);
    return { value, layout: { kind: 'vector' as const, size: nout, perm: colPerm } };
  }
}

/** The `y` input of a conditional graph (none for an unconditional one). */
function labelInput(classes: number): ValueInfoProto[] {
  return classes ? [tensorValue(GRAPH_IO.y, [BATCH_DIM, classes], `Class labels, one-hot float32 over ${classes} classes.`)] : [];
}

/**
 * Appends the one-hot label as K columns after a flat value, as the trainer
 * does (ArchSpec.condition). The label columns are already in tfjs order, so a
 * row permutation the next dense layer needs covers the features only.
 */
function concatLabel(g: GraphBuilder, name: string, input: string, layout: Layout, classes: number): { value: string; layout: Layout } {
  if (layout.kind !== 'vector') throw new ExportError('unsupported-layer', `${name}: the label joins a flat value, but the previous layer gives an image`);
  const value = g.node('Concat', `${name}/Concat`, [input, GRAPH_IO.y], `${name}/output`, [attrInt('axis', 1)],
    `Appends the one-hot label y [N,${classes}] after the ${layout.size} features, as the trainer concatenates them.`);
  let perm: Int32Array | null = null;
  if (layout.perm) {
    perm = new Int32Array(layout.size + classes);
    perm.set(layout.perm);
    for (let k = 0; k < classes; k++) perm[layout.size + k] = layout.size + k;
  }
  return { value, layout: { kind: 'vector', size: layout.size + classes, perm } };
}

function checkSpec(spec: ArchSpec): void {
  if (!spec || !spec.config || !spec.encoder || !Array.isArray(spec.encoder.trunk) || !Array.isArray(spec.decoder)) {
    throw new ExportError('checkpoint', 'the checkpoint header has no usable architecture spec');
  }
  const [lo, hi] = spec.encoder.logvarClamp ?? [];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new ExportError('checkpoint', `logvarClamp must be [min, max] with min < max, got ${JSON.stringify(spec.encoder.logvarClamp)}`);
  }
}

function model(graph: GraphBuilder, opts: Required<Omit<TranslateOptions, 'docPrefix'>> & { docPrefix: string }, g: {
  name: string;
  doc: string;
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
}): ModelProto {
  return {
    ir_version: irVersionForOpset(opts.opset),
    opset_import: [{ domain: '', version: opts.opset }],
    producer_name: PRODUCER.name,
    producer_version: PRODUCER.version,
    domain: 'ai.vae',
    model_version: 1,
    doc_string: `${opts.docPrefix}${g.doc}`,
    graph: {
      name: g.name,
      doc_string: g.doc,
      node: graph.nodes,
      initializer: graph.initializers,
      input: g.inputs,
      output: g.outputs,
    },
    metadata_props: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
  };
}

/**
 * Translates an architecture and its tfjs-layout parameters into the encoder
 * and decoder ONNX models (as plain `ModelProto` objects; see `encodeModel`).
 * Layers with a `batchNorm` are exported with it folded into their kernel and
 * bias (see `foldBatchNorm`), so their `bn/*` parameters must be present.
 *
 * @throws {@link ExportError} `unsupported-layer`, `non-finite`, `checkpoint`, `usage`
 */
export function translateArch(normed: ArchSpec, normedParams: Map<string, Float32Array>, options: TranslateOptions = {}): TranslatedModel {
  const opset = options.opset ?? OPSET_RANGE.default;
  const precision = options.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) throw new ExportError('usage', `precision must be one of ${PRECISIONS.join(', ')}, got ${String(precision)}`);
  // Checked before the opset range so that the message says why int8 needs this opset.
  if (precision === 'int8' && Number.isInteger(opset) && opset < INT8_MIN_OPSET) {
    throw new ExportError('usage', `int8 weights need DequantizeLinear with a per-channel axis, which ONNX has from opset ${INT8_MIN_OPSET}; got opset ${opset}`);
  }
  if (!Number.isInteger(opset) || opset < OPSET_RANGE.min || opset > OPSET_RANGE.max) {
    throw new ExportError('usage', `opset ${opset} is not supported; use ${OPSET_RANGE.min}..${OPSET_RANGE.max} (default ${OPSET_RANGE.default})`);
  }
  checkSpec(normed);
  // BatchNorm leaves no node behind: its eval-mode affine map becomes part of each conv's weights. Nothing in the
  // graph says so (not even a doc string): the folded graph must be the plain net's byte for byte, so that
  // `--variants` can re-export it exactly from its own weights.
  const { spec, params } = foldBatchNorm(normed, normedParams);
  const opts = { opset, precision, metadata: options.metadata ?? {}, docPrefix: options.docPrefix ?? '' };
  const [H, W, C] = spec.config.imageShape;
  const latent = spec.encoder.mu.outFeatures;
  const archName = spec.config.arch;

  // Encoder
  const eg = new GraphBuilder(precision);
  const et = new Translator(eg, params);
  let value: string = GRAPH_IO.x;
  let layout: Layout = { kind: 'image', shape: [H, W, C] };
  const trunk = spec.encoder.trunk;
  for (let i = 0; i < trunk.length; i++) ({ value, layout } = et.layer(trunk[i], value, layout, trunk[i + 1]));
  const classes = conditionClasses(spec);
  if (classes) ({ value, layout } = concatLabel(eg, 'encoder/concat_y', value, layout, classes));
  for (const head of [spec.encoder.mu, spec.encoder.logvar]) {
    if (head?.kind !== 'dense') throw new ExportError('unsupported-layer', `encoder head ${String(head?.name)} must be a dense layer`);
    if (head.outFeatures !== latent) throw new ExportError('unsupported-layer', `encoder heads disagree on the latent size (${latent} vs ${head.outFeatures})`);
  }
  const mu = et.dense(spec.encoder.mu, value, layout, undefined, GRAPH_IO.mu).value;
  const rawLogvar = et.dense(spec.encoder.logvar, value, layout, undefined, `${spec.encoder.logvar.name}/unclipped`).value;
  const [lo, hi] = spec.encoder.logvarClamp;
  const lv = eg.node('Clip', `${spec.encoder.logvar.name}/Clip`, [
    rawLogvar,
    eg.scalar(`${spec.encoder.logvar.name}/clip_min`, lo, `Lower bound of log σ² (${lo}).`),
    eg.scalar(`${spec.encoder.logvar.name}/clip_max`, hi, `Upper bound of log σ² (${hi}).`),
  ], GRAPH_IO.logvar, [], `Clips log σ² to [${lo}, ${hi}] so that exp stays finite, as the trainer does.`);
  void mu;
  void lv;
  const encoder = model(eg, opts, {
    name: `vae_${archName}_encoder`,
    doc: `VAE encoder (${archName}): image x [N,${C},${H},${W}] in [0,1] → posterior mean mu and clipped log-variance logvar [N,${latent}].`,
    inputs: [tensorValue(GRAPH_IO.x, [BATCH_DIM, C, H, W], `Images, NCHW float32 pixels in [0,1], batch of N.`), ...labelInput(classes)],
    outputs: [
      tensorValue(GRAPH_IO.mu, [BATCH_DIM, latent], 'Mean of q(z|x).'),
      tensorValue(GRAPH_IO.logvar, [BATCH_DIM, latent], `Log-variance of q(z|x), clipped to [${lo}, ${hi}].`),
    ],
  });

  // Decoder
  const dg = new GraphBuilder(precision);
  const dt = new Translator(dg, params);
  value = GRAPH_IO.z;
  layout = { kind: 'vector', size: latent, perm: null };
  if (classes) ({ value, layout } = concatLabel(dg, 'decoder/concat_y', value, layout, classes));
  const dec = spec.decoder;
  if (dec.length === 0) throw new ExportError('unsupported-layer', 'the decoder has no layers');
  dec.forEach((l, i) => {
    const last = i === dec.length - 1;
    ({ value, layout } = dt.layer(l, value, layout, dec[i + 1], last ? GRAPH_IO.logits : undefined));
  });
  const end = layout as Layout;
  if (end.kind !== 'image' || !same(end.shape, [H, W, C])) {
    const got = end.kind === 'image' ? fmtShape(end.shape) : `a vector of ${end.size}`;
    throw new ExportError('unsupported-layer', `the decoder ends in ${got}, not a ${fmtShape([H, W, C])} image`);
  }
  dg.node('Sigmoid', 'decoder/Sigmoid', [GRAPH_IO.logits], GRAPH_IO.x, [], 'Bernoulli means: x = sigmoid(logits).');
  const decoder = model(dg, opts, {
    name: `vae_${archName}_decoder`,
    doc: `VAE decoder (${archName}): latent z [N,${latent}] → Bernoulli logits and means x = sigmoid(logits), [N,${C},${H},${W}].`,
    inputs: [tensorValue(GRAPH_IO.z, [BATCH_DIM, latent], 'Latent codes, e.g. samples from N(0, I) or encoder means.'), ...labelInput(classes)],
    outputs: [
      tensorValue(GRAPH_IO.x, [BATCH_DIM, C, H, W], 'Bernoulli means (pixel intensities in [0,1]), NCHW.'),
      tensorValue(GRAPH_IO.logits, [BATCH_DIM, C, H, W], 'Bernoulli logits before the sigmoid; use these for exact likelihoods.'),
    ],
  });
  return { encoder, decoder };
}
