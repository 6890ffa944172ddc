/**
 * The negative ELBO and its parts, per image, in nats.
 *
 * Bernoulli reconstruction uses the numerically stable BCE-from-logits form
 * `max(l, 0) - l*x + log(1 + exp(-|l|))`, which never evaluates exp of a large
 * positive number; the KL to N(0, I) is the closed form
 * `-1/2 * sum(1 + logvar - mu^2 - exp(logvar))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VAE_BCE, VAE_BCE_GRAD } from '../kernels/bce.js';
import { projectKernelActive } from '../kernels/project-kernel-active.js';
import { FUSED_OP_SCOPE } from './bias-relu.js';

/** Reconstruction likelihood: Bernoulli (BCE) or unit-variance Gaussian (squared error). */
export type ReconLoss = 'bernoulli' | 'mse';

const fusedBce = () => projectKernelActive(VAE_BCE);

/** The BCE with its gradient as one op: the cpu backend's fused kernels (kernels/bce.ts), tfjs' ops elsewhere. */
const bceOp = tf.customGrad(((l: tf.Tensor2D, t: tf.Tensor2D, save: tf.GradSaveFunc) => {
  if (fusedBce()) {
    // The kernel's sigmoid is kept for the gradient, which then needs no exp.
    const [value, sigmoid] = tf.engine().runKernel(VAE_BCE, { logits: l, targets: t }) as unknown as tf.Tensor[];
    save([l, t, sigmoid]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [ls, ts, sg]: tf.Tensor[]) =>
        tf.engine().runKernel(VAE_BCE_GRAD, { dy: dy as tf.Tensor, logits: ls, targets: ts, sigmoid: sg }) as unknown as tf.Tensor[],
    };
  }
  save([l, t]);
  return {
    value: tf.sum(tf.add(tf.sub(tf.relu(l), tf.mul(l, t)), tf.log1p(tf.exp(tf.neg(tf.abs(l))))), 1),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [ls, ts]: tf.Tensor[]) => {
      const g = tf.reshape(dy as tf.Tensor, [-1, 1]);
      return [tf.mul(g, tf.sub(tf.sigmoid(ls), ts)), tf.mul(g, tf.neg(ls))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (l: tf.Tensor2D, t: tf.Tensor2D) => tf.Tensor1D;

/** Per-image BCE of `logits` against targets `x` in [0,1], summed over pixels: `[N]`. */
export function bernoulliNll(logits: tf.Tensor, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(`${FUSED_OP_SCOPE}bce`, () => {
    const n = logits.shape[0];
    return bceOp(tf.reshape(logits, [n, -1]) as tf.Tensor2D, tf.reshape(x, [n, -1]) as tf.Tensor2D);
  });
}

/** Per-image squared error of `sigmoid(logits)` against `x`, summed over pixels: `[N]`. */
export function squaredError(logits: tf.Tensor, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const n = logits.shape[0];
    const d = tf.sub(tf.sigmoid(tf.reshape(logits, [n, -1])), tf.reshape(x, [n, -1]));
    return tf.sum(tf.square(d), 1) as tf.Tensor1D;
  });
}

/** Per-image analytic KL(q(z|x) || N(0, I)): `[N]`. */
export function gaussianKl(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const t = tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1));
    return tf.mul(tf.sum(t, 1), 0.5) as tf.Tensor1D;
  });
}

/** Per-image reconstruction term for the chosen likelihood: `[N]`. */
export function reconstructionLoss(kind: ReconLoss, logits: tf.Tensor, x: tf.Tensor): tf.Tensor1D {
  return kind === 'bernoulli' ? bernoulliNll(logits, x) : squaredError(logits, x);
}

/**
 * KL weight at a point of training: `beta` scaled by a linear warm-up from 0
 * over `warmupEpochs` (fractional epochs count, so it ramps per step).
 */
export function klWeight(beta: number, warmupEpochs: number, epochProgress: number): number {
  if (warmupEpochs <= 0) return beta;
  return beta * Math.min(1, epochProgress / warmupEpochs);
}

/**
 * The free-bits KL term (Kingma et al. 2016, "Improved variational inference
 * with inverse autoregressive flow", per latent dimension over the minibatch):
 * `sum_d max(lambda, mean over the batch of KL_d)` with `KL_d` the closed-form
 * KL of dimension d. A dimension whose batch-mean KL is below `lambda` nats
 * gets no gradient from the KL, so the encoder is not pushed to collapse it.
 * Only the optimised objective uses this; reported KL stays {@link gaussianKl}.
 */
export function freeBitsKl(mu: tf.Tensor2D, logvar: tf.Tensor2D, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    const perDim = tf.mul(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1)), 0.5);
    return tf.sum(tf.maximum(tf.mean(perDim, 0), lambda)) as tf.Scalar;
  });
}

/**
 * Log importance weights `log p(x|z) + w * (log p(z) - log q(z|x))` of
 * reparameterised samples `z = mu + exp(logvar / 2) * eps`, one per row: `[N]`.
 * `nllX` is the per-sample reconstruction term (`-log p(x|z)` up to the
 * likelihood's constant, as the ELBO uses it). With a standard normal prior
 * and a diagonal Gaussian q, the 2*pi constants cancel:
 * `log p(z) - log q(z|x) = -1/2 sum(z^2) + 1/2 sum(eps^2) + 1/2 sum(logvar)`.
 * `klWeight` scales that prior ratio as beta and the KL warm-up scale the KL.
 * With `logPz` (the log density of z under another prior, such as the
 * VampPrior's `vampLogPrior`) that prior replaces N(0, I).
 */
export function logImportanceWeights(nllX: tf.Tensor1D, z: tf.Tensor2D, eps: tf.Tensor2D, logvar: tf.Tensor2D, klWeight = 1, logPz?: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    if (logPz) {
      // Another prior (the VampPrior's mixture): log p(z) - log q(z|x) with both 2*pi constants written out.
      const logq = tf.mul(tf.add(tf.add(tf.sum(tf.square(eps), 1), tf.sum(logvar, 1)), eps.shape[1] * Math.log(2 * Math.PI)), -0.5);
      return tf.sub(tf.mul(tf.sub(logPz, logq), klWeight), nllX) as tf.Tensor1D;
    }
    const ratio = tf.mul(tf.sub(tf.add(tf.sum(tf.square(eps), 1), tf.sum(logvar, 1)), tf.sum(tf.square(z), 1)), 0.5);
    return tf.sub(tf.mul(ratio, klWeight), nllX) as tf.Tensor1D;
  });
}

/**
 * The IWAE loss (Burda et al. 2016) from log weights `[N, K]` (image-major):
 * `-mean over images of logmeanexp_k(logw)`, by log-sum-exp so that large
 * negative weights stay finite. K = 1 is the single-sample ELBO estimate.
 */
export function iwaeLoss(logw: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const k = logw.shape[1];
    return tf.neg(tf.mean(tf.sub(tf.logSumExp(logw, 1), Math.log(k)))) as tf.Scalar;
  });
}
