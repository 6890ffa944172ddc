/**
 * What the celeba parity test compares ONNX Runtime with: the trainer's own
 * tfjs model in evaluation mode (BatchNorm on its running statistics), and the
 * weight sets it runs: fresh, and after a few of the trainer's training steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ArchSpec } from '@vae/format';
import { ADAM_DEFAULTS, initParams, selectBackend, TrainStep, vaeModelFromParams } from '@vae/trainer';
import { referenceDecode, referenceEncode } from './batch-norm-reference.js';
import { normals } from './harness.js';

/** What {@link evalForward} runs, for the parity table. */
export const REFERENCE_NAME = 'trainer tfjs eval mode (cpu backend)';

/** The four outputs of both graphs, NHWC images. */
export type Outputs = Record<'mu' | 'logvar' | 'logits' | 'x', Float32Array>;

/** The trainer's model in evaluation mode (no training pass: BatchNorm uses the running statistics). */
export async function evalForward(spec: ArchSpec, params: Map<string, Float32Array>, images: Float32Array, latents: Float32Array, n: number): Promise<Outputs> {
  await selectBackend('cpu');
  const model = vaeModelFromParams(spec, params);
  const [H, W, C] = spec.config.imageShape;
  const xT = tf.tensor4d(images, [n, H, W, C]);
  const zT = tf.tensor2d(latents, [n, spec.config.latent]);
  const { mu, logvar } = model.encode(xT);
  const logits = model.decodeLogits(zT);
  const x = tf.sigmoid(logits);
  const out = { mu: (await mu.data()) as Float32Array, logvar: (await logvar.data()) as Float32Array, logits: (await logits.data()) as Float32Array, x: (await x.data()) as Float32Array };
  tf.dispose([xT, zT, mu, logvar, logits, x]);
  model.dispose();
  return out;
}

/** The same eval-mode pass in plain float64 TypeScript (batch-norm-reference.ts), which never folds: a check on the trainer. */
export function tsForward(spec: ArchSpec, params: Map<string, Float32Array>, images: Float32Array, latents: Float32Array, n: number): Outputs {
  const e = referenceEncode(spec, params, images, n);
  const d = referenceDecode(spec, params, latents, n);
  return { mu: Float32Array.from(e.mu), logvar: Float32Array.from(e.logvar), logits: Float32Array.from(d.logits), x: Float32Array.from(d.x) };
}

/**
 * The trainer's initial weights (seed 7: BatchNorm gamma 1, beta 0, mean 0,
 * variance 1); for `trained`, then {@link TRAIN_STEPS} of the trainer's own
 * Adam steps (lr 2e-3 and batch 16 as the MNIST parity test's briefly trained weights, on the test's images), which train gamma and
 * beta and move every running mean and variance by its batch statistics with
 * momentum 0.1.
 */
export async function variantParams(spec: ArchSpec, variant: 'fresh' | 'trained', images: Float32Array): Promise<Map<string, Float32Array>> {
  const params = initParams(spec, 7);
  if (variant === 'fresh') return params;
  await selectBackend('cpu');
  const model = vaeModelFromParams(spec, params);
  const step = new TrainStep(model, { lr: 2e-3, ...ADAM_DEFAULTS });
  const [H, W, C] = spec.config.imageShape;
  const per = H * W * C;
  const batch = 16;
  for (let s = 0; s < TRAIN_STEPS; s++) {
    const from = (s * batch) % (images.length / per - batch + 1);
    await step.step(images.slice(from * per, (from + batch) * per), batch, normals(batch * spec.config.latent, 200 + s), 1);
  }
  const out = await model.readParams();
  model.dispose();
  return out;
}

/** Training steps behind the `trained` weights. */
export const TRAIN_STEPS = 4;
