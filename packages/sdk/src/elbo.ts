/**
 * The negative ELBO of images under a loaded model, computed through the SDK's
 * own graphs (decoder `logits`), with the trainer's loss: Bernoulli
 * cross-entropy summed over pixels plus the analytic KL to N(0, I), per image,
 * in nats. Single-sample estimate, z = μ + σ·ε with ε from the seeded generator.
 * A VampPrior model (model.json's `prior`) has no analytic KL: its KL term is
 * the Monte-Carlo estimate `log q(z|x) - log p(z)` at the same z, under the mixture.
 */
import type { DecodedPrior } from '@vae/format';
import { decodeManifestPrior } from '@vae/format';
import type { ImagesInput } from './tensors.js';
import { toImageBatch } from './tensors.js';
import { VAEInputError } from './errors.js';
import { checkCount, checkSeed, describe, fillGaussian, Xoshiro128 } from './random.js';
import type { VAE } from './vae.js';
import type { LabelInput } from './condition.js';
import { checkLabels } from './condition.js';

/** Per-image means, in nats. */
export interface ElboResult {
  /** Negative ELBO = `recon + kl`, nats per image (lower is better). */
  nelbo: number;
  /** Reconstruction term: Bernoulli cross-entropy of the images under the decoder's `logits`, summed over pixels, nats per image. */
  recon: number;
  /** KL divergence of the posterior N(μ, σ²) from the prior: analytic to N(0, I), or on a VampPrior model the single-sample estimate log q(z|x) − log p(z); nats per image. */
  kl: number;
  /** Number of images averaged over. */
  count: number;
}

/** Options for {@link negativeElbo}. */
export interface ElboOptions {
  /** uint32 seed of the ε draws (z = μ + σ·ε); default 0. */
  seed?: number;
  /** Images per encode/decode call, a positive integer; default 1000. */
  batch?: number;
  /** Conditional models only, and required there: the class of every image, or one per image (the bound is then log p(x | y)'s). */
  label?: LabelInput;
}

/**
 * Negative ELBO (nats per image) of `images` under `vae`.
 *
 * @throws {@link VAEInputError} for empty or malformed images, a `batch` that is not a
 *   positive integer, a seed outside [0, 2^32 - 1], or a missing or bad label (see `vae.encode`)
 *
 * @example
 * ```ts
 * const { nelbo } = await negativeElbo(vae, testImages, { seed: 0 });
 * const cond = await negativeElbo(cvae, testImages, { seed: 0, label: testLabels }); // a conditional model
 * ```
 */
export async function negativeElbo(vae: VAE, images: ImagesInput, options: ElboOptions = {}): Promise<ElboResult> {
  if (options === null || typeof options !== 'object') throw new VAEInputError(`options must be an object like { seed, batch }, got ${describe(options)}`);
  const seed = options.seed === undefined ? 0 : checkSeed(options.seed);
  const bs = options.batch === undefined ? 1000 : checkCount('batch', options.batch, 1 << 20);
  const all = toImageBatch(images, vae.info.imageShape);
  const [n, c, h, w] = all.shape;
  // toImageBatch rejects empty input; this guards the division below whatever it accepts.
  if (!(n > 0)) throw new VAEInputError(`images must hold at least one image, got ${n}`);
  const size = c * h * w;
  const L = vae.latent;
  const labels = checkLabels(vae.info.manifest.condition, options.label, n, 'negativeElbo');
  const rng = new Xoshiro128(seed);
  // A VampPrior has no closed-form KL: its term is the Monte-Carlo estimate at the same z (see vampKlSum).
  const mixture = vae.info.manifest.prior ? decodeManifestPrior(vae.info.manifest.prior, L) : undefined;
  let recon = 0;
  let kl = 0;
  for (let s = 0; s < n; s += bs) {
    const m = Math.min(bs, n - s);
    const x = all.data.subarray(s * size, (s + m) * size);
    const label = labels?.subarray(s, s + m);
    const { mu, logvar } = await vae.encode({ data: x, shape: [m, c, h, w] }, { label });
    const eps = fillGaussian(rng, new Float32Array(m * L));
    const z = new Float32Array(m * L);
    for (let i = 0; i < z.length; i++) {
      const lv = logvar.data[i];
      z[i] = mu.data[i] + Math.exp(0.5 * lv) * eps[i];
      if (!mixture) kl += 0.5 * (mu.data[i] * mu.data[i] + Math.exp(lv) - lv - 1);
    }
    if (mixture) kl += vampKlSum(z, eps, logvar.data, mixture, L);
    const logits = (await vae.decode(z, { output: 'logits', label })).data;
    for (let i = 0; i < logits.length; i++) {
      const l = logits[i];
      // Stable BCE with logits: max(l, 0) - l·x + log(1 + e^-|l|).
      recon += Math.max(l, 0) - l * x[i] + Math.log1p(Math.exp(-Math.abs(l)));
    }
  }
  return { nelbo: (recon + kl) / n, recon: recon / n, kl: kl / n, count: n };
}

/**
 * Sum over rows of the single-sample KL estimate under a VampPrior,
 * `log q(z|x) - log p(z)` with `log p(z) = logsumexp_k log N(z; mean_k, diag exp(logVar_k)) - log K`,
 * in float64, as the trainer's evaluation computes it. Each component's term is
 * `log N_k(z) - log q(z|x)`, where the 2π constants cancel.
 */
function vampKlSum(z: Float32Array, eps: Float32Array, logvar: Float32Array, mix: DecodedPrior, L: number): number {
  const K = mix.components;
  const t = new Float64Array(K);
  let total = 0;
  for (let i = 0; i < z.length; i += L) {
    let mx = -Infinity;
    let acc = 0;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let d = 0; d < L; d++) {
        const lv = mix.logVar[k * L + d];
        s += (z[i + d] - mix.mean[k * L + d]) ** 2 * Math.exp(-lv) + lv - eps[i + d] ** 2 - logvar[i + d];
      }
      t[k] = -s / 2;
      mx = Math.max(mx, t[k]);
    }
    for (let k = 0; k < K; k++) acc += Math.exp(t[k] - mx);
    total -= mx + Math.log(acc / K);
  }
  return total;
}
