/**
 * The VAE as tfjs ops, driven by an {@link ArchSpec}. Parameters are tfjs
 * variables named `<prefix>/<layer>/kernel|bias`; the prefix keeps several
 * models in one process (tests, evaluation) from colliding in tfjs' global
 * variable registry.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ArchSpec, LayerSpec, ResidualSpec } from '@vae/format';
import { VAMP_PSEUDO_INPUTS, checkArchSpec, conditionClasses, parametrisedLayers, weightShapes } from '@vae/format';
import { Rng, deriveSeed } from '../rng.js';
import type { TrainingPass } from './batch-norm.js';
import { batchNorm, isBatchNormState } from './batch-norm.js';
import { biasRelu } from './bias-relu.js';

export type { TrainingPass } from './batch-norm.js';
export { BatchNormError, isBatchNormState } from './batch-norm.js';

/** A VAE whose parameters live in tfjs variables. */
export interface VaeModel {
  readonly spec: ArchSpec;
  /**
   * Parameters keyed by their checkpoint name (`"encoder/conv1/kernel"`),
   * BatchNorm running statistics included (non-trainable variables; see
   * {@link isBatchNormState}).
   */
  readonly params: Map<string, tf.Variable>;
  /**
   * Image batch `[N,H,W,C]` in [0,1] to the posterior's mean and clamped
   * log-variance. A conditional model needs its one-hot labels `y` `[N,K]`
   * (see {@link oneHotLabels}); an unconditional one refuses them. `training`
   * switches BatchNorm to batch statistics (see {@link TrainingPass}).
   */
  encode(x: tf.Tensor4D, y?: tf.Tensor2D, training?: TrainingPass): { mu: tf.Tensor2D; logvar: tf.Tensor2D };
  /** Latents `[N,latent]` (and, when conditional, one-hot `y` `[N,K]`) to Bernoulli logits `[N,H,W,C]`. */
  decodeLogits(z: tf.Tensor2D, y?: tf.Tensor2D, training?: TrainingPass): tf.Tensor4D;
  /** Writes a training pass's running-statistic updates into the state variables and releases them. */
  commitBatchNormUpdates(training: TrainingPass): void;
  /** Copies the parameters out as plain arrays (for checkpoints and export). */
  readParams(): Promise<Map<string, Float32Array>>;
  dispose(): void;
}

/** Thrown when parameters given to a model do not fit its architecture. */
export class ModelParamsError extends Error {
  override name = 'ModelParamsError';
}

/** Thrown when a label is given to an unconditional model, missing on a conditional one, or out of range. */
export class ConditionError extends Error {
  override name = 'ConditionError';
}

/**
 * Class indices to the float32 one-hot `[N, classes]` that a conditional
 * model's encoder and decoder take.
 *
 * @throws {@link ConditionError} for an index outside `0..classes-1`
 */
export function oneHotLabels(labels: ArrayLike<number>, classes: number): tf.Tensor2D {
  const n = labels.length;
  const data = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) throw new ConditionError(`label ${l} at index ${i} is out of range; expected an integer in 0..${classes - 1}`);
    data[i * classes + l] = 1;
  }
  return tf.tensor2d(data, [n, classes]);
}

let instanceCounter = 0;

/**
 * PyTorch's default initialisation (kaiming-uniform with a = sqrt(5)): weights
 * and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Using the same scheme as the
 * PyTorch peer keeps the quality comparison about the maths, not the init.
 * For a transposed conv PyTorch's fan_in is `out_channels * k * k`.
 */
export function initParams(spec: ArchSpec, seed: number): Map<string, Float32Array> {
  const rng = new Rng(deriveSeed(seed, 0x1417));
  const out = new Map<string, Float32Array>();
  const shapes = weightShapes(spec);
  for (const l of parametrisedLayers(spec)) {
    const fanIn =
      l.kind === 'dense' ? l.inFeatures : l.kind === 'conv2d' ? l.inChannels * l.kernelSize ** 2 : l.outChannels * l.kernelSize ** 2;
    const bound = 1 / Math.sqrt(fanIn);
    for (const suffix of ['kernel', 'bias']) {
      const name = `${l.name}/${suffix}`;
      const size = shapes.get(name)!.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = (rng.uniform() * 2 - 1) * bound;
      out.set(name, data);
    }
    // PyTorch's BatchNorm2d starts as the identity on unit-variance data; it draws no random numbers,
    // so the other layers' draws (and every checkpoint without BatchNorm) stay as they were.
    if (l.kind !== 'dense' && l.batchNorm) {
      for (const [p, value] of [['gamma', 1], ['beta', 0], ['mean', 0], ['variance', 1]] as const) {
        out.set(`${l.name}/bn/${p}`, new Float32Array(l.outChannels).fill(value));
      }
    }
  }
  // A VampPrior's pseudo-inputs (pre-sigmoid) ~ N(0, 1), images around grey 0.5, from a stream of
  // their own: the layers' draws, and every checkpoint without the prior, stay as they were.
  const pseudo = shapes.get(VAMP_PSEUDO_INPUTS);
  if (pseudo) out.set(VAMP_PSEUDO_INPUTS, new Rng(deriveSeed(seed, 0x7a3b)).normals(pseudo.reduce((a, b) => a * b, 1)));
  return out;
}

/**
 * One layer's forward pass on tfjs ops, reading parameters through `p`
 * (checkpoint names, `"encoder/conv1/kernel"`); what a {@link VaeModel} runs
 * for every layer of its spec.
 * @internal
 */
export function applyLayer(l: LayerSpec, x: tf.Tensor, p: (name: string) => tf.Tensor, training?: TrainingPass): tf.Tensor {
  const n = x.shape[0];
  let y: tf.Tensor;
  switch (l.kind) {
    case 'flatten':
      return tf.reshape(x, [n, -1]);
    case 'reshape':
      return tf.reshape(x, [n, ...l.outputShape]);
    case 'residual':
      return residual(l, x, p, training);
    case 'dense':
      y = tf.matMul(x as tf.Tensor2D, p(`${l.name}/kernel`) as tf.Tensor2D);
      break;
    case 'conv2d': {
      const { top, bottom, left, right } = l.pads;
      y = tf.conv2d(x as tf.Tensor4D, p(`${l.name}/kernel`) as tf.Tensor4D, l.stride, [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]);
      break;
    }
    case 'conv2dTranspose': {
      const [oh, ow, oc] = l.outputShape;
      // tfjs computes this as the input-gradient of a conv over the output
      // shape; with `padding` p that conv maps oh -> ih, and the spare
      // bottom/right rows are exactly PyTorch's `output_padding`.
      y = tf.conv2dTranspose(x as tf.Tensor4D, p(`${l.name}/kernel`) as tf.Tensor4D, [n, oh, ow, oc], l.stride, l.padding);
      break;
    }
  }
  const bias = p(`${l.name}/bias`);
  const bn = l.kind !== 'dense' ? l.batchNorm : undefined;
  // Bias and ReLU in one op (one pass each way on the cpu backend) where no BatchNorm sits between them.
  if (!bn && l.activation === 'relu') return biasRelu(y, bias);
  y = tf.add(y, bias);
  if (l.kind !== 'dense' && l.batchNorm) {
    const stats = { gamma: p(`${l.name}/bn/gamma`), beta: p(`${l.name}/bn/beta`), mean: p(`${l.name}/bn/mean`), variance: p(`${l.name}/bn/variance`) };
    y = batchNorm(y, stats, l.batchNorm, l.name, training);
  }
  return l.activation === 'relu' ? tf.relu(y) : y;
}

// relu(x + b(a(x))): the inner convs go through applyLayer, so conv a gets the fused bias-relu like every other conv.
function residual(l: ResidualSpec, x: tf.Tensor, p: (name: string) => tf.Tensor, training: TrainingPass | undefined): tf.Tensor {
  let h = x;
  for (const c of l.layers) h = applyLayer(c, h, p, training);
  const sum = tf.add(x, h);
  return l.activation === 'relu' ? tf.relu(sum) : sum;
}

/** Builds a model with freshly initialised parameters. */
export function createVaeModel(spec: ArchSpec, seed: number): VaeModel {
  return vaeModelFromParams(spec, initParams(spec, seed));
}

/** Builds a model from given parameter values (e.g. a checkpoint's). */
export function vaeModelFromParams(spec: ArchSpec, values: Map<string, Float32Array>): VaeModel {
  checkArchSpec(spec);
  const shapes = weightShapes(spec);
  const prefix = `vae${instanceCounter++}`;
  const params = new Map<string, tf.Variable>();
  for (const [name, shape] of shapes) {
    const v = values.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!v) throw new ModelParamsError(`missing parameter ${name}, expected shape [${shape}]`);
    if (v.length !== size) throw new ModelParamsError(`parameter ${name} has ${v.length} values, expected ${size} for shape [${shape}]`);
    const init = tf.tensor(v, shape, 'float32');
    params.set(name, tf.variable(init, !isBatchNormState(name), `${prefix}/${name}`));
    init.dispose();
  }
  const p = (name: string) => params.get(name)!;

  const apply = (l: LayerSpec, x: tf.Tensor, training: TrainingPass | undefined): tf.Tensor => applyLayer(l, x, p, training);

  const classes = conditionClasses(spec);
  // The label joins as K extra columns, after the features and after z (ConditionSpec).
  const withLabel = (h: tf.Tensor, y: tf.Tensor2D | undefined, where: string): tf.Tensor => {
    if (!classes) {
      if (y) throw new ConditionError(`${where}: this model is unconditional; it takes no label`);
      return h;
    }
    if (!y) throw new ConditionError(`${where}: this model is conditional on ${classes} classes; pass one-hot labels y [N,${classes}]`);
    if (y.shape[0] !== h.shape[0] || y.shape[1] !== classes) {
      throw new ConditionError(`${where}: labels have shape [${y.shape}], expected [${h.shape[0]},${classes}]`);
    }
    return tf.concat([h as tf.Tensor2D, y], 1);
  };

  return {
    spec,
    params,
    encode(x, y, training) {
      return tf.tidy(() => {
        let h: tf.Tensor = x;
        for (const l of spec.encoder.trunk) h = apply(l, h, training);
        h = withLabel(h, y, 'encode');
        const mu = apply(spec.encoder.mu, h, training) as tf.Tensor2D;
        const [lo, hi] = spec.encoder.logvarClamp;
        const logvar = tf.clipByValue(apply(spec.encoder.logvar, h, training), lo, hi) as tf.Tensor2D;
        return { mu, logvar };
      });
    },
    decodeLogits(z, y, training) {
      return tf.tidy(() => {
        let h: tf.Tensor = withLabel(z, y, 'decode');
        for (const l of spec.decoder) h = apply(l, h, training);
        return h as tf.Tensor4D;
      });
    },
    commitBatchNormUpdates(training) {
      for (const [name, t] of training.updates) {
        const v = params.get(name);
        if (!v || !isBatchNormState(name)) throw new ModelParamsError(`${name} is not a BatchNorm running statistic of this model`);
        v.assign(t);
        t.dispose();
      }
      training.updates.clear();
    },
    async readParams() {
      const out = new Map<string, Float32Array>();
      for (const [name, v] of params) out.set(name, (await v.data()) as Float32Array);
      return out;
    },
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}
