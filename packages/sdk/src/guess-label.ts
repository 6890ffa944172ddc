/**
 * The class a conditional model finds most likely for one image: the model
 * used as a classifier, for `vae restyle` when `--from` is not given.
 */
import { VAEInputError } from './errors.js';
import type { ImageBatch } from './tensors.js';
import type { VAE } from './vae.js';

/**
 * Scores `image` (one image) under every class k with a deterministic ELBO,
 * the posterior mean decoded (`-log p(x | μ, k) - KL(q(z | x, k) ‖ N(0, I))`),
 * and returns the class with the highest, i.e. `argmax_k p(k | x)` under a
 * uniform prior on classes, as far as the bound tells, with each class's
 * negative bound in nats.
 *
 * @throws {@link VAEInputError} on an unconditional model or for other than one image
 * @internal
 */
export async function guessLabel(vae: VAE, image: ImageBatch): Promise<{ label: number; nelbo: number[] }> {
  const cond = vae.info.condition;
  if (!cond) throw new VAEInputError('guessLabel: this model is unconditional (its model.json has no condition); expected a conditional model');
  if (image.shape[0] !== 1) throw new VAEInputError(`guessLabel: got ${image.shape[0]} images; expected exactly one`);
  const K = cond.classes;
  const size = image.data.length;
  const x = new Float32Array(K * size);
  for (let k = 0; k < K; k++) x.set(image.data, k * size);
  const labels = Array.from({ length: K }, (_, k) => k);
  const { mu, logvar } = await vae.encode({ data: x, shape: [K, ...image.shape.slice(1)] as [number, number, number, number] }, { label: labels });
  const logits = (await vae.decode(mu, { output: 'logits', label: labels })).data;
  const L = vae.latent;
  const nelbo = labels.map((k) => {
    let s = 0;
    for (let i = k * L; i < (k + 1) * L; i++) s += 0.5 * (mu.data[i] * mu.data[i] + Math.exp(logvar.data[i]) - logvar.data[i] - 1);
    for (let i = 0; i < size; i++) {
      const l = logits[k * size + i];
      s += Math.max(l, 0) - l * image.data[i] + Math.log1p(Math.exp(-Math.abs(l)));
    }
    return s;
  });
  const label = nelbo.indexOf(Math.min(...nelbo));
  return { label, nelbo };
}
