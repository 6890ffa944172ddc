import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train, loadModel } from '../src/train/train.js';
import { evaluate, importanceWeightedNll } from '../src/train/evaluate.js';
import { limitSplit, loadMnist } from '../src/data/datasets.js';

describe('evaluate', () => {
  it('gives an importance-weighted bound that tightens with k and sits below the ELBO', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-eval-'));
    await train({ out, arch: 'mlp', epochs: 1, trainLimit: 2000, testLimit: 500, batch: 100, backend: 'cpu', plots: false, log: () => {}, progress: null });
    const { model } = await loadModel(out);
    const test = limitSplit((await loadMnist()).test, 500);
    const elbo = await evaluate(model, test, { recon: 'bernoulli', seed: 1 });
    expect(elbo.loss).toBeCloseTo(elbo.recon + elbo.kl, 3);
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
