/**
 * Sampling a VampPrior model (model.json's `prior`): the documented order of
 * draws (n component words, then the Gaussians), what `info.prior` says, and
 * that a standard model samples exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { decodeManifestPrior } from '@vae/format';
import { gaussianLatents, negativeElbo, vampLatents, VAE, VAEInputError, Xoshiro128 } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

describe('VampPrior sampling', () => {
  it('vampLatents: the first n words pick components floor(r K / 2^32), then z = mean_c + exp(logVar_c / 2) eps', () => {
    // Two far-apart components on a 1-D latent with variances 1 and 4.
    const mix = { components: 2, mean: Float32Array.from([-50, 50]), logVar: Float32Array.from([0, Math.log(4)]) };
    const { z, components } = vampLatents(6, 1, mix, { seed: 5 });
    const rng = new Xoshiro128(5);
    const words = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(Array.from(components)).toEqual(words.map((r) => (r < 2 ** 31 ? 0 : 1)));
    // The Gaussians are the stream's next values: those of a generator that first skipped the 6 words.
    const skip = new Xoshiro128(5);
    for (let i = 0; i < 6; i++) skip.nextUint32();
    const eps = new Float32Array(6);
    for (let i = 0; i < 6; i += 2) {
      const u1 = (skip.nextUint32() + 1) / 2 ** 32;
      const u2 = skip.nextUint32() / 2 ** 32;
      eps[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      eps[i + 1] = Math.sqrt(-2 * Math.log(u1)) * Math.sin(2 * Math.PI * u2);
    }
    const want = Float32Array.from(components, (c, i) => (c === 0 ? -50 + eps[i] : 50 + 2 * eps[i]));
    expect(Array.from(z)).toEqual(Array.from(want));
  });

  it('vampLatents refuses a mixture whose arrays do not match K x latent', () => {
    const bad = { components: 2, mean: new Float32Array(3), logVar: new Float32Array(4) };
    expect(() => vampLatents(1, 2, bad, { seed: 1 })).toThrow(VAEInputError);
    expect(() => vampLatents(1, 2, bad, { seed: 1 })).toThrow('the mixture must hold 2 x 2 means and log-variances, got 3 and 4 values');
  });

  it('a vamp model samples its mixture (temperature 0: the component means), says so in info.prior; same seed, same images', async () => {
    const fx = fixtureModel({ arch: 'mlp', latent: 4, vampComponents: 3 });
    const vae = await VAE.load(fx.dir, { device: 'cpu', threads: 1 });
    try {
      expect(vae.info.prior).toEqual({ kind: 'vamp', components: 3 });
      const mix = decodeManifestPrior(fx.manifest.prior, 4);
      const s = await vae.sample(5, { seed: 2 });
      expect(Array.from(s.latents.data)).toEqual(Array.from(vampLatents(5, 4, mix, { seed: 2 }).z));
      expect(Array.from(s.data)).toEqual(Array.from((await vae.decode(s.latents)).data));
      expect(Array.from((await vae.sample(5, { seed: 2 })).data)).toEqual(Array.from(s.data));
      const cold = await vae.sample(5, { seed: 2, temperature: 0 });
      const c = vampLatents(5, 4, mix, { seed: 2 }).components;
      expect(Array.from(cold.latents.data)).toEqual(Array.from(c).flatMap((k) => Array.from(mix.mean.subarray(k * 4, k * 4 + 4))));
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
