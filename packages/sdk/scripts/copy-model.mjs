#!/usr/bin/env node
// Copies the repository's trained model (models/mnist) into the package, so
// `npm i @vae/sdk` ships it and VAE.load() works offline. Verifies sha256 of
// both graphs against model.json so a stale or half-written copy can't ship.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.env.VAE_SDK_MODEL_DIR ?? join(pkg, '..', '..', 'models', 'mnist');
const dst = join(pkg, 'models', 'mnist');
if (!existsSync(join(src, 'model.json'))) {
  console.warn(`[@vae/sdk] no trained model at ${src}; the package will not ship a default model (VAE.load() needs a source)`);
  process.exit(0);
}
const manifest = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
mkdirSync(dst, { recursive: true });
for (const g of Object.values(manifest.graphs)) {
  const bytes = readFileSync(join(src, g.file));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== g.sha256) throw new Error(`${g.file}: sha256 ${sha} does not match model.json (${g.sha256})`);
  copyFileSync(join(src, g.file), join(dst, g.file));
}
copyFileSync(join(src, 'model.json'), join(dst, 'model.json'));
console.log(`[@vae/sdk] bundled ${manifest.name} (${manifest.arch}, latent ${manifest.latent}) from ${src}`);
