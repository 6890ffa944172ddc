/**
 * One optimisation step of the negative ELBO with Adam, on tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships gradients separately from ops; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { conditionClasses } from '@vae/format';
import type { TrainingPass, VaeModel } from '../model/vae.js';
import { isBatchNormState, oneHotLabels } from '../model/vae.js';
import { Adam } from './adam.js';
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
  private readonly names: string[];
  private readonly varList: tf.Variable[];
  // Bias corrections from the step count in float64 (see adam.ts), so a resumed run matches an uninterrupted one exactly.
  private readonly opt: Adam;

  constructor(
    readonly model: VaeModel,
    readonly adam: AdamConfig,
    readonly recon: ReconLoss = 'bernoulli',
  ) {
    // BatchNorm's running statistics are state that the forward pass updates, not weights for Adam.
    this.names = [...model.params.keys()].filter((n) => !isBatchNormState(n));
    this.varList = this.names.map((n) => model.params.get(n)!);
    this.opt = new Adam(this.varList, { ...adam });
  }

  /** Number of optimizer steps taken so far. */
  get iterations(): number {
    return this.opt.iterations;
  }

  /**
   * One step on a batch `x` (`n*H*W*C` floats in [0,1], NHWC) with standard
   * normal `noise` (`n*latent`), and the batch's class `labels` when the model
   * is conditional. BatchNorm layers normalise with the batch's statistics and
   * their running statistics move by one update. Throws
   * {@link NonFiniteLossError} before touching the weights (or the running
   * statistics) if the loss is not finite.
   */
  async step(x: Float32Array, n: number, noise: Float32Array, klWeight: number, labels?: ArrayLike<number>): Promise<StepLosses> {
    const [H, W, C] = this.model.spec.config.imageShape;
    const latent = this.model.spec.config.latent;
    const classes = conditionClasses(this.model.spec);
    const xT = tf.tensor4d(x, [n, H, W, C]);
    const eps = tf.tensor2d(noise, [n, latent]);
    // Built only for a conditional model; model.encode refuses a label otherwise.
    const y = classes && labels ? oneHotLabels(labels, classes) : undefined;
    let reconT: tf.Scalar | undefined;
    let klT: tf.Scalar | undefined;
    const pass: TrainingPass = { updates: new Map() };
    try {
      const { value, grads } = tf.variableGrads(() => {
        const { mu, logvar } = this.model.encode(xT, y, pass);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
        const logits = this.model.decodeLogits(z, y, pass);
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
      this.opt.apply(grads);
      tf.dispose(grads);
      this.model.commitBatchNormUpdates(pass);
      return { objective: obj[0], recon: rec[0], kl: kl[0] };
    } finally {
      tf.dispose([xT, eps, ...pass.updates.values()]);
      y?.dispose();
      if (reconT) reconT.dispose();
      if (klT) klT.dispose();
    }
  }

  /** Reads Adam's step count and moment estimates. */
  async getState(): Promise<OptimizerState> {
    const slots = new Map<string, Float32Array>();
    for (let i = 0; i < this.names.length; i++) {
      slots.set(`${this.names[i]}/m`, (await this.opt.m[i].data()) as Float32Array);
      slots.set(`${this.names[i]}/v`, (await this.opt.v[i].data()) as Float32Array);
    }
    return { iterations: this.opt.iterations, slots };
  }

  /** Restores a state read by {@link getState}; moments must exist for every parameter. */
  async setState(state: OptimizerState): Promise<void> {
    this.names.forEach((name, i) => {
      for (const [which, vars] of [['m', this.opt.m], ['v', this.opt.v]] as const) {
        const data = state.slots.get(`${name}/${which}`);
        if (!data || data.length !== vars[i].size) {
          throw new Error(`optimizer state lacks ${name}/${which} with ${vars[i].size} values`);
        }
        tf.tidy(() => vars[i].assign(tf.tensor(data, vars[i].shape)));
      }
    });
    this.opt.iterations = state.iterations;
  }

  /** Releases the optimizer's tensors. */
  dispose(): void {
    this.opt.dispose();
  }
}
