#!/usr/bin/env node
/**
 * Scores an unconditional model's samples with the project's MNIST classifier
 * (models/mnist-classifier): the mean top-class probability and the entropy of
 * the predicted-class histogram, against issue 14's bar for the shipped model
 * (mean top probability >= 0.90, entropy >= 0.95 ln 10).
 *
 * Samples come from the SDK itself (`vae.sample(n, { seed, temperature })`),
 * so whatever prior the model's manifest names is the one sampled.
 *
 * usage: node test/quality/score-samples.mjs [--model DIR|mnist] [--n 10000] [--seed 1] [--temperature 1]
 * (needs the built packages: `npx -y pnpm@10.34.9 build`)
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sdk = await import(pathToFileURL(join(root, 'packages/sdk/dist/node.js')).href);
const trainer = await import(pathToFileURL(join(root, 'packages/trainer/dist/index.js')).href);
const { values } = parseArgs({ options: { model: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, temperature: { type: 'string' } } });
const n = Number(values.n ?? 10000);
const seed = Number(values.seed ?? 1);
const temperature = Number(values.temperature ?? 1);
if (!Number.isInteger(n) || n < 1 || n > 100000) throw new RangeError(`--n must be an integer in 1..100000, got ${values.n}`);

await trainer.selectBackend('cpu');
const classifier = trainer.classifierFromParams((await trainer.readClassifierWeights(join(root, 'models/mnist-classifier', trainer.CLASSIFIER_FILE))).params);
const source = values.model === undefined || values.model === 'mnist' ? 'mnist' : resolve(values.model);
const vae = await sdk.VAE.load(source, { device: 'cpu' });
const [c, h, w] = [vae.info.manifest.imageShape[0], vae.info.manifest.imageShape[1], vae.info.manifest.imageShape[2]];
if (c !== 1 || h !== 28 || w !== 28) throw new Error(`${source}: images are ${c}x${h}x${w}; the MNIST classifier needs 1x28x28`);
if (vae.info.manifest.condition) throw new Error(`${source} is conditional; score it with pnpm quality:cvae`);

const t0 = performance.now();
const probs = [];
for (let s = 0; s < n; s += 1000) {
  const b = Math.min(1000, n - s);
  // One seed per block of 1,000, so --n 1000 scores exactly the first block of --n 10000.
  const r = await vae.sample(b, { seed: seed + s / 1000, temperature });
  probs.push(await trainer.classProbabilities(classifier, r.data, b));
}
const all = new Float32Array(probs.reduce((a, p) => a + p.length, 0));
let o = 0;
for (const p of probs) (all.set(p, o), (o += p.length));
const score = trainer.scoreProbabilities(all, 10);
const prior = vae.info.manifest.prior?.kind ?? 'standard';
console.log(`${source} (${vae.info.manifest.arch}, latent ${vae.info.manifest.latent}, prior ${prior}): ${n} samples, seeds ${seed}.., temperature ${temperature}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`mean top-class probability ${score.meanTopProbability.toFixed(4)} (bar 0.90: ${score.meanTopProbability >= 0.9 ? 'met' : 'not met'})`);
console.log(`predicted-class entropy ${score.entropy.toFixed(4)} nats = ${score.entropyRatio.toFixed(4)} ln 10 (bar 0.95: ${score.entropyRatio >= 0.95 ? 'met' : 'not met'})`);
console.log(`histogram of predicted classes 0..9: ${score.histogram.join(' ')}`);
await vae.dispose?.();
classifier.dispose();
