/**
 * A plain TypeScript forward pass of a conv VAE with eval-mode BatchNorm, in
 * float64, straight from the spec and the tfjs-layout checkpoint weights: BN
 * is applied as PyTorch's BatchNorm2d does in eval mode
 * (`gamma * (v - running_mean) / sqrt(running_var + eps) + beta`), never folded.
 * It shares no code with the exporter (whose probe pass runs folded weights),
 * so a folding mistake there cannot hide here.
 *
 * The transposed conv is written as a gather (each output pixel sums the
 * inputs that reach it), where the exporter's probe scatters: a second,
 * independent reading of ONNX ConvTranspose with pads and output_padding.
 */
import type { ArchSpec, Conv2DSpec, Conv2DTransposeSpec, DenseSpec, LayerSpec } from '@vae/format';

/** A batch in tfjs layout (NHWC images, `[n, f]` vectors), float64. */
export interface RefTensor {
  data: Float64Array;
  dims: number[];
}

const get = (params: ReadonlyMap<string, Float32Array>, name: string) => {
  const t = params.get(name);
  if (!t) throw new Error(`reference forward: no parameter ${name}`);
  return t;
};

function conv(l: Conv2DSpec, x: RefTensor, params: ReadonlyMap<string, Float32Array>): RefTensor {
  const [n, h, w, ci] = x.dims;
  const { kernelSize: k, stride: s, pads: p, outChannels: co } = l;
  const [oh, ow] = l.outputShape;
  const K = get(params, `${l.name}/kernel`); // [kh, kw, in, out]
  const B = get(params, `${l.name}/bias`);
  const out = new Float64Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          let v = B[o];
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * s - p.top + ky;
              const ix = ox * s - p.left + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let i = 0; i < ci; i++) v += x.data[((b * h + iy) * w + ix) * ci + i] * K[((ky * k + kx) * ci + i) * co + o];
            }
          out[((b * oh + oy) * ow + ox) * co + o] = v;
        }
  return { data: out, dims: [n, oh, ow, co] };
}

function convTranspose(l: Conv2DTransposeSpec, x: RefTensor, params: ReadonlyMap<string, Float32Array>): RefTensor {
  const [n, h, w, ci] = x.dims;
  const { kernelSize: k, stride: s, padding: p, outChannels: co } = l;
  const [oh, ow] = l.outputShape;
  const K = get(params, `${l.name}/kernel`); // [kh, kw, out, in]
  const B = get(params, `${l.name}/bias`);
  const out = new Float64Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          let v = B[o];
          for (let ky = 0; ky < k; ky++) {
            const ty = oy + p - ky; // = iy * s
            if (ty < 0 || ty % s !== 0 || ty / s >= h) continue;
            const iy = ty / s;
            for (let kx = 0; kx < k; kx++) {
              const tx = ox + p - kx;
              if (tx < 0 || tx % s !== 0 || tx / s >= w) continue;
              const ix = tx / s;
              for (let i = 0; i < ci; i++) v += x.data[((b * h + iy) * w + ix) * ci + i] * K[((ky * k + kx) * co + o) * ci + i];
            }
          }
          out[((b * oh + oy) * ow + ox) * co + o] = v;
        }
  return { data: out, dims: [n, oh, ow, co] };
}

/** Eval-mode BatchNorm on the last (channel) axis, with the running statistics. */
function batchNorm(l: Conv2DSpec | Conv2DTransposeSpec, t: RefTensor, params: ReadonlyMap<string, Float32Array>): RefTensor {
  const eps = l.batchNorm!.eps;
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'mean', 'variance'].map((p) => get(params, `${l.name}/bn/${p}`));
  const c = l.outChannels;
  for (let j = 0; j < t.data.length; j++) {
    const o = j % c;
    t.data[j] = (gamma[o] * (t.data[j] - mean[o])) / Math.sqrt(variance[o] + eps) + beta[o];
  }
  return t;
}

function dense(l: DenseSpec, x: RefTensor, params: ReadonlyMap<string, Float32Array>): RefTensor {
  const n = x.dims[0];
  const { inFeatures: nin, outFeatures: nout } = l;
  const K = get(params, `${l.name}/kernel`);
  const B = get(params, `${l.name}/bias`);
  const out = new Float64Array(n * nout);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < nout; o++) {
      let v = B[o];
      for (let j = 0; j < nin; j++) v += x.data[b * nin + j] * K[j * nout + o];
      out[b * nout + o] = v;
    }
  return { data: out, dims: [n, nout] };
}

const relu = (t: RefTensor, act: string) => {
  if (act === 'relu') for (let j = 0; j < t.data.length; j++) t.data[j] = Math.max(0, t.data[j]);
  return t;
};

/** Sees each BatchNorm layer's input (the conv's output, NHWC) before it is normalised; may change that layer's `bn/*` parameters. */
export type PreNormHook = (l: Conv2DSpec | Conv2DTransposeSpec, v: RefTensor) => void;

function layer(l: LayerSpec, x: RefTensor, params: ReadonlyMap<string, Float32Array>, hook?: PreNormHook): RefTensor {
  switch (l.kind) {
    case 'conv2d':
    case 'conv2dTranspose': {
      const v = l.kind === 'conv2d' ? conv(l, x, params) : convTranspose(l, x, params);
      if (!l.batchNorm) return relu(v, l.activation);
      hook?.(l, v);
      return relu(batchNorm(l, v, params), l.activation);
    }
    case 'dense':
      return relu(dense(l, x, params), l.activation);
    case 'flatten':
      return { data: x.data, dims: [x.dims[0], x.data.length / x.dims[0]] };
    case 'reshape':
      return { data: x.data, dims: [x.dims[0], ...l.outputShape] };
    case 'residual': {
      let h = x;
      for (const c of l.layers) h = layer(c, h, params, hook);
      return relu({ data: x.data.map((v, j) => v + h.data[j]), dims: x.dims }, l.activation);
    }
  }
}

const f64 = (a: Float32Array) => Float64Array.from(a);

/** Encoder in eval mode: NHWC images `[n,H,W,C]` to `mu` and clipped `logvar`. */
export function referenceEncode(spec: ArchSpec, params: ReadonlyMap<string, Float32Array>, x: Float32Array, n: number, hook?: PreNormHook): { mu: Float64Array; logvar: Float64Array } {
  let h: RefTensor = { data: f64(x), dims: [n, ...spec.config.imageShape] };
  for (const l of spec.encoder.trunk) h = layer(l, h, params, hook);
  const mu = dense(spec.encoder.mu, h, params).data;
  const raw = dense(spec.encoder.logvar, h, params).data;
  const [lo, hi] = spec.encoder.logvarClamp;
  return { mu, logvar: raw.map((v) => Math.min(hi, Math.max(lo, v))) };
}

/** Decoder in eval mode: latents `[n, latent]` to NHWC `logits` and `x = sigmoid(logits)`. */
export function referenceDecode(spec: ArchSpec, params: ReadonlyMap<string, Float32Array>, z: Float32Array, n: number, hook?: PreNormHook): { logits: Float64Array; x: Float64Array } {
  let h: RefTensor = { data: f64(z), dims: [n, spec.config.latent] };
  for (const l of spec.decoder) h = layer(l, h, params, hook);
  return { logits: h.data, x: h.data.map((v) => 1 / (1 + Math.exp(-v))) };
}
