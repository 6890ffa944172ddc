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
import { conditionClasses } from '@vae/format';
import type { VaeModel } from '../model/vae.js';
import { oneHotLabels } from '../model/vae.js';
import type { VampComponents } from '../model/vamp-prior.js';
import { encodePseudoInputs, vampKlEstimate, vampLogPrior } from '../model/vamp-prior.js';
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
/** Noise samples drawn per IWAE chunk (fixes the order of the random draws). */
const IW_CHUNK = 4096;
/** Samples decoded between two looks at the abort signal: a fraction of a second even for the base arch. */
const IW_SLICE = 256;

/** Evaluates a model on a split. */
export async function evaluate(model: VaeModel, split: LabelledImages, opts: EvalOptions): Promise<EvalMetrics> {
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;
  // 100 images between two looks at the signal; the noise stream does not depend on the batch size.
  const batch = opts.batch ?? 100;
  const classes = conditionClasses(model.spec);
  const rng = new Rng(opts.seed);
  let recon = 0;
  let kl = 0;
  let done = 0;
  // A VampPrior's components are fixed during an evaluation: encoded once.
  const prior = model.spec.config.prior ? encodePseudoInputs(model) : undefined;
  try {
    for (const b of sequentialBatches(split, batch)) {
      await checkpointFreeYield(opts.signal, 'evaluation');
      const [r, k] = tf.tidy(() => {
        const x = tf.tensor4d(b.x, [b.size, H, W, C]);
        // A conditional model is evaluated on log p(x|y): encoder and decoder see the image's own label.
        const y = classes ? oneHotLabels(b.labels, classes) : undefined;
        const { mu, logvar } = model.encode(x, y);
        const eps = tf.tensor2d(rng.normals(b.size * latent), [b.size, latent]);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
        const logits = model.decodeLogits(z, y);
        return [tf.sum(reconstructionLoss(opts.recon, logits, x)), tf.sum(prior ? vampKlEstimate(z, eps, logvar, prior) : gaussianKl(mu, logvar))];
      });
      recon += (await r.data())[0];
      kl += (await k.data())[0];
      tf.dispose([r, k]);
      done += b.size;
      opts.onProgress?.(done, split.count);
    }
  } finally {
    if (prior) tf.dispose([prior.mu, prior.logvar]);
  }
  const out: EvalMetrics = { loss: (recon + kl) / split.count, recon: recon / split.count, kl: kl / split.count };
  if (opts.iwSamples && opts.iwSamples > 0) {
    out.iwNll = await importanceWeightedNll(model, split, opts.iwSamples, opts);
    out.iwSamples = opts.iwSamples;
  }
  return out;
}

/** `log p(z)` under the model's prior: N(0, I), or the VampPrior's mixture. */
function logPriorOf(z: tf.Tensor2D, latent: number, prior: VampComponents | undefined): tf.Tensor1D {
  if (prior) return vampLogPrior(z, prior);
  return tf.mul(tf.add(tf.sum(tf.square(z), 1), latent * LOG_2PI), -0.5) as tf.Tensor1D;
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
  const classes = conditionClasses(model.spec);
  const rng = new Rng(opts.seed ^ 0x1a5e);
  // Chunks of at most IW_CHUNK samples keep memory bounded for any k.
  const imagesPerBatch = Math.max(1, Math.min(50, Math.floor(IW_CHUNK / Math.min(k, IW_CHUNK))));
  const chunk = Math.min(k, Math.max(1, Math.floor(IW_CHUNK / imagesPerBatch)));
  let total = 0;
  let done = 0;
  const prior = model.spec.config.prior ? encodePseudoInputs(model) : undefined;
  try {
    for (const b of sequentialBatches(split, imagesPerBatch)) {
      const logw = new Float32Array(b.size * k);
      const x = tf.tensor4d(b.x, [b.size, H, W, C]);
      const y = classes ? oneHotLabels(b.labels, classes) : undefined;
      const { mu, logvar } = model.encode(x, y);
      try {
        for (let s = 0; s < k; s += chunk) {
          const m = Math.min(chunk, k - s);
          // The noise of a chunk is drawn at once, [B, m, latent] in image-major order, as it always
          // was; the decoding is then done IW_SLICE rows at a time so that a signal is seen quickly.
          const eps = rng.normals(b.size * m * latent);
          const vals = new Float32Array(b.size * m);
          for (let r0 = 0; r0 < b.size * m; r0 += IW_SLICE) {
            await checkpointFreeYield(opts.signal, 'IWAE evaluation');
            const rows = Math.min(IW_SLICE, b.size * m - r0);
            const lw = tf.tidy(() => {
              const img = tf.tensor1d(Int32Array.from({ length: rows }, (_, q) => Math.floor((r0 + q) / m)), 'int32');
              const e = tf.tensor2d(eps.subarray(r0 * latent, (r0 + rows) * latent), [rows, latent]);
              const lv = tf.gather(logvar, img);
              const z = tf.add(tf.gather(mu, img), tf.mul(tf.exp(tf.mul(lv, 0.5)), e)) as tf.Tensor2D;
              const logits = model.decodeLogits(z, y ? (tf.gather(y, img) as tf.Tensor2D) : undefined);
              const xr = tf.reshape(tf.gather(tf.reshape(x, [b.size, D]), img), [rows, H, W, C]);
              let logpxz = tf.neg(reconstructionLoss(opts.recon, logits, xr));
              if (opts.recon === 'mse') logpxz = tf.sub(tf.mul(logpxz, 0.5), 0.5 * D * LOG_2PI);
              const logpz = logPriorOf(z, latent, prior);
              const logqz = tf.mul(tf.add(tf.add(tf.sum(tf.square(e), 1), tf.sum(lv, 1)), latent * LOG_2PI), -0.5);
              return tf.add(logpxz, tf.sub(logpz, logqz));
            });
            vals.set(await lw.data(), r0);
            lw.dispose();
          }
          for (let i = 0; i < b.size; i++) for (let j = 0; j < m; j++) logw[i * k + s + j] = vals[i * m + j];
        }
      } finally {
        tf.dispose([x, mu, logvar]);
        y?.dispose();
      }
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
  } finally {
    if (prior) tf.dispose([prior.mu, prior.logvar]);
  }
  return total / split.count;
}
