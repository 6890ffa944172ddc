/**
 * Platform-free description of the VAE architectures.
 *
 * The same spec drives the tfjs model (trainer), is stored in every checkpoint,
 * and is what the ONNX exporter translates, so the exporter never needs tfjs or
 * the trainer's model code. Shapes are channels-last (NHWC) as in tfjs; weight
 * layouts follow tfjs conventions:
 * - conv2d kernel `[kh, kw, in, out]`
 * - conv2dTranspose kernel `[kh, kw, out, in]`
 * - dense kernel `[in, out]`
 */

/** Names of the architectures the trainer can build. */
export type ArchName = 'small' | 'base' | 'mlp' | 'celeba';

/** Bumped whenever the meaning of a spec or a weight layout changes. */
export const ARCH_VERSION = 1;

/** Image shape as `[height, width, channels]` (NHWC without the batch). */
export type ImageShape = [number, number, number];

/** Hyper-parameters that select and size an architecture. */
export interface ArchConfig {
  arch: ArchName;
  /** Latent dimensionality. */
  latent: number;
  /** Conv channel widths per encoder stage (conv archs), or hidden widths (mlp). */
  channels: number[];
  /** Square kernel size of every conv (ignored by `mlp`). */
  kernel: number;
  /** Input image shape, `[28, 28, 1]` for MNIST. */
  imageShape: ImageShape;
  /**
   * Number of classes of a conditional VAE (CVAE); absent for an unconditional
   * one. See {@link ConditionSpec} for where the one-hot label enters.
   */
  classes?: number;
  /**
   * Residual blocks at the lowest resolution of the encoder (after the last
   * conv stage) and of the decoder (after the reshape, before the first
   * transposed conv), `resBlocks` on each side; see {@link ResidualSpec}.
   * Conv archs `small` and `base` only, an integer in `0..`{@link MAX_RES_BLOCKS}.
   * Absent means none (0 is normalised to absent, so specs and checkpoints
   * without blocks stay byte for byte as they were).
   */
  resBlocks?: number;
  /**
   * The prior over the latent; absent: the standard normal N(0, I), and the
   * config (and its checkpoints) stay byte for byte as before. See
   * {@link PriorConfig}.
   */
  prior?: PriorConfig;
}

/**
 * A VampPrior (Tomczak & Welling 2018, "VAE with a VampPrior"): the prior is
 * the mixture `p(z) = 1/K sum_k q(z | u_k)` of the encoder's own posteriors at
 * K learned pseudo-inputs `u_k`. The pseudo-inputs are the weight
 * {@link VAMP_PSEUDO_INPUTS}, `[K, H, W, C]` (NHWC like the images), stored
 * unconstrained: the image the encoder sees is `u_k = sigmoid(w_k)`, which
 * keeps every pseudo-pixel in (0, 1) like real pixels while giving a
 * gradient everywhere (the paper's hardtanh has none outside [0, 1]).
 * Only for unconditional archs without BatchNorm (not `celeba`): a
 * pseudo-input batch would move BatchNorm's statistics, and a conditional
 * prior would need a label per component.
 */
export interface PriorConfig {
  kind: 'vamp';
  /** Number of pseudo-inputs K, an integer in [1, {@link MAX_VAMP_COMPONENTS}]. */
  components: number;
}

/** Largest VampPrior component count: bounds the manifest's mixture arrays and the per-step encoder pass. */
export const MAX_VAMP_COMPONENTS = 4096;

/** Weight name of the VampPrior's pseudo-inputs, `[K, H, W, C]`, pre-sigmoid (see {@link PriorConfig}). */
export const VAMP_PSEUDO_INPUTS = 'prior/pseudo_inputs';

/**
 * Checks a config's `prior` (absent is the standard normal and always fine).
 *
 * @throws {@link ArchConfigError} naming `prior` (or `prior.kind`, `prior.components`) and what was expected
 *
 * @example
 * ```ts
 * import { checkPriorConfig } from '@vae/format';
 * checkPriorConfig({ arch: 'small', prior: { kind: 'vamp', components: 100 } }); // ok
 * checkPriorConfig({ arch: 'celeba', prior: { kind: 'vamp', components: 100 } }); // throws ArchConfigError
 * ```
 */
export function checkPriorConfig(config: Pick<ArchConfig, 'arch' | 'prior' | 'classes'>): void {
  const p = config.prior as unknown;
  if (p === undefined) return;
  if (!p || typeof p !== 'object' || Array.isArray(p)) {
    throw new ArchConfigError(`prior is ${JSON.stringify(p)}; expected { "kind": "vamp", "components": K } or no prior (the standard normal)`);
  }
  const o = p as Record<string, unknown>;
  if (o.kind !== 'vamp') throw new ArchConfigError(`prior.kind is ${JSON.stringify(o.kind)}; expected "vamp"`);
  const k = o.components;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_VAMP_COMPONENTS) {
    throw new ArchConfigError(`prior.components is ${JSON.stringify(k)}; expected an integer in [1, ${MAX_VAMP_COMPONENTS}]`);
  }
  const extra = Object.keys(o).find((key) => key !== 'kind' && key !== 'components');
  if (extra !== undefined) throw new ArchConfigError(`prior has ${JSON.stringify(extra)}; expected only kind and components`);
  if (config.classes !== undefined) {
    throw new ArchConfigError(`prior "vamp" is not supported on a conditional model (classes ${config.classes}): its mixture would need a label per pseudo-input; drop classes or the prior`);
  }
  if (config.arch === 'celeba') {
    throw new ArchConfigError(`prior "vamp" is not supported on the celeba arch: encoding the pseudo-inputs would move its BatchNorm statistics; use small, base or mlp`);
  }
}

/** Largest `resBlocks` a spec may ask for (each block costs two 3x3 convs per side). */
export const MAX_RES_BLOCKS = 8;

/** Explicit padding in pixels. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Activation applied after a layer. */
export type Activation = 'relu' | 'linear';

/**
 * Batch normalisation between a conv's bias and its activation, PyTorch's
 * `BatchNorm2d` semantics: `y = act(gamma * (v - m) / sqrt(s + eps) + beta)`
 * with `v = conv(x, W) + b`. In training, `m`, `s` are the batch's per-channel
 * mean and biased variance, and the running statistics are updated as
 * `running = (1 - momentum) * running + momentum * batchStat` (the variance
 * with the unbiased batch variance, as PyTorch does). In evaluation, sampling
 * and export, `m`, `s` are the running mean and variance.
 *
 * Weights (see {@link weightShapes}), each `[outChannels]`:
 * `<layer>/bn/gamma` and `<layer>/bn/beta` are trained; `<layer>/bn/mean`
 * and `<layer>/bn/variance` are the running statistics ({@link BATCH_NORM_STATE}),
 * stored in checkpoints but never touched by the optimiser. Initial values:
 * gamma 1, beta 0, mean 0, variance 1.
 */
export interface BatchNormSpec {
  momentum: number;
  eps: number;
}

/** PyTorch's `BatchNorm2d` defaults, used by every BatchNorm layer of `celeba`. */
export const BATCH_NORM_DEFAULTS: Readonly<BatchNormSpec> = /* @__PURE__ */ Object.freeze({ momentum: 0.1, eps: 1e-5 });

/** Weight-name suffixes of BatchNorm's running statistics: state, not trained parameters. */
export const BATCH_NORM_STATE: readonly string[] = /* @__PURE__ */ Object.freeze(['/bn/mean', '/bn/variance']);

/** A 2-D convolution (`y = act(conv(x, W) + b)`). */
export interface Conv2DSpec {
  kind: 'conv2d';
  name: string;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  pads: Pads;
  inputShape: ImageShape;
  outputShape: ImageShape;
  activation: Activation;
  /** Present when a BatchNorm sits between the bias and the activation (`celeba`). */
  batchNorm?: BatchNormSpec;
}

/**
 * A transposed convolution, described PyTorch-style: output size is
 * `(in - 1) * stride - 2 * padding + kernelSize + outputPadding`.
 * In tfjs it is `conv2dTranspose(x, W, outputShape, stride, padding)`.
 */
export interface Conv2DTransposeSpec {
  kind: 'conv2dTranspose';
  name: string;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: number;
  outputPadding: number;
  inputShape: ImageShape;
  outputShape: ImageShape;
  activation: Activation;
  /** Present when a BatchNorm sits between the bias and the activation (`celeba`). */
  batchNorm?: BatchNormSpec;
}

/** A fully connected layer (`y = act(x W + b)`). */
export interface DenseSpec {
  kind: 'dense';
  name: string;
  inFeatures: number;
  outFeatures: number;
  activation: Activation;
}

/** Flattens an NHWC feature map in (h, w, c) order. */
export interface FlattenSpec {
  kind: 'flatten';
  name: string;
  inputShape: ImageShape;
}

/** Reshapes a vector into an NHWC feature map (h, w, c order). */
export interface ReshapeSpec {
  kind: 'reshape';
  name: string;
  outputShape: ImageShape;
}

/**
 * A residual block: `y = act(x + b(a(x)))`, where `layers` = `[a, b]` are
 * stride-1 3x3 'same'-padded convs that keep the shape and channels of `x`,
 * `a` with ReLU and `b` linear; `activation` (ReLU) follows the sum, so a
 * block is `relu(x + conv3x3(relu(conv3x3(x))))` (the original ResNet
 * ordering, not pre-activation). The skip needs no weights of its own: the
 * block is one nested layer so that a forward pass (trainer, exporter, probe)
 * handles it in one place, keeping `x` for the sum, instead of naming values
 * across a flat list. Weights are the convs' own: `<block>_a/kernel`,
 * `<block>_a/bias`, `<block>_b/...` (e.g. `encoder/res0_a/kernel`).
 */
export interface ResidualSpec {
  kind: 'residual';
  name: string;
  layers: [Conv2DSpec, Conv2DSpec];
  /** After the sum. */
  activation: Activation;
}

/** Any layer of the trunk or decoder. */
export type LayerSpec = Conv2DSpec | Conv2DTransposeSpec | DenseSpec | FlattenSpec | ReshapeSpec | ResidualSpec;

/**
 * A spec's layers in order with each {@link ResidualSpec} replaced by its two
 * convs: what code that only needs every weight layer once (parameter lists,
 * FLOP and memory counts) walks instead of the nested list.
 *
 * @example
 * ```ts
 * import { buildArchSpec, expandResidual } from '@vae/format';
 * expandResidual(buildArchSpec({ arch: 'small', resBlocks: 1 }).decoder).map((l) => l.name);
 * // ['decoder/fc', 'decoder/reshape', 'decoder/res0_a', 'decoder/res0_b', 'decoder/deconv1', ...]
 * ```
 */
export function expandResidual(layers: readonly LayerSpec[]): Exclude<LayerSpec, ResidualSpec>[] {
  return layers.flatMap((l) => (l.kind === 'residual' ? (Array.isArray(l.layers) ? l.layers : []) : [l]));
}

/**
 * How a conditional VAE takes its label `y`, one-hot `[N, classes]` float32:
 * - encoder: `[trunk(x), y]` (features first, then the K label columns) feeds
 *   the `mu` and `logvar` heads, whose kernels have `features + classes` rows;
 * - decoder: `[z, y]` feeds the first decoder layer (dense), whose kernel has
 *   `latent + classes` rows.
 * Every package (trainer, exporter, PyTorch peer) concatenates in this order.
 */
export interface ConditionSpec {
  kind: 'one-hot';
  classes: number;
}

/** The full model: encoder trunk with two dense heads, and a decoder producing logits. */
export interface ArchSpec {
  archVersion: number;
  config: ArchConfig;
  /** Present only on a conditional VAE. */
  condition?: ConditionSpec;
  encoder: {
    /** Image (NHWC) to a flat feature vector. */
    trunk: LayerSpec[];
    mu: DenseSpec;
    logvar: DenseSpec;
    /** `logvar` is clipped to `[min, max]` to keep `exp` finite. */
    logvarClamp: [number, number];
  };
  /** Latent to Bernoulli logits, NHWC `imageShape`; `sigmoid(logits)` is the image. */
  decoder: LayerSpec[];
}

/** Defaults per architecture. */
export const ARCH_DEFAULTS: Readonly<Record<ArchName, Omit<ArchConfig, 'arch'>>> = /* @__PURE__ */ Object.freeze({
  small: { latent: 32, channels: [8, 16, 32], kernel: 3, imageShape: [28, 28, 1] as ImageShape },
  base: { latent: 32, channels: [32, 64, 128], kernel: 4, imageShape: [28, 28, 1] as ImageShape },
  mlp: { latent: 20, channels: [400], kernel: 0, imageShape: [28, 28, 1] as ImageShape },
  // The seed's CelebAVAE: 64x64 RGB, conv 32/64/128/256 (k4 s2 p1) each with BatchNorm + ReLU, latent 256.
  celeba: { latent: 256, channels: [32, 64, 128, 256], kernel: 4, imageShape: [64, 64, 3] as ImageShape },
});

/** The range `logvar` is clipped to, in every architecture. */
export const LOGVAR_CLAMP: [number, number] = [-20, 10];

/** Thrown when an architecture cannot be built from the given config. */
export class ArchConfigError extends Error {
  override name = 'ArchConfigError';
}

/** Fills in defaults for anything the caller left out. */
export function resolveArchConfig(partial: Partial<ArchConfig> & { arch?: ArchName }): ArchConfig {
  const arch = partial.arch ?? 'small';
  const defaults = ARCH_DEFAULTS[arch];
  if (!defaults) {
    throw new ArchConfigError(`unknown arch "${String(arch)}"; expected one of ${Object.keys(ARCH_DEFAULTS).join(', ')}`);
  }
  const out: ArchConfig = {
    arch,
    latent: partial.latent ?? defaults.latent,
    channels: partial.channels ?? [...defaults.channels],
    kernel: partial.kernel ?? defaults.kernel,
    imageShape: partial.imageShape ?? ([...defaults.imageShape] as ImageShape),
  };
  // Absent rather than 0, so unconditional specs (and their checkpoints) stay byte for byte as they were.
  if (partial.classes !== undefined && partial.classes !== 0) out.classes = partial.classes;
  if (partial.resBlocks !== undefined && partial.resBlocks !== 0) out.resBlocks = partial.resBlocks;
  // Copied field by field: a caller's object must not alias the spec's (checkArchSpec compares them).
  if (partial.prior !== undefined) out.prior = partial.prior && typeof partial.prior === 'object' ? { ...partial.prior } : partial.prior;
  return out;
}

/**
 * Number of classes a spec is conditioned on; 0 for an unconditional VAE.
 *
 * @example
 * ```ts
 * import { buildArchSpec, conditionClasses } from '@vae/format';
 * conditionClasses(buildArchSpec({ arch: 'small', classes: 10 })); // 10
 * conditionClasses(buildArchSpec({ arch: 'small' }));              // 0
 * ```
 */
export function conditionClasses(spec: Pick<ArchSpec, 'condition'>): number {
  return spec.condition?.classes ?? 0;
}

/** Largest number of classes a conditional VAE may have (labels are stored as uint8). */
export const MAX_CLASSES = 256;

const convOut = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;

/** `count` {@link ResidualSpec} blocks on a `shape` feature map, named `<side>/res<i>`. */
function residualBlocks(side: 'encoder' | 'decoder', count: number, shape: ImageShape): ResidualSpec[] {
  const c = shape[2];
  const conv = (name: string, activation: Activation): Conv2DSpec => ({
    kind: 'conv2d',
    name,
    inChannels: c,
    outChannels: c,
    kernelSize: 3,
    stride: 1,
    pads: { top: 1, bottom: 1, left: 1, right: 1 },
    inputShape: [...shape],
    outputShape: [...shape],
    activation,
  });
  return Array.from({ length: count }, (_, i) => ({
    kind: 'residual',
    name: `${side}/res${i}`,
    layers: [conv(`${side}/res${i}_a`, 'relu'), conv(`${side}/res${i}_b`, 'linear')],
    activation: 'relu',
  }));
}

/**
 * Builds the layer spec of an architecture.
 *
 * Conv archs use stride-2 convs with padding `floor((k - 1) / 2)`; the decoder
 * mirrors the encoder's spatial sizes exactly, choosing each transposed conv's
 * `outputPadding` so that 28 -> 14 -> 7 -> 4 (k3) or 28 -> 14 -> 7 -> 3 (k4)
 * is undone precisely.
 */
export function buildArchSpec(input: Partial<ArchConfig> & { arch?: ArchName }): ArchSpec {
  const config = resolveArchConfig(input);
  const { latent, channels, kernel, imageShape } = config;
  if (!Number.isInteger(latent) || latent < 1) throw new ArchConfigError(`latent must be a positive integer, got ${latent}`);
  if (channels.length === 0 || channels.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new ArchConfigError(`channels must be positive integers, got [${channels.join(', ')}]`);
  }
  const classes = config.classes ?? 0;
  if (config.classes !== undefined && (!Number.isInteger(classes) || classes < 2 || classes > MAX_CLASSES)) {
    throw new ArchConfigError(`classes must be an integer in [2, ${MAX_CLASSES}] (or absent for an unconditional VAE), got ${config.classes}`);
  }
  const resBlocks = config.resBlocks ?? 0;
  if (!Number.isInteger(resBlocks) || resBlocks < 0 || resBlocks > MAX_RES_BLOCKS) {
    throw new ArchConfigError(`resBlocks must be an integer in [0, ${MAX_RES_BLOCKS}], got ${config.resBlocks}`);
  }
  if (resBlocks && config.arch !== 'small' && config.arch !== 'base') {
    const why = config.arch === 'mlp'
      ? 'mlp has no conv feature map to put residual conv blocks on'
      : 'celeba\'s convs carry BatchNorm, which the residual blocks (plain convs) do not, and its PyTorch peer has no such blocks';
    throw new ArchConfigError(`resBlocks ${resBlocks} needs a conv arch (small or base); ${why}`);
  }
  checkPriorConfig(config);
  const [H, W, C] = imageShape;
  const pixels = H * W * C;
  const withCondition = (spec: ArchSpec): ArchSpec => {
    if (!classes) return spec;
    spec.encoder.mu.inFeatures += classes;
    spec.encoder.logvar.inFeatures += classes;
    const first = spec.decoder[0];
    if (first.kind !== 'dense') throw new ArchConfigError(`a conditional ${config.arch} decoder must start with a dense layer`);
    first.inFeatures += classes;
    return { archVersion: spec.archVersion, config: spec.config, condition: { kind: 'one-hot', classes }, encoder: spec.encoder, decoder: spec.decoder };
  };

  if (config.arch === 'mlp') {
    const trunk: LayerSpec[] = [{ kind: 'flatten', name: 'encoder/flatten', inputShape: imageShape }];
    let width = pixels;
    channels.forEach((h, i) => {
      trunk.push({ kind: 'dense', name: `encoder/fc${i + 1}`, inFeatures: width, outFeatures: h, activation: 'relu' });
      width = h;
    });
    const decoder: LayerSpec[] = [];
    let dw = latent;
    [...channels].reverse().forEach((h, i) => {
      decoder.push({ kind: 'dense', name: `decoder/fc${i + 1}`, inFeatures: dw, outFeatures: h, activation: 'relu' });
      dw = h;
    });
    decoder.push({ kind: 'dense', name: 'decoder/out', inFeatures: dw, outFeatures: pixels, activation: 'linear' });
    decoder.push({ kind: 'reshape', name: 'decoder/reshape', outputShape: imageShape });
    return withCondition({
      archVersion: ARCH_VERSION,
      config,
      encoder: {
        trunk,
        mu: { kind: 'dense', name: 'encoder/mu', inFeatures: width, outFeatures: latent, activation: 'linear' },
        logvar: { kind: 'dense', name: 'encoder/logvar', inFeatures: width, outFeatures: latent, activation: 'linear' },
        logvarClamp: [...LOGVAR_CLAMP],
      },
      decoder,
    });
  }

  if (!Number.isInteger(kernel) || kernel < 2) throw new ArchConfigError(`kernel must be an integer >= 2, got ${kernel}`);
  // celeba halves the image exactly at every stage (k4 s2 p1), as the seed's CelebAVAE does.
  const celeba = config.arch === 'celeba';
  const step = 2 ** channels.length;
  if (celeba && (H % step !== 0 || W % step !== 0)) {
    throw new ArchConfigError(`celeba with ${channels.length} conv stages needs an image size that is a multiple of ${step}, got ${H}x${W}`);
  }
  const bn = celeba ? { batchNorm: { ...BATCH_NORM_DEFAULTS } } : {};
  const stride = 2;
  const pad = Math.floor((kernel - 1) / 2);
  const trunk: LayerSpec[] = [];
  const sizes: [number, number][] = [[H, W]];
  let inC = C;
  let [h, w] = [H, W];
  channels.forEach((outC, i) => {
    const oh = convOut(h, kernel, stride, pad);
    const ow = convOut(w, kernel, stride, pad);
    if (oh < 1 || ow < 1) throw new ArchConfigError(`too many conv stages for a ${H}x${W} image`);
    trunk.push({
      kind: 'conv2d',
      name: `encoder/conv${i + 1}`,
      inChannels: inC,
      outChannels: outC,
      kernelSize: kernel,
      stride,
      pads: { top: pad, bottom: pad, left: pad, right: pad },
      inputShape: [h, w, inC],
      outputShape: [oh, ow, outC],
      activation: 'relu',
      ...bn,
    });
    [h, w, inC] = [oh, ow, outC];
    sizes.push([h, w]);
  });
  const featShape: ImageShape = [h, w, inC];
  const features = h * w * inC;
  trunk.push(...residualBlocks('encoder', resBlocks, featShape));
  trunk.push({ kind: 'flatten', name: 'encoder/flatten', inputShape: featShape });

  const decoder: LayerSpec[] = [
    // The seed's CelebAVAE feeds its dense output straight to the first ConvTranspose.
    { kind: 'dense', name: 'decoder/fc', inFeatures: latent, outFeatures: features, activation: celeba ? 'linear' : 'relu' },
    { kind: 'reshape', name: 'decoder/reshape', outputShape: featShape },
    ...residualBlocks('decoder', resBlocks, featShape),
  ];
  const rev = [...channels].reverse();
  for (let i = 0; i < rev.length; i++) {
    const cin = rev[i];
    const cout = i + 1 < rev.length ? rev[i + 1] : C;
    const [ih, iw] = sizes[sizes.length - 1 - i];
    const [th, tw] = sizes[sizes.length - 2 - i];
    const base = (ih - 1) * stride - 2 * pad + kernel;
    const oph = th - base;
    const opw = tw - (iw - 1) * stride + 2 * pad - kernel;
    if (oph < 0 || oph >= stride || oph !== opw) {
      throw new ArchConfigError(`cannot invert conv stage ${i}: ${ih}->${th} needs output padding ${oph}`);
    }
    const last = i + 1 === rev.length;
    decoder.push({
      kind: 'conv2dTranspose',
      name: `decoder/deconv${i + 1}`,
      inChannels: cin,
      outChannels: cout,
      kernelSize: kernel,
      stride,
      padding: pad,
      outputPadding: oph,
      inputShape: [ih, iw, cin],
      outputShape: [th, tw, cout],
      activation: last ? 'linear' : 'relu',
      ...(last ? {} : bn),
    });
  }
  return withCondition({
    archVersion: ARCH_VERSION,
    config,
    encoder: {
      trunk,
      mu: { kind: 'dense', name: 'encoder/mu', inFeatures: features, outFeatures: latent, activation: 'linear' },
      logvar: { kind: 'dense', name: 'encoder/logvar', inFeatures: features, outFeatures: latent, activation: 'linear' },
      logvarClamp: [...LOGVAR_CLAMP],
    },
    decoder,
  });
}

/** Every parametrised layer of a spec, in a stable order. */
export function parametrisedLayers(spec: ArchSpec): (Conv2DSpec | Conv2DTransposeSpec | DenseSpec)[] {
  // Specs also come from checkpoint headers: a damaged one must fail with a typed error, not a TypeError.
  if (!Array.isArray(spec?.encoder?.trunk) || !Array.isArray(spec.decoder) || typeof spec.encoder.mu !== 'object' || typeof spec.encoder.logvar !== 'object') {
    throw new ArchConfigError('arch spec needs encoder.trunk and decoder as arrays of layers and encoder.mu/encoder.logvar as dense layers');
  }
  const all = expandResidual([...spec.encoder.trunk, spec.encoder.mu, spec.encoder.logvar, ...spec.decoder]);
  return all.filter((l): l is Conv2DSpec | Conv2DTransposeSpec | DenseSpec => l.kind !== 'flatten' && l.kind !== 'reshape');
}

/**
 * Shape of each weight tensor, keyed `"<layer>/kernel"` and `"<layer>/bias"`,
 * tfjs layouts, plus `"<layer>/bn/{gamma,beta,mean,variance}"` for layers with
 * a {@link BatchNormSpec}, plus {@link VAMP_PSEUDO_INPUTS} `[K, H, W, C]` with a
 * VampPrior.
 */
export function weightShapes(spec: ArchSpec): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const l of parametrisedLayers(spec)) {
    if (l.kind === 'dense') {
      out.set(`${l.name}/kernel`, [l.inFeatures, l.outFeatures]);
    } else if (l.kind === 'conv2d') {
      out.set(`${l.name}/kernel`, [l.kernelSize, l.kernelSize, l.inChannels, l.outChannels]);
    } else {
      out.set(`${l.name}/kernel`, [l.kernelSize, l.kernelSize, l.outChannels, l.inChannels]);
    }
    out.set(`${l.name}/bias`, [l.kind === 'dense' ? l.outFeatures : l.outChannels]);
    if (l.kind !== 'dense' && l.batchNorm) {
      for (const p of ['gamma', 'beta', 'mean', 'variance']) out.set(`${l.name}/bn/${p}`, [l.outChannels]);
    }
  }
  // Last, so every other weight keeps its place (and its initial values) with or without the prior.
  if (spec.config.prior) out.set(VAMP_PSEUDO_INPUTS, [spec.config.prior.components, ...spec.config.imageShape]);
  return out;
}
