/**
 * One optimisation step of the negative ELBO with Adam, on tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships gradients separately from ops; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { VaeModel } from '../model/vae.js';
import type { ReconLoss } from '../model/loss.js';
import { gaussianKl, reconstructionLoss } from '../model/loss.js';

/** Adam settings; defaults match PyTorch's `torch.optim.Adam`. */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Default Adam hyper-parameters (PyTorch's). */
export const ADAM_DEFAULTS: Readonly<Omit<AdamConfig, 'lr'>> = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/** Losses of one step, averaged over the batch, per image, in nats. */
export interface StepLosses {
  /** The optimised objective, `recon + klWeight * kl`. */
  objective: number;
  recon: number;
  kl: number;
}

/** Optimizer state as plain arrays, keyed `"<param>/m"`, `"<param>/v"`, plus the step count. */
export interface OptimizerState {
  iterations: number;
  slots: Map<string, Float32Array>;
}

/** Thrown when a step produces a NaN or infinite loss. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/**
 * Runs Adam steps on a {@link VaeModel}.
 *
 * The reparameterisation noise is passed in rather than drawn here so that the
 * caller controls (and can replay) every random number of a run.
 */
export class TrainStep {
  private readonly optimizer: tf.AdamOptimizer;
  private readonly varList: tf.Variable[];
  private readonly names: string[];

  constructor(
    readonly model: VaeModel,
    readonly adam: AdamConfig,
    readonly recon: ReconLoss = 'bernoulli',
  ) {
    this.optimizer = tf.train.adam(adam.lr, adam.beta1, adam.beta2, adam.epsilon);
    this.names = [...model.params.keys()];
    this.varList = this.names.map((n) => model.params.get(n)!);
  }

  /**
   * One step on a batch `x` (`n*H*W*C` floats in [0,1], NHWC) with standard
   * normal `noise` (`n*latent`). Throws {@link NonFiniteLossError} before
   * touching the weights if the loss is not finite.
   */
  async step(x: Float32Array, n: number, noise: Float32Array, klWeight: number): Promise<StepLosses> {
    const [H, W, C] = this.model.spec.config.imageShape;
    const latent = this.model.spec.config.latent;
    const xT = tf.tensor4d(x, [n, H, W, C]);
    const eps = tf.tensor2d(noise, [n, latent]);
    let reconT: tf.Scalar | undefined;
    let klT: tf.Scalar | undefined;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const { mu, logvar } = this.model.encode(xT);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
        const logits = this.model.decodeLogits(z);
        const r = tf.mean(reconstructionLoss(this.recon, logits, xT)) as tf.Scalar;
        const k = tf.mean(gaussianKl(mu, logvar)) as tf.Scalar;
        reconT = tf.keep(r);
        klT = tf.keep(k);
        return tf.add(r, tf.mul(k, klWeight)) as tf.Scalar;
      }, this.varList);
      const [obj, rec, kl] = await Promise.all([value.data(), reconT!.data(), klT!.data()]);
      value.dispose();
      if (!Number.isFinite(obj[0])) {
        tf.dispose(grads);
        throw new NonFiniteLossError(
          `loss became ${obj[0]} (recon ${rec[0]}, KL ${kl[0]}); try a lower --lr or a longer --kl-warmup. The last checkpoint is untouched.`,
        );
      }
      // Adam's typings ask for a variable map; gradients keyed by variable name are what it reads.
      this.optimizer.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
      tf.dispose(grads);
      return { objective: obj[0], recon: rec[0], kl: kl[0] };
    } finally {
      tf.dispose([xT, eps]);
      if (reconT) reconT.dispose();
      if (klT) klT.dispose();
    }
  }

  /** Reads Adam's step count and moment estimates (empty before the first step). */
  async getState(): Promise<OptimizerState> {
    const weights = await this.optimizer.getWeights();
    const slots = new Map<string, Float32Array>();
    let iterations = 0;
    if (weights.length === 0) return { iterations, slots };
    iterations = (await weights[0].tensor.data())[0];
    const k = this.names.length;
    const moments = weights.slice(1);
    for (let i = 0; i < moments.length; i++) {
      const which = i < k ? 'm' : 'v';
      slots.set(`${this.names[i % k]}/${which}`, (await moments[i].tensor.data()) as Float32Array);
    }
    return { iterations, slots };
  }

  /** Restores a state read by {@link getState}; moments must exist for every parameter. */
  async setState(state: OptimizerState): Promise<void> {
    if (state.slots.size === 0) return;
    const named: { name: string; tensor: tf.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(state.iterations, 'int32') }];
    for (const which of ['m', 'v']) {
      for (const name of this.names) {
        const data = state.slots.get(`${name}/${which}`);
        if (!data) throw new Error(`optimizer state lacks ${name}/${which}`);
        named.push({ name: `${this.model.params.get(name)!.name}/${which}`, tensor: tf.tensor(data, this.model.params.get(name)!.shape) });
      }
    }
    await this.optimizer.setWeights(named);
    tf.dispose(named.map((t) => t.tensor));
  }

  /** Releases the optimizer's tensors. */
  dispose(): void {
    this.optimizer.dispose();
  }
}
