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
import { FUSED_OP_SCOPE } from './bias-relu.js';

/** Reconstruction likelihood: Bernoulli (BCE) or unit-variance Gaussian (squared error). */
export type ReconLoss = 'bernoulli' | 'mse';

function fusedBce(): boolean {
  return tf.getBackend() === 'cpu' && tf.getKernel(VAE_BCE, 'cpu') !== undefined;
}

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
