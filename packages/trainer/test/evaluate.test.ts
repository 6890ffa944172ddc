import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { train, loadModel } from '../src/train/train.js';
import { evaluate, importanceWeightedNll } from '../src/train/evaluate.js';
import { limitSplit, loadMnist } from '../src/data/datasets.js';
import { gather } from '../src/data/batcher.js';
import { Rng } from '../src/rng.js';

describe('evaluate', () => {
  it('gives an importance-weighted bound that tightens with k and sits below the ELBO', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-eval-'));
    await train({ out, arch: 'mlp', epochs: 1, trainLimit: 2000, testLimit: 500, batch: 100, backend: 'cpu', plots: false, log: () => {}, progress: null });
    const { model } = await loadModel(out);
    const test = limitSplit((await loadMnist()).test, 500);
    const elbo = await evaluate(model, test, { recon: 'bernoulli', seed: 1 });
    // Recomputed in float64 from the model's own encode/decode, with the noise evaluate draws
    // (one batch of 500 from Rng(seed)): checks the sampling, both terms and the per-image mean.
    const ref = tf.tidy(() => {
      const { x } = gather(test, Uint32Array.from({ length: 500 }, (_, i) => i));
      const { mu, logvar } = model.encode(tf.tensor4d(x, [500, 28, 28, 1]));
      const [m, lv] = [mu.dataSync(), logvar.dataSync()];
      const eps = new Rng(1).normals(500 * model.spec.config.latent);
      const z = Float32Array.from(eps, (e, i) => m[i] + Math.exp(0.5 * lv[i]) * e);
      const logits = model.decodeLogits(tf.tensor2d(z, [500, model.spec.config.latent])).dataSync();
      let recon = 0;
      for (let i = 0; i < logits.length; i++) recon += Math.max(logits[i], 0) - logits[i] * x[i] + Math.log1p(Math.exp(-Math.abs(logits[i])));
      let kl = 0;
      for (let i = 0; i < m.length; i++) kl += 0.5 * (m[i] ** 2 + Math.exp(lv[i]) - lv[i] - 1);
      return { recon: recon / 500, kl: kl / 500 };
    });
    expect(elbo.recon).toBeCloseTo(ref.recon, 2);
    expect(elbo.kl).toBeCloseTo(ref.kl, 2);
    expect(elbo.loss).toBeCloseTo(ref.recon + ref.kl, 2);
    const k1 = await importanceWeightedNll(model, test, 1, { recon: 'bernoulli', seed: 2 });
    const k64 = await importanceWeightedNll(model, test, 64, { recon: 'bernoulli', seed: 2 });
    // k = 1 is the single-sample ELBO with different noise: over 500 images the
    // two estimates differ by sampling error only (a fraction of a nat).
    console.log(`ELBO ${elbo.loss.toFixed(3)}, IW k=1 ${k1.toFixed(3)}, IW k=64 ${k64.toFixed(3)}`);
    expect(Math.abs(k1 - elbo.loss)).toBeLessThan(1);
    expect(k64).toBeLessThan(k1);
    expect(k64).toBeLessThan(elbo.loss);
    model.dispose();
  });
});
