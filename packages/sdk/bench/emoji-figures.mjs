#!/usr/bin/env node
// The emoji model's figures in models/emoji: prior samples, and reconstructions
// of held-out emoji (the first 16 of the training run's test split), made with
// @vae/sdk on Node cpu from the exported graphs.
//
// usage: node packages/sdk/bench/emoji-figures.mjs RUN_DIR IMAGE_DIR [MODEL_DIR]
//   RUN_DIR    the vae-train run (its split.json names the test images)
//   IMAGE_DIR  the folder it trained on (pnpm data:emoji prints it)
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VAE, encodePng, imagesFromPng, tile } from '../dist/node.js';

const [run, images, modelDir = 'models/emoji'] = process.argv.slice(2);
if (!run || !images) {
  console.error('usage: node packages/sdk/bench/emoji-figures.mjs RUN_DIR IMAGE_DIR [MODEL_DIR]');
  process.exit(2);
}
const vae = await VAE.load(resolve(modelDir), { device: 'cpu' });
const shape = vae.info.manifest.imageShape;
// The manifest records the trainer's '#rrggbb'; the SDK takes [r, g, b] in [0, 1].
const hex = vae.info.manifest.data?.background ?? '#ffffff';
const background = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
await writeFile(join(modelDir, 'samples.png'), encodePng(tile(await vae.sample(32, { seed: 1 }), { cols: 8 })));

// The trainer's split indexes the folder's images in sorted path order (its cache's index.json order).
const files = readdirSync(images, { recursive: true }).filter((f) => /\.(png|jpe?g|webp)$/i.test(String(f))).map(String).sort();
const test = JSON.parse(readFileSync(join(run, 'split.json'), 'utf8')).test.slice(0, 16);
const per = shape[0] * shape[1] * shape[2];
const x = new Float32Array(test.length * per);
test.forEach((i, k) => x.set(imagesFromPng(readFileSync(join(images, files[i])), { shape, background }).data, k * per));
const batch = { data: x, shape: [test.length, ...shape] };
const recon = await vae.reconstruct(batch);
// Rows of 8: originals, then their reconstructions.
const both = new Float32Array(2 * x.length);
for (let r = 0; r < test.length / 8; r++) {
  both.set(x.subarray(r * 8 * per, (r + 1) * 8 * per), 2 * r * 8 * per);
  both.set(recon.data.subarray(r * 8 * per, (r + 1) * 8 * per), (2 * r + 1) * 8 * per);
}
await writeFile(join(modelDir, 'reconstructions.png'), encodePng(tile({ data: both, shape: [2 * test.length, ...shape] }, { cols: 8 })));
console.log(`wrote ${join(modelDir, 'samples.png')} (32 prior samples, seed 1) and ${join(modelDir, 'reconstructions.png')} (test images ${test.join(', ')}; rows: originals, reconstructions)`);
