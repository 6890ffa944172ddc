/**
 * The negative ELBO of images under a loaded model, computed through the SDK's
 * own graphs (decoder `logits`), with the trainer's loss: Bernoulli
 * cross-entropy summed over pixels plus the analytic KL to N(0, I), per image,
 * in nats. Single-sample estimate, z = μ + σ·ε with ε from the seeded generator.
 */
import type { ImagesInput } from './tensors.js';
import { toImageBatch } from './tensors.js';
import { fillGaussian, Xoshiro128 } from './random.js';
import type { VAE } from './vae.js';

/** Per-image means, in nats. */
export interface ElboResult {
  /** Negative ELBO = recon + kl. */
  nelbo: number;
  recon: number;
  kl: number;
  count: number;
}

/**
 * Negative ELBO (nats per image) of `images` under `vae`.
 *
 * @example
 * ```ts
 * const { nelbo } = await negativeElbo(vae, testImages, { seed: 0 });
 * ```
 */
export async function negativeElbo(vae: VAE, images: ImagesInput, options: { seed?: number; batch?: number } = {}): Promise<ElboResult> {
  const all = toImageBatch(images, vae.info.imageShape);
  const [n, c, h, w] = all.shape;
  const size = c * h * w;
  const L = vae.latent;
  const rng = new Xoshiro128(options.seed ?? 0);
  const bs = options.batch ?? 1000;
  let recon = 0;
  let kl = 0;
  for (let s = 0; s < n; s += bs) {
    const m = Math.min(bs, n - s);
    const x = all.data.subarray(s * size, (s + m) * size);
    const { mu, logvar } = await vae.encode({ data: x, shape: [m, c, h, w] });
    const eps = fillGaussian(rng, new Float32Array(m * L));
    const z = new Float32Array(m * L);
    for (let i = 0; i < z.length; i++) {
      const lv = logvar.data[i];
      z[i] = mu.data[i] + Math.exp(0.5 * lv) * eps[i];
      kl += 0.5 * (mu.data[i] * mu.data[i] + Math.exp(lv) - lv - 1);
    }
    const logits = (await vae.decode(z, { output: 'logits' })).data;
    for (let i = 0; i < logits.length; i++) {
      const l = logits[i];
      // Stable BCE with logits: max(l, 0) - l·x + log(1 + e^-|l|).
      recon += Math.max(l, 0) - l * x[i] + Math.log1p(Math.exp(-Math.abs(l)));
    }
  }
  return { nelbo: (recon + kl) / n, recon: recon / n, kl: kl / n, count: n };
}
