/**
 * The VampPrior end to end: `train({ prior: 'vamp' })` writes a checkpoint
 * with learned pseudo-inputs, `vae-export` computes each mixture component
 * with its own float32 forward pass and stores them in model.json, variants
 * keep that prior, and the SDK samples from the mixture in its documented
 * order of draws, which this test replays by hand and decodes with the
 * trainer's own model.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decodeManifestPrior, parseManifest, Xoshiro128 } from '@vae/format';
import { encodePseudoInputs, loadMnist, loadModel, train, vampKlEstimate } from '@vae/trainer';
import { runCli } from '@vae/onnx-export';
import { expect, it } from 'vitest';
import { VAE, fillGaussian, negativeElbo } from '../../packages/sdk/src/node.js';
import { maxAbsDiff, nchwToNhwc } from './harness.js';

const TWO_POW_32 = 4294967296;

it('VampPrior: exported mixture = trainer encoder at the pseudo-inputs; SDK samples = hand-drawn z decoded by the trainer', async () => {
  const run = mkdtempSync(join(tmpdir(), 'vae-vamp-e2e-run-'));
  await train({ out: run, arch: 'small', prior: 'vamp', vampComponents: 6, epochs: 1, batch: 16, trainLimit: 48, testLimit: 16, backend: 'cpu', threads: 1, plots: false, log: () => {}, progress: null });
  const out = join(mkdtempSync(join(tmpdir(), 'vae-vamp-e2e-models-')), 'mnist-vamp');
  const io = { stdout: () => {}, stderr: (t: string) => void process.stderr.write(t) };
  expect(await runCli(['--checkpoint', run, '--out', out], io)).toBe(0);

  const manifest = parseManifest(readFileSync(join(out, 'model.json')));
  expect(manifest.prior?.kind).toBe('vamp');
  expect(manifest.prior?.components).toBe(6);
  expect(manifest.prior?.mean.shape).toEqual([6, 32]);
  // The prior is not in the graphs: they are exactly the standard model's graphs' interface.
  expect(manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x']);
  expect(manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z']);
  const mix = decodeManifestPrior(manifest.prior, manifest.latent);

  const { model } = await loadModel(run);
  try {
    const comps = encodePseudoInputs(model);
    const [mu, lv] = [(await comps.mu.data()) as Float32Array, (await comps.logvar.data()) as Float32Array];
    const priorDiffs = { mean: maxAbsDiff(mix.mean, mu), logVar: maxAbsDiff(mix.logVar, lv) };
    console.log(`vamp e2e: manifest prior vs trainer encoder at the pseudo-inputs, max |diff| ${JSON.stringify(priorDiffs)}`);
    expect(priorDiffs.mean).toBeLessThan(1e-5);
    expect(priorDiffs.logVar).toBeLessThan(1e-5);

    // fp16 variants (from the graphs) and an fp16 export (from the checkpoint) keep the fp32 export's prior.
    expect(await runCli(['--model', out, '--variants', 'fp16'], io)).toBe(0);
    expect(parseManifest(readFileSync(join(out, 'model.json'))).prior).toEqual(manifest.prior);
    const out16 = join(mkdtempSync(join(tmpdir(), 'vae-vamp-e2e-fp16-')), 'm');
    expect(await runCli(['--checkpoint', run, '--out', out16, '--fp16'], io)).toBe(0);
    expect(parseManifest(readFileSync(join(out16, 'model.json'))).prior).toEqual(manifest.prior);

    const vae = await VAE.load(out, { device: 'cpu', threads: 1 });
    try {
      expect(vae.info.prior).toEqual({ kind: 'vamp', components: 6 });
      const n = 9;
      const seed = 11;
      const s = await vae.sample(n, { seed });
      // The documented order: n words pick the components, then the n x latent Gaussians.
      const rng = new Xoshiro128(seed);
      const c = Array.from({ length: n }, () => Math.floor((rng.nextUint32() * 6) / TWO_POW_32));
      const eps = fillGaussian(rng, new Float32Array(n * 32));
      const z = Float32Array.from({ length: n * 32 }, (_, i) => {
        const k = c[Math.floor(i / 32)] * 32 + (i % 32);
        return mix.mean[k] + Math.exp(0.5 * mix.logVar[k]) * eps[i];
      });
      expect(new Set(c).size).toBeGreaterThan(1);
      expect(Array.from(s.latents.data)).toEqual(Array.from(z));
      const want = tf.tidy(() => tf.sigmoid(model.decodeLogits(tf.tensor2d(z, [n, 32]))));
      const d = maxAbsDiff(nchwToNhwc({ data: s.data as Float32Array, dims: [...s.shape] }), (await want.data()) as Float32Array);
      console.log(`vamp e2e: SDK sample(${n}, { seed: ${seed} }) vs trainer decode of the hand-drawn z, max |diff| ${d}`);
      expect(d).toBeLessThan(1e-4);
      // Same seed, same images.
      expect(Array.from((await vae.sample(n, { seed })).data)).toEqual(Array.from(s.data));

      // negativeElbo uses the mixture's Monte-Carlo KL, at the same eps as the trainer's estimate would.
      const mnist = await loadMnist();
      const m = 8;
      const images = Float32Array.from(mnist.test.images.subarray(0, m * 784), (v) => v / 255);
      const r = await negativeElbo(vae, { data: images, shape: [m, 1, 28, 28] }, { seed: 3 });
      const e2 = fillGaussian(new Xoshiro128(3), new Float32Array(m * 32));
      const klWant = tf.tidy(() => {
        const { mu: qm, logvar: qlv } = model.encode(tf.tensor4d(images, [m, 28, 28, 1]));
        const e = tf.tensor2d(e2, [m, 32]);
        const zz = tf.add(qm, tf.mul(tf.exp(tf.mul(qlv, 0.5)), e)) as tf.Tensor2D;
        return tf.mean(vampKlEstimate(zz, e, qlv, comps));
      });
      const klTrainer = (await klWant.data())[0];
      console.log(`vamp e2e: SDK negativeElbo KL ${r.kl} vs trainer Monte-Carlo KL ${klTrainer}`);
      expect(Math.abs(r.kl - klTrainer)).toBeLessThan(1e-3);
    } finally {
      await vae.dispose();
    }
  } finally {
    model.dispose();
  }
}, 240_000);
