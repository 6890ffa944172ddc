/**
 * A plain float32 forward pass of an {@link ArchSpec}, computing what the
 * exported encoder and decoder graphs compute, so the exporter can check on a
 * probe batch that they give finite outputs without depending on an ONNX
 * runtime (the exporter must not import one).
 *
 * It works in the tfjs layouts the checkpoint stores (NHWC images, kernels
 * `[kh,kw,in,out]`, conv2dTranspose kernels `[kh,kw,out,in]`, flatten in
 * (h,w,c) order): translate.ts only permutes weights so that ONNX's NCHW graph
 * computes the same numbers, so every value here equals the graph's value up
 * to float32 summation order. Sums are accumulated in float64 and each layer's
 * output is stored as float32, so a value beyond float32's range becomes
 * Infinity where the graph's does. A spec with BatchNorm is folded first, as
 * the exporter folds it, so fp16 and int8 round the folded weights the graph stores.
 */
import type { ArchSpec, Conv2DSpec, Conv2DTransposeSpec, DenseSpec, LayerSpec, ResidualSpec } from '@vae/format';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { dequantizeInt8, quantizeInt8PerChannel } from './quantize-int8.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { conditionClasses } from '@vae/format';

/** A batch in tfjs layout: `[n, ...]`, NHWC for images. */
export interface ProbeTensor {
  data: Float32Array;
  dims: number[];
}

/** Where a non-finite value first appeared in a forward pass. */
export interface NonFiniteSite {
  /** The spec's layer name, or the graph step (`.../Clip`, `decoder/Sigmoid`). */
  layer: string;
  /** The first non-finite value (NaN, Infinity or -Infinity). */
  value: number;
  /** Which item of the batch it belongs to. */
  item: number;
  /** Set when the layer's own weights, as the graph stores them, are already non-finite (fp16 overflow). */
  weight?: { name: string; value: number; original: number };
}

/** Outputs of one graph plus the first layer that produced a non-finite value, if any. */
export interface ProbeResult {
  outputs: Record<string, ProbeTensor>;
  firstNonFinite: NonFiniteSite | null;
}

/**
 * Weight precision of the exported graph: fp16 weights are rounded like the
 * graph's initializers, int8 kernels quantized and dequantized as its
 * DequantizeLinear nodes give them.
 */
export type ProbePrecision = 'fp32' | 'fp16' | 'int8';

const firstBad = (a: Float32Array): number => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
};

/**
 * A kernel's per-channel quantization in the tfjs layout: its dims and output
 * channel axis. translate.ts permutes kernels (and dense rows or columns)
 * without mixing output channels, so each channel's max and every rounding
 * are the same in either layout.
 */
interface KernelLayout {
  dims: number[];
  axis: number;
}

/** Reads a parameter as the graph holds it: float32, float32 rounded through float16, or an int8 kernel dequantized. */
class Weights {
  private readonly cache = new Map<string, Float32Array>();
  /** The first weight that is non-finite as stored, per layer. */
  readonly badWeight = new Map<string, NonFiniteSite['weight']>();

  constructor(
    private readonly params: Map<string, Float32Array>,
    private readonly precision: ProbePrecision,
  ) {}

  get(layer: string, suffix: 'kernel' | 'bias', size: number, kernel?: KernelLayout): Float32Array {
    const name = `${layer}/${suffix}`;
    const hit = this.cache.get(name);
    if (hit) return hit;
    const src = this.params.get(name);
    // translate.ts has already checked presence and sizes; this guards direct callers.
    if (!src || src.length !== size) throw new RangeError(`parameter ${name} must have ${size} values, has ${src?.length ?? 'none'}`);
    let w = src;
    if (this.precision === 'fp16') {
      w = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) w[i] = fromFloat16Bits(toFloat16Bits(src[i]));
    } else if (this.precision === 'int8' && kernel) {
      w = dequantizeInt8(quantizeInt8PerChannel(src, kernel.dims, kernel.axis), kernel.dims);
    }
    const bad = firstBad(w);
    if (bad >= 0 && !this.badWeight.has(layer)) this.badWeight.set(layer, { name, value: w[bad], original: src[bad] });
    this.cache.set(name, w);
    return w;
  }
}

function conv2d(l: Conv2DSpec, x: ProbeTensor, wts: Weights): ProbeTensor {
  const [n, h, w, ci] = x.dims;
  const { kernelSize: k, stride: s, pads: p, outChannels: co } = l;
  const [oh, ow] = l.outputShape;
  const K = wts.get(l.name, 'kernel', k * k * ci * co, { dims: [k, k, ci, co], axis: 3 });
  const B = wts.get(l.name, 'bias', co);
  const out = new Float32Array(n * oh * ow * co);
  const acc = new Float64Array(co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        for (let o = 0; o < co; o++) acc[o] = B[o];
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * s + ky - p.top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * s + kx - p.left;
            if (ix < 0 || ix >= w) continue;
            const xb = ((b * h + iy) * w + ix) * ci;
            const kb = (ky * k + kx) * ci;
            for (let i = 0; i < ci; i++) {
              const v = x.data[xb + i];
              const kr = (kb + i) * co;
              for (let o = 0; o < co; o++) acc[o] += v * K[kr + o];
            }
          }
        }
        out.set(acc, ((b * oh + oy) * ow + ox) * co);
      }
  return { data: out, dims: [n, oh, ow, co] };
}

/** ONNX ConvTranspose with pads p and output_padding at the bottom/right: output (iy*s + ky - p) gets x[iy] * W[ky]. */
function conv2dTranspose(l: Conv2DTransposeSpec, x: ProbeTensor, wts: Weights): ProbeTensor {
  const [n, h, w, ci] = x.dims;
  const { kernelSize: k, stride: s, padding: p, outChannels: co } = l;
  const [oh, ow] = l.outputShape;
  const K = wts.get(l.name, 'kernel', k * k * co * ci, { dims: [k, k, co, ci], axis: 2 }); // tfjs [kh, kw, out, in]
  const B = wts.get(l.name, 'bias', co);
  const acc = new Float64Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < w; ix++) {
        const xb = ((b * h + iy) * w + ix) * ci;
        for (let ky = 0; ky < k; ky++) {
          const oy = iy * s + ky - p;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < k; kx++) {
            const ox = ix * s + kx - p;
            if (ox < 0 || ox >= ow) continue;
            const ob = ((b * oh + oy) * ow + ox) * co;
            const kb = (ky * k + kx) * co;
            for (let o = 0; o < co; o++) {
              const kr = (kb + o) * ci;
              let sum = 0;
              for (let i = 0; i < ci; i++) sum += x.data[xb + i] * K[kr + i];
              acc[ob + o] += sum;
            }
          }
        }
      }
  const out = new Float32Array(acc.length);
  for (let j = 0; j < acc.length; j++) out[j] = acc[j] + B[j % co];
  return { data: out, dims: [n, oh, ow, co] };
}

function dense(l: DenseSpec, x: ProbeTensor, wts: Weights): ProbeTensor {
  const n = x.dims[0];
  const { inFeatures: nin, outFeatures: nout } = l;
  const K = wts.get(l.name, 'kernel', nin * nout, { dims: [nin, nout], axis: 1 });
  const B = wts.get(l.name, 'bias', nout);
  // After a ReLU most inputs are 0, which add nothing, unless a weight is infinite (0 * Infinity is NaN in the graph too).
  const skipZeros = !wts.badWeight.has(l.name);
  const out = new Float32Array(n * nout);
  const acc = new Float64Array(nout);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < nout; o++) acc[o] = B[o];
    for (let j = 0; j < nin; j++) {
      const v = x.data[b * nin + j];
      if (v === 0 && skipZeros) continue;
      const kr = j * nout;
      for (let o = 0; o < nout; o++) acc[o] += v * K[kr + o];
    }
    out.set(acc, b * nout);
  }
  return { data: out, dims: [n, nout] };
}

function activate(act: string, t: ProbeTensor): ProbeTensor {
  // NaN stays NaN, as it does through ONNX Relu.
  if (act === 'relu') for (let i = 0; i < t.data.length; i++) if (t.data[i] < 0) t.data[i] = 0;
  return t;
}

/** A residual block's output from its input `x` and its second conv's output `h`: the graph's Add (one float32 sum), then its activation. */
function skipSum(l: ResidualSpec, x: ProbeTensor, h: ProbeTensor): ProbeTensor {
  const sum = new Float32Array(x.data.length);
  for (let i = 0; i < sum.length; i++) sum[i] = x.data[i] + h.data[i];
  return activate(l.activation, { data: sum, dims: x.dims });
}

function layer(l: LayerSpec, x: ProbeTensor, wts: Weights): ProbeTensor {
  switch (l.kind) {
    case 'conv2d':
      return activate(l.activation, conv2d(l, x, wts));
    case 'conv2dTranspose':
      return activate(l.activation, conv2dTranspose(l, x, wts));
    case 'dense':
      return activate(l.activation, dense(l, x, wts));
    case 'flatten': // NHWC memory is already (h,w,c) order, tfjs's flatten order
      return { data: x.data, dims: [x.dims[0], x.data.length / x.dims[0]] };
    case 'reshape':
      return { data: x.data, dims: [x.dims[0], ...l.outputShape] };
    case 'residual': {
      let h = x;
      for (const c of l.layers) h = layer(c, h, wts);
      return skipSum(l, x, h);
    }
    default:
      throw new RangeError(`layer kind ${String((l as { kind?: unknown }).kind)} has no probe forward pass`);
  }
}

/** Runs layers in order, noting the first one whose output holds a non-finite value. */
class Pass {
  first: NonFiniteSite | null = null;
  constructor(readonly wts: Weights) {}

  note(name: string, t: ProbeTensor): ProbeTensor {
    if (this.first) return t;
    const i = firstBad(t.data);
    if (i >= 0) this.first = { layer: name, value: t.data[i], item: Math.floor(i / (t.data.length / t.dims[0])), ...(this.wts.badWeight.has(name) ? { weight: this.wts.badWeight.get(name) } : {}) };
    return t;
  }

  run(l: LayerSpec, x: ProbeTensor): ProbeTensor {
    // A block's convs are noted one by one, so a non-finite value names the conv (and its weight) that made it.
    if (l.kind === 'residual') {
      let h = x;
      for (const c of l.layers) h = this.run(c, h);
      return this.note(l.name, skipSum(l, x, h));
    }
    return this.note(l.name, layer(l, x, this.wts));
  }
}

/** `[n, a]` and `[n, b]` side by side as `[n, a + b]`: a conditional graph's Concat with its label. */
function concatColumns(h: ProbeTensor, y: ProbeTensor): ProbeTensor {
  const [n, a] = h.dims;
  const b = y.dims[1];
  const out = new Float32Array(n * (a + b));
  for (let i = 0; i < n; i++) {
    out.set(h.data.subarray(i * a, (i + 1) * a), i * (a + b));
    out.set(y.data.subarray(i * b, (i + 1) * b), i * (a + b) + a);
  }
  return { data: out, dims: [n, a + b] };
}

/** The label a conditional graph needs (and an unconditional one refuses), as an internal error. */
function withLabel(spec: ArchSpec, h: ProbeTensor, y: ProbeTensor | undefined, where: string): ProbeTensor {
  const classes = conditionClasses(spec);
  if (!classes !== !y) throw new Error(`internal: ${where} probe of a ${classes ? 'conditional' : 'unconditional'} spec ${y ? 'given' : 'without'} labels`);
  return y ? concatColumns(h, y) : h;
}

/**
 * The encoder graph on images `x` (NHWC, `[n, H, W, C]`), and one-hot labels
 * `y` `[n, K]` for a conditional spec: outputs `mu` and `logvar` (clipped to
 * the spec's `logvarClamp`), as the exported graph gives them.
 */
export function probeEncoder(normed: ArchSpec, normedParams: Map<string, Float32Array>, x: ProbeTensor, precision: ProbePrecision = 'fp32', y?: ProbeTensor): ProbeResult {
  const { spec, params } = foldBatchNorm(normed, normedParams);
  const pass = new Pass(new Weights(params, precision));
  let h = x;
  for (const l of spec.encoder.trunk) h = pass.run(l, h);
  h = withLabel(spec, h, y, 'encoder');
  const mu = pass.run(spec.encoder.mu, h);
  const raw = pass.run(spec.encoder.logvar, h);
  const [lo, hi] = spec.encoder.logvarClamp;
  // ONNX Clip keeps NaN and clamps ±Infinity to the bounds.
  const lv = new Float32Array(raw.data.length);
  for (let i = 0; i < lv.length; i++) lv[i] = Number.isNaN(raw.data[i]) ? NaN : Math.min(hi, Math.max(lo, raw.data[i]));
  const logvar = pass.note(`${spec.encoder.logvar.name}/Clip`, { data: lv, dims: raw.dims });
  return { outputs: { mu, logvar }, firstNonFinite: pass.first };
}

/**
 * The decoder graph on latents `z` (`[n, latent]`), and one-hot labels `y`
 * `[n, K]` for a conditional spec: outputs `logits` and `x = sigmoid(logits)`, both NHWC.
 */
export function probeDecoder(normed: ArchSpec, normedParams: Map<string, Float32Array>, z: ProbeTensor, precision: ProbePrecision = 'fp32', y?: ProbeTensor): ProbeResult {
  const { spec, params } = foldBatchNorm(normed, normedParams);
  const pass = new Pass(new Weights(params, precision));
  let h = withLabel(spec, z, y, 'decoder');
  for (const l of spec.decoder) h = pass.run(l, h);
  const logits = h;
  const x = new Float32Array(logits.data.length);
  for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-logits.data[i]));
  return { outputs: { logits, x: pass.note('decoder/Sigmoid', { data: x, dims: logits.dims }) }, firstNonFinite: pass.first };
}
