/**
 * `sample`'s temperature is the prior's standard deviation, `z ~ N(0, t²·I)`:
 * latents scale linearly with it. Only t = 0 was tested before, which a
 * temperature² (or any power) bug passes.
 */
import { describe, expect, it } from 'vitest';
import { gaussianLatents, VAE } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

describe('VAE.sample temperature', () => {
  it('scales the latents linearly (t·z for the same seed) and decodes exactly those latents', async () => {
    const vae = await VAE.load(fixtureModel().dir, { device: 'cpu' });
    try {
      const n = 6;
      const unit = await vae.sample(n, { seed: 9 });
      expect(Array.from(unit.latents.data)).toEqual(Array.from(gaussianLatents(n, vae.latent, { seed: 9 })));
      for (const t of [0.3, 0.7, 2.5]) {
        const s = await vae.sample(n, { seed: 9, temperature: t });
        expect(s.latents.shape).toEqual([n, vae.latent]);
        let worst = 0;
        for (let i = 0; i < s.latents.data.length; i++) worst = Math.max(worst, Math.abs(s.latents.data[i] - t * unit.latents.data[i]));
        // float32 rounding of t·z only (|z| < 6): well under 1e-6.
        expect(worst, `temperature ${t}: max |z_t - t·z_1|`).toBeLessThan(1e-6);
        const decoded = await vae.decode({ data: s.latents.data, shape: [n, vae.latent] });
        expect(Array.from(s.data)).toEqual(Array.from(decoded.data));
      }
    } finally {
      await vae.dispose();
    }
  });
});
