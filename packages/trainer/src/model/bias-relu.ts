/**
 * `relu(x + bias)` with its gradient, as one op: on the cpu backend it runs
 * the project's fused kernels (../kernels/bias-relu.ts), one pass forward
 * and one backward instead of five; on every other backend it is written
 * with tfjs' own ops, with the same maths.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VAE_BIAS_RELU, VAE_BIAS_RELU_GRAD } from '../kernels/bias-relu.js';
import { projectKernelActive } from '../kernels/project-kernel-active.js';

const fused = () => projectKernelActive(VAE_BIAS_RELU);

// customGrad passes the inputs and then the save function, untyped.
const op = tf.customGrad(((x: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = fused() ? (tf.engine().runKernel(VAE_BIAS_RELU, { x, bias }) as tf.Tensor) : tf.relu(tf.add(x, bias));
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [out] = saved;
      const g = dy as tf.Tensor;
      if (fused()) return tf.engine().runKernel(VAE_BIAS_RELU_GRAD, { dy: g, y: out }) as unknown as tf.Tensor[];
      const dx = tf.mul(g, tf.step(out));
      return [dx, tf.sum(dx, [...Array(dx.rank - 1).keys()])];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

/**
 * Prefix of the scope names the fused ops run under: tf.profile lists an op
 * built with customGrad under its scope's name, beside the kernels inside
 * it, so profiles skip these names instead of counting that time twice.
 */
export const FUSED_OP_SCOPE = 'vae-op:';

/** `relu(x + bias)`, `bias` of shape `[C]` against the last axis of `x` (NHWC or `[N, C]`). */
export function biasRelu(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return tf.tidy(`${FUSED_OP_SCOPE}bias-relu`, () => op(x, bias));
}
