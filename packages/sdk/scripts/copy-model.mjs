#!/usr/bin/env node
// Copies the repository's trained model (models/mnist) into the package, so
// `npm i @vae/sdk` ships it and VAE.load() works offline. Verifies sha256 of
// both graphs against model.json before copying anything, so a stale or
// half-written copy can't ship.
//
// A missing model fails the build (exit 1): the package's zero-argument
// VAE.load() depends on it. VAE_SDK_ALLOW_NO_MODEL=1 builds without it on
// purpose (a warning, exit 0). VAE_SDK_MODEL_DIR picks another source folder,
// VAE_SDK_MODEL_OUT another destination (tests).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = resolve(process.env.VAE_SDK_MODEL_DIR ?? join(pkg, '..', '..', 'models', 'mnist'));
const dst = resolve(process.env.VAE_SDK_MODEL_OUT ?? join(pkg, 'models', 'mnist'));

function fail(message) {
  console.error(`[@vae/sdk] ${message}`);
  process.exit(1);
}

if (!existsSync(join(src, 'model.json'))) {
  const what = `no trained model at ${src} (model.json missing), so the package would ship without its default model and VAE.load() with no source would fail`;
  if (process.env.VAE_SDK_ALLOW_NO_MODEL === '1') {
    console.warn(`[@vae/sdk] warning: ${what}; building anyway because VAE_SDK_ALLOW_NO_MODEL=1`);
    process.exit(0);
  }
  fail(`${what}.\n  Export the trained model there (or point VAE_SDK_MODEL_DIR at a folder with model.json, encoder.onnx, decoder.onnx),\n  or set VAE_SDK_ALLOW_NO_MODEL=1 to build without it on purpose.`);
}

let manifest;
try {
  manifest = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
} catch (e) {
  fail(`${join(src, 'model.json')} is not valid JSON: ${e.message}`);
}
const graphs = Object.values(manifest?.graphs ?? {});
if (graphs.length !== 2) fail(`${join(src, 'model.json')} lists ${graphs.length} graphs; expected encoder and decoder`);
for (const g of graphs) {
  const file = join(src, g.file);
  if (!existsSync(file)) fail(`${file} is missing; expected the graph model.json lists`);
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  if (sha !== g.sha256) fail(`${file}: sha256 ${sha} does not match model.json (${g.sha256}); expected the files of one export`);
}
mkdirSync(dst, { recursive: true });
for (const g of graphs) copyFileSync(join(src, g.file), join(dst, g.file));
copyFileSync(join(src, 'model.json'), join(dst, 'model.json'));
console.log(`[@vae/sdk] bundled ${manifest.name} (${manifest.arch}, latent ${manifest.latent}) from ${src}`);
