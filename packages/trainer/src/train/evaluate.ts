/**
 * Test-set evaluation: the single-sample negative ELBO with its parts, and the
 * importance-weighted bound on log p(x) (Burda et al., IWAE):
 * `log p(x) >= E[ log (1/k) sum_i p(x, z_i) / q(z_i | x) ]`, computed with
 * log-sum-exp so that k = 1000 stays finite.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LabelledImages } from '../data/idx.js';
import { sequentialBatches } from '../data/batcher.js';
import type { ReconLoss } from '../model/loss.js';
import { gaussianKl, reconstructionLoss } from '../model/loss.js';
import type { VaeModel } from '../model/vae.js';
import { Rng } from '../rng.js';
import { checkpointFreeYield } from './interrupt.js';

/** Evaluation metrics, per image, in nats. */
export interface EvalMetrics {
  loss: number;
  recon: number;
  kl: number;
  /** `-log p(x)` bound from `iwSamples` importance samples, when requested. */
  iwNll?: number;
  iwSamples?: number;
}

/** Options of {@link evaluate}. */
export interface EvalOptions {
  recon: ReconLoss;
  /** Seed of the evaluation noise, so evaluations are reproducible. */
  seed: number;
  batch?: number;
  /** Importance samples for the IWAE bound; 0 skips it. */
  iwSamples?: number;
  /** Called with the fraction done, for progress display. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Stops the evaluation with an `InterruptedError` at the next batch (or IWAE
   * chunk) once aborted; with a signal the loop yields to the event loop
   * between batches so that signal handlers can run.
   */
  signal?: AbortSignal;
}

const LOG_2PI = Math.log(2 * Math.PI);
/** Decoded samples per IWAE chunk. */
const IW_CHUNK = 4096;

/** Evaluates a model on a split. */
export async function evaluate(model: VaeModel, split: LabelledImages, opts: EvalOptions): Promise<EvalMetrics> {
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;
  const batch = opts.batch ?? 500;
  const rng = new Rng(opts.seed);
  let recon = 0;
  let kl = 0;
  let done = 0;
  for (const b of sequentialBatches(split, batch)) {
    await checkpointFreeYield(opts.signal, 'evaluation');
    const [r, k] = tf.tidy(() => {
      const x = tf.tensor4d(b.x, [b.size, H, W, C]);
      const { mu, logvar } = model.encode(x);
      const eps = tf.tensor2d(rng.normals(b.size * latent), [b.size, latent]);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
      const logits = model.decodeLogits(z);
      return [tf.sum(reconstructionLoss(opts.recon, logits, x)), tf.sum(gaussianKl(mu, logvar))];
    });
    recon += (await r.data())[0];
    kl += (await k.data())[0];
    tf.dispose([r, k]);
    done += b.size;
    opts.onProgress?.(done, split.count);
  }
  const out: EvalMetrics = { loss: (recon + kl) / split.count, recon: recon / split.count, kl: kl / split.count };
  if (opts.iwSamples && opts.iwSamples > 0) {
    out.iwNll = await importanceWeightedNll(model, split, opts.iwSamples, opts);
    out.iwSamples = opts.iwSamples;
  }
  return out;
}

/**
 * Mean over the split of `-log p(x)` estimated with k importance samples.
 * Samples are processed in chunks so memory stays bounded for any k.
 */
export async function importanceWeightedNll(
  model: VaeModel,
  split: LabelledImages,
  k: number,
  opts: Pick<EvalOptions, 'recon' | 'seed' | 'onProgress' | 'signal'>,
): Promise<number> {
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;
  const D = H * W * C;
  const rng = new Rng(opts.seed ^ 0x1a5e);
  // At most IW_CHUNK decoded samples between two looks at the signal, which
  // keeps both memory and the reaction time to Ctrl-C bounded for any k.
  const imagesPerBatch = Math.max(1, Math.min(50, Math.floor(IW_CHUNK / Math.min(k, IW_CHUNK))));
  const chunk = Math.min(k, Math.max(1, Math.floor(IW_CHUNK / imagesPerBatch)));
  let total = 0;
  let done = 0;
  for (const b of sequentialBatches(split, imagesPerBatch)) {
    const logw = new Float32Array(b.size * k);
    const x = tf.tensor4d(b.x, [b.size, H, W, C]);
    const { mu, logvar } = model.encode(x);
    for (let s = 0; s < k; s += chunk) {
      try {
        await checkpointFreeYield(opts.signal, 'IWAE evaluation');
      } catch (e) {
        tf.dispose([x, mu, logvar]);
        throw e;
      }
      const m = Math.min(chunk, k - s);
      const lw = tf.tidy(() => {
        // [B, m, latent] samples per image, flattened to [B*m, latent] for the decoder.
        const eps = tf.tensor3d(rng.normals(b.size * m * latent), [b.size, m, latent]);
        const std = tf.exp(tf.mul(logvar, 0.5));
        const z = tf.add(tf.expandDims(mu, 1), tf.mul(tf.expandDims(std, 1), eps));
        const logits = model.decodeLogits(tf.reshape(z, [b.size * m, latent]) as tf.Tensor2D);
        const xr = tf.reshape(tf.tile(tf.expandDims(tf.reshape(x, [b.size, D]), 1), [1, m, 1]), [b.size * m, H, W, C]);
        let logpxz = tf.neg(reconstructionLoss(opts.recon, logits, xr));
        if (opts.recon === 'mse') logpxz = tf.sub(tf.mul(logpxz, 0.5), 0.5 * D * LOG_2PI);
        const logpz = tf.mul(tf.add(tf.sum(tf.square(z), 2), latent * LOG_2PI), -0.5);
        const logqz = tf.mul(tf.add(tf.add(tf.sum(tf.square(eps), 2), tf.sum(logvar, 1, true)), latent * LOG_2PI), -0.5);
        return tf.add(tf.reshape(logpxz, [b.size, m]), tf.sub(logpz, logqz));
      });
      const vals = await lw.data();
      lw.dispose();
      for (let i = 0; i < b.size; i++) for (let j = 0; j < m; j++) logw[i * k + s + j] = vals[i * m + j];
    }
    tf.dispose([x, mu, logvar]);
    for (let i = 0; i < b.size; i++) {
      let mx = -Infinity;
      for (let j = 0; j < k; j++) mx = Math.max(mx, logw[i * k + j]);
      let acc = 0;
      for (let j = 0; j < k; j++) acc += Math.exp(logw[i * k + j] - mx);
      total += -(mx + Math.log(acc) - Math.log(k));
    }
    done += b.size;
    opts.onProgress?.(done, split.count);
  }
  return total / split.count;
}
