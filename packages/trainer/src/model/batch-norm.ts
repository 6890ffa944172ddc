/**
 * BatchNorm for NHWC feature maps with PyTorch's `BatchNorm2d` semantics (see
 * `BatchNormSpec` in `@vae/format`), on tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormSpec } from '@vae/format';
import { BATCH_NORM_STATE } from '@vae/format';

/**
 * A forward pass in training mode: BatchNorm layers normalise with the batch's
 * statistics and leave the running-statistic updates they owe in `updates`
 * (new value keyed by the state's checkpoint name, `<layer>/bn/mean`, kept
 * outside any tidy), to be written once the step is known to be good. Without
 * one (evaluation, sampling, plots, export) BatchNorm uses the running
 * statistics and changes nothing.
 */
export interface TrainingPass {
  updates: Map<string, tf.Tensor>;
}

/** A BatchNorm layer's four `[C]` tensors. */
export interface BatchNormTensors {
  gamma: tf.Tensor;
  beta: tf.Tensor;
  /** Running mean. */
  mean: tf.Tensor;
  /** Running variance. */
  variance: tf.Tensor;
}

/** Thrown when BatchNorm is asked for batch statistics it cannot have (a single value per channel). */
export class BatchNormError extends Error {
  override name = 'BatchNormError';
}

/** Whether a parameter name is BatchNorm running state (`BATCH_NORM_STATE`) rather than a trained weight. */
export function isBatchNormState(name: string): boolean {
  return BATCH_NORM_STATE.some((suffix) => name.endsWith(suffix));
}

/**
 * `gamma * (v - m) / sqrt(s + eps) + beta` per channel of an NHWC `v`, with the
 * batch's mean and biased variance over N, H, W when `training` is given (and
 * the running-statistic updates recorded in it), the running ones otherwise.
 *
 * Written with Sum, Sub, Multiply, RealDiv, Add, Square and Sqrt only, so that
 * forward and backward run on the project's fast cpu kernels (tfjs' Mean and
 * Rsqrt have none), and every broadcast is a `[C]` block against NHWC.
 *
 * @throws {@link BatchNormError} in training when N*H*W is 1 (PyTorch refuses it too)
 */
export function batchNorm(v: tf.Tensor, t: BatchNormTensors, bn: BatchNormSpec, name: string, training?: TrainingPass): tf.Tensor {
  if (!training) {
    const scale = tf.div(t.gamma, tf.sqrt(tf.add(t.variance, bn.eps)));
    return tf.add(tf.mul(tf.sub(v, t.mean), scale), t.beta);
  }
  const [n, h, w] = v.shape;
  const count = n * h * w;
  if (count < 2) {
    throw new BatchNormError(`${name}: BatchNorm in training needs more than 1 value per channel, got a batch of ${n} at ${h}x${w}; use a batch of at least 2`);
  }
  const mean = tf.mul(tf.sum(v, [0, 1, 2]), 1 / count);
  const centred = tf.sub(v, mean);
  // The biased (1/n) variance normalises the batch, as in PyTorch's training mode.
  const variance = tf.mul(tf.sum(tf.square(centred), [0, 1, 2]), 1 / count);
  const out = tf.add(tf.mul(centred, tf.div(t.gamma, tf.sqrt(tf.add(variance, bn.eps)))), t.beta);
  // The running variance takes the unbiased (1/(n-1)) batch variance, as PyTorch's does.
  const m = bn.momentum;
  const updates: [string, tf.Tensor][] = [
    [`${name}/bn/mean`, tf.keep(tf.add(tf.mul(t.mean, 1 - m), tf.mul(mean, m)))],
    [`${name}/bn/variance`, tf.keep(tf.add(tf.mul(t.variance, 1 - m), tf.mul(variance, (m * count) / (count - 1))))],
  ];
  for (const [key, value] of updates) {
    training.updates.get(key)?.dispose();
    training.updates.set(key, value);
  }
  return out;
}
