/**
 * The VampPrior (Tomczak & Welling 2018, "VAE with a VampPrior"): the prior
 * `p(z) = 1/K sum_k N(z; mu_k, diag exp(logvar_k))` whose components are the
 * encoder's posteriors at K learned pseudo-inputs `u_k = sigmoid(w_k)`
 * (`w` is the weight `prior/pseudo_inputs`, see `PriorConfig`). Without a
 * closed-form KL, the ELBO's KL term is the single-sample Monte-Carlo
 * estimate `log q(z|x) - log p(z)` at the same z as the reconstruction.
 * Written with tfjs ops so that gradients reach the pseudo-inputs through
 * the encoder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VAMP_PSEUDO_INPUTS } from '@vae/format';
import type { TrainingPass, VaeModel } from './vae.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** The mixture's components: the encoder's mean and clamped log-variance at each pseudo-input, `[K, latent]` each. */
export interface VampComponents {
  mu: tf.Tensor2D;
  logvar: tf.Tensor2D;
}

/** Thrown when a VampPrior operation is asked of a model without one. */
export class VampPriorError extends Error {
  override name = 'VampPriorError';
}

/**
 * Encodes the model's pseudo-inputs `sigmoid(w)` with its own encoder: the
 * mixture components, differentiable with respect to the encoder and `w`.
 *
 * @throws {@link VampPriorError} when the model has no VampPrior
 */
export function encodePseudoInputs(model: VaeModel, training?: TrainingPass): VampComponents {
  const w = model.params.get(VAMP_PSEUDO_INPUTS);
  if (!model.spec.config.prior || !w) throw new VampPriorError(`the model has no VampPrior (no ${VAMP_PSEUDO_INPUTS} weight); train it with --prior vamp`);
  return tf.tidy(() => {
    const u = tf.sigmoid(w) as tf.Tensor4D;
    const { mu, logvar } = model.encode(u, undefined, training);
    return { mu, logvar };
  });
}

/**
 * `log N(z_n; mu_k, diag exp(logvar_k))`, summed over the latent, for every
 * latent row n and component k: `[N, K]`. Broadcast rather than expanded
 * through matrix products, whose cancellation would be catastrophic at the
 * clamp's smallest variances (exp(-20)).
 */
export function logNormalPairs(z: tf.Tensor2D, mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = z.shape[1];
    const diff = tf.sub(tf.expandDims(z, 1), tf.expandDims(mu, 0));
    const maha = tf.sum(tf.mul(tf.square(diff), tf.expandDims(tf.exp(tf.neg(logvar)), 0)), 2);
    return tf.mul(tf.add(tf.add(maha, tf.reshape(tf.sum(logvar, 1), [1, -1])), d * LOG_2PI), -0.5) as tf.Tensor2D;
  });
}

/** The mixture's log density `logsumexp_k log N(z; mu_k, diag exp(logvar_k)) - log K` per row of `z`: `[N]`. */
export function vampLogPrior(z: tf.Tensor2D, components: VampComponents): tf.Tensor1D {
  return tf.tidy(() => {
    const k = components.mu.shape[0];
    return tf.sub(tf.logSumExp(logNormalPairs(z, components.mu, components.logvar), 1), Math.log(k)) as tf.Tensor1D;
  });
}

/**
 * `log q(z|x)` of the reparameterised `z = mu + exp(logvar / 2) * eps` under
 * its own diagonal Gaussian: `-1/2 sum(eps^2 + logvar + log 2 pi)`: `[N]`.
 */
export function logPosterior(eps: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const d = eps.shape[1];
    return tf.mul(tf.add(tf.add(tf.sum(tf.square(eps), 1), tf.sum(logvar, 1)), d * LOG_2PI), -0.5) as tf.Tensor1D;
  });
}

/**
 * The single-sample Monte-Carlo KL estimate `log q(z|x) - log p(z)` under the
 * VampPrior, per row: `[N]`. Unbiased for KL(q || p) but not non-negative per
 * sample.
 */
export function vampKlEstimate(z: tf.Tensor2D, eps: tf.Tensor2D, logvar: tf.Tensor2D, components: VampComponents): tf.Tensor1D {
  return tf.tidy(() => tf.sub(logPosterior(eps, logvar), vampLogPrior(z, components)) as tf.Tensor1D);
}
