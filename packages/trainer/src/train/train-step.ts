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
import { freeBitsKl, gaussianKl, iwaeLoss, logImportanceWeights, reconstructionLoss } from '../model/loss.js';
import type { VampComponents } from '../model/vamp-prior.js';
import { encodePseudoInputs, vampKlEstimate, vampLogPrior } from '../model/vamp-prior.js';

/** Adam settings; defaults match PyTorch's `torch.optim.Adam`. */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Default Adam hyper-parameters (PyTorch's). */
export const ADAM_DEFAULTS: Readonly<Omit<AdamConfig, 'lr'>> = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/**
 * What a step optimises beyond the plain negative ELBO; the defaults (both off)
 * are exactly the ELBO step.
 */
export interface StepObjective {
  /** Free bits per latent dimension, in nats (`--free-bits`; 0: off). See `freeBitsKl`. */
  freeBits?: number;
  /** Importance samples of the IWAE objective (`--iw-train`; 1: the ELBO). See `iwaeLoss`. */
  iwTrain?: number;
}

/** Losses of one step, averaged over the batch, per image, in nats. */
export interface StepLosses {
  /** The optimised objective: `recon + klWeight * kl`, with the free-bits KL or the IWAE loss when asked for. */
  objective: number;
  recon: number;
  kl: number;
}

/** Optimizer state as plain arrays, keyed `"<param>/m"`, `"<param>/v"`, plus the step count. */
export interface OptimizerState {
  iterations: number;
  slots: Map<string, Float32Array>;
}

/** Thrown when a step's objective cannot be combined with the model's prior (free bits with a VampPrior). */
export class VampObjectiveError extends Error {
  override name = 'VampObjectiveError';
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
    readonly objective: StepObjective = {},
  ) {
    // BatchNorm's running statistics are state that the forward pass updates, not weights for Adam.
    this.names = [...model.params.keys()].filter((n) => !isBatchNormState(n));
    this.varList = this.names.map((n) => model.params.get(n)!);
    this.opt = new Adam(this.varList, { ...adam });
  }

  /** Sets the learning rate of the next steps (a schedule calls it before each step). */
  setLearningRate(lr: number): void {
    this.opt.settings.lr = lr;
  }

  /** Number of optimizer steps taken so far. */
  get iterations(): number {
    return this.opt.iterations;
  }

  /**
   * One step on a batch `x` (`n*H*W*C` floats in [0,1], NHWC) with standard
   * normal `noise` (`n*latent`; `n*K*latent`, image-major, for the IWAE
   * objective with K samples), and the batch's class `labels` when the model
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
    const K = this.objective.iwTrain ?? 1;
    const freeBits = this.objective.freeBits ?? 0;
    if (noise.length !== n * K * latent) throw new RangeError(`noise must hold ${n} x ${K} x ${latent} values, got ${noise.length}`);
    const eps = tf.tensor2d(noise, [n * K, latent]);
    // Built only for a conditional model; model.encode refuses a label otherwise.
    const y = classes && labels ? oneHotLabels(labels, classes) : undefined;
    let reconT: tf.Scalar | undefined;
    let klT: tf.Scalar | undefined;
    const pass: TrainingPass = { updates: new Map() };
    try {
      const vamp = Boolean(this.model.spec.config.prior);
      if (vamp && freeBits > 0) throw new VampObjectiveError(`free bits (${freeBits}) floor a per-dimension analytic KL, which the VampPrior's Monte-Carlo KL does not have; use one of them`);
      const { value, grads } = tf.variableGrads(() => {
        const { mu, logvar } = this.model.encode(xT, y, pass);
        // The pseudo-inputs go through the same encoder every step: the prior moves with it.
        const prior = vamp ? encodePseudoInputs(this.model, pass) : undefined;
        if (K > 1) return this.iwaeObjective(xT, y, mu, logvar, eps, n, K, klWeight, pass, (r, k) => ((reconT = r), (klT = k)), prior);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
        const logits = this.model.decodeLogits(z, y, pass);
        const r = tf.mean(reconstructionLoss(this.recon, logits, xT)) as tf.Scalar;
        // The VampPrior has no closed-form KL: the estimate log q(z|x) - log p(z) at the reconstruction's z.
        const k = tf.mean(prior ? vampKlEstimate(z, eps, logvar, prior) : gaussianKl(mu, logvar)) as tf.Scalar;
        reconT = tf.keep(r);
        klT = tf.keep(k);
        // Free bits change only what is optimised; the reported KL stays the true one.
        return tf.add(r, tf.mul(freeBits > 0 ? freeBitsKl(mu, logvar, freeBits) : k, klWeight)) as tf.Scalar;
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

  /**
   * The IWAE loss over K samples per image: each image's mean and log-variance
   * repeated K times (rows image-major, matching the noise), decoded as one
   * batch of n*K. Reports the mean per-sample reconstruction and the true KL.
   */
  private iwaeObjective(
    xT: tf.Tensor4D,
    y: tf.Tensor2D | undefined,
    mu: tf.Tensor2D,
    logvar: tf.Tensor2D,
    eps: tf.Tensor2D,
    n: number,
    K: number,
    klWeight: number,
    pass: TrainingPass,
    report: (recon: tf.Scalar, kl: tf.Scalar) => void,
    prior?: VampComponents,
  ): tf.Scalar {
    const rows = tf.tensor1d(Int32Array.from({ length: n * K }, (_, r) => Math.floor(r / K)), 'int32');
    const lv = tf.gather(logvar, rows) as tf.Tensor2D;
    const z = tf.add(tf.gather(mu, rows), tf.mul(tf.exp(tf.mul(lv, 0.5)), eps)) as tf.Tensor2D;
    const logits = this.model.decodeLogits(z, y ? (tf.gather(y, rows) as tf.Tensor2D) : undefined, pass);
    const nll = reconstructionLoss(this.recon, logits, tf.gather(xT, rows));
    if (prior) {
      // The VampPrior's KL is reported as the mean Monte-Carlo estimate over all n*K samples.
      const logPz = vampLogPrior(z, prior);
      report(tf.keep(tf.mean(nll) as tf.Scalar), tf.keep(tf.mean(vampKlEstimate(z, eps, lv, prior)) as tf.Scalar));
      return iwaeLoss(tf.reshape(logImportanceWeights(nll, z, eps, lv, klWeight, logPz), [n, K]) as tf.Tensor2D);
    }
    report(tf.keep(tf.mean(nll) as tf.Scalar), tf.keep(tf.mean(gaussianKl(mu, logvar)) as tf.Scalar));
    return iwaeLoss(tf.reshape(logImportanceWeights(nll, z, eps, lv, klWeight), [n, K]) as tf.Tensor2D);
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
