/**
 * Sampling a VampPrior model (model.json's `prior`): the documented order of
 * draws (n component words, then the Gaussians), what `info.prior` says, and
 * that a standard model samples exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { decodeManifestPrior } from '@vae/format';
import { gaussianLatents, negativeElbo, VAE, Xoshiro128 } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

/** The documented draws by hand: n component words, then Box-Muller pairs, then z = mean_c + exp(logVar_c / 2) eps. */
function handLatents(seed: number, n: number, L: number, mix: { components: number; mean: Float32Array; logVar: Float32Array }, t = 1) {
  const rng = new Xoshiro128(seed);
  const c = Array.from({ length: n }, () => Math.floor((rng.nextUint32() * mix.components) / 2 ** 32));
  const eps = new Float32Array(n * L);
  for (let i = 0; i < n * L; i += 2) {
    const u1 = (rng.nextUint32() + 1) / 2 ** 32;
    const u2 = rng.nextUint32() / 2 ** 32;
    eps[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2) * t;
    if (i + 1 < n * L) eps[i + 1] = Math.sqrt(-2 * Math.log(u1)) * Math.sin(2 * Math.PI * u2) * t;
  }
  const z = Float32Array.from(eps, (e, i) => mix.mean[c[Math.floor(i / L)] * L + (i % L)] + Math.exp(0.5 * mix.logVar[c[Math.floor(i / L)] * L + (i % L)]) * e);
  return { c, z };
}

describe('VampPrior sampling', () => {
  it('a vamp model samples its mixture (temperature 0: the component means), says so in info.prior; same seed, same images', async () => {
    const fx = fixtureModel({ arch: 'mlp', latent: 4, vampComponents: 3 });
    const vae = await VAE.load(fx.dir, { device: 'cpu', threads: 1 });
    try {
      expect(vae.info.prior).toEqual({ kind: 'vamp', components: 3 });
      const mix = decodeManifestPrior(fx.manifest.prior, 4);
      // n = 5 with latent 4: an even count of Gaussians, so no half pair is dropped.
      const s = await vae.sample(5, { seed: 2 });
      const hand = handLatents(2, 5, 4, mix);
      expect(new Set(hand.c).size).toBeGreaterThan(1);
      expect(Array.from(s.latents.data)).toEqual(Array.from(hand.z));
      expect(Array.from(s.data)).toEqual(Array.from((await vae.decode(s.latents)).data));
      expect(Array.from((await vae.sample(5, { seed: 2 })).data)).toEqual(Array.from(s.data));
      // A temperature scales eps only; temperature 0 gives the drawn components' means.
      const cold = await vae.sample(5, { seed: 2, temperature: 0 });
      expect(Array.from(cold.latents.data)).toEqual(hand.c.flatMap((k) => Array.from(mix.mean.subarray(k * 4, k * 4 + 4))));
      const warm = await vae.sample(3, { seed: 8, temperature: 0.5 });
      expect(Array.from(warm.latents.data)).toEqual(Array.from(handLatents(8, 3, 4, mix, 0.5).z));
      // The KL term is the mixture's Monte-Carlo estimate: it differs from the analytic KL to N(0, I).
      const images = { data: new Float32Array(2 * 784).fill(0.25), shape: [2, 1, 28, 28] as [number, number, number, number] };
      const r = await negativeElbo(vae, images, { seed: 1 });
      expect(Number.isFinite(r.kl)).toBe(true);
      const { mu, logvar } = await vae.encode(images);
      let analytic = 0;
      for (let i = 0; i < mu.data.length; i++) analytic += 0.5 * (mu.data[i] ** 2 + Math.exp(logvar.data[i]) - logvar.data[i] - 1);
      expect(Math.abs(r.kl - analytic / 2)).toBeGreaterThan(1e-3);
    } finally {
      await vae.dispose();
    }
  });

  it('a standard model has info.prior standard and samples gaussianLatents as before', async () => {
    const vae = await VAE.load(fixtureModel().dir, { device: 'cpu', threads: 1 });
    try {
      expect(vae.info.prior).toEqual({ kind: 'standard' });
      expect(vae.info.manifest.prior).toBeUndefined();
      expect(Array.from((await vae.sample(3, { seed: 4 })).latents.data)).toEqual(Array.from(gaussianLatents(3, vae.latent, { seed: 4 })));
    } finally {
      await vae.dispose();
    }
  });
});
