#!/usr/bin/env node
// The package's build: copies the repository's models/emoji (model.json and
// every graph it lists, including dtype variants) into <package>/models/emoji,
// which index.js and index.cjs point at. Everything is checked before anything
// is copied (JSON, graph names, sha256, total size), and the copy goes into a
// temporary folder renamed over the old one, so no stale or half copy ships.
//
// models/emoji is the trained model; until it exists the build fails and says
// how to make it (VAE_EMOJI_ALLOW_NO_MODEL=1 skips it on purpose, with a
// warning). VAE_EMOJI_MODEL_DIR reads another folder and
// VAE_EMOJI_MODEL_OUT writes another destination (tests).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package must stay at or under 10 MB; the model is nearly all of it. */
export const MAX_MODEL_BYTES = 10_000_000;

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = resolve(process.env.VAE_EMOJI_MODEL_DIR ?? join(pkg, '..', '..', 'models', 'emoji'));
const dst = resolve(process.env.VAE_EMOJI_MODEL_OUT ?? join(pkg, 'models', 'emoji'));

function fail(message) {
  console.error(`[@vae/model-emoji] ${message}`);
  process.exit(1);
}

if (!existsSync(join(src, 'model.json'))) {
  // As @vae/sdk's VAE_SDK_ALLOW_NO_MODEL: a workspace build before the model is trained, on purpose only.
  if (process.env.VAE_EMOJI_ALLOW_NO_MODEL === '1') {
    console.warn(`[@vae/model-emoji] warning: no emoji model at ${src}; building without it because VAE_EMOJI_ALLOW_NO_MODEL=1 (the package cannot load until models/emoji exists)`);
    process.exit(0);
  }
  fail(
    `no emoji model at ${src} (model.json missing), so the package would have nothing to load.\n` +
      '  Make it: fetch the emoji images (pnpm data:emoji), train the celeba architecture on them\n' +
      '  (vae-train --arch celeba --dataset <emoji image folder> --out <run dir>), then export it there:\n' +
      `    vae-export --checkpoint <run dir> --out ${src} --name emoji --fp16\n` +
      `  (--fp16 keeps the graphs of the default celeba model, about 18 MB in fp32, under the ${MAX_MODEL_BYTES / 1e6} MB package limit),\n` +
      '  or point VAE_EMOJI_MODEL_DIR at a folder holding model.json, encoder.onnx and decoder.onnx\n' +
      '  (VAE_EMOJI_ALLOW_NO_MODEL=1 builds without it on purpose).',
  );
}
let manifest;
try {
  manifest = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
} catch (e) {
  fail(`${join(src, 'model.json')} is not valid JSON: ${e.message}`);
}
const own = manifest?.graphs ?? {};
// index.js names the files: the model's own graphs must be these two.
for (const [which, file] of [['encoder', 'encoder.onnx'], ['decoder', 'decoder.onnx']]) {
  if (own[which]?.file !== file) fail(`${join(src, 'model.json')} graphs.${which}.file is ${JSON.stringify(own[which]?.file)}; expected "${file}" (the file index.js loads)`);
}
const variants = Object.entries(manifest.variants ?? {});
const graphs = [own.encoder, own.decoder, ...variants.flatMap(([, v]) => Object.values(v ?? {}))];
let total = statSync(join(src, 'model.json')).size;
for (const g of graphs) {
  const file = join(src, g.file);
  if (!existsSync(file)) fail(`${file} is missing; expected the graph model.json lists`);
  const bytes = readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== g.sha256) fail(`${file}: sha256 ${sha} does not match model.json (${g.sha256}); expected the files of one export`);
  total += bytes.length;
}
if (total > MAX_MODEL_BYTES) {
  fail(`the model in ${src} is ${total} bytes, more than the ${MAX_MODEL_BYTES} the package may hold; export it with --fp16 (half the size) or drop its variants`);
}
const tmp = join(dirname(dst), `.${'emoji'}.tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
for (const f of ['model.json', ...graphs.map((g) => g.file)]) copyFileSync(join(src, f), join(tmp, f));
rmSync(dst, { recursive: true, force: true });
renameSync(tmp, dst);
console.log(
  `[@vae/model-emoji] bundled ${manifest.name} (${manifest.arch}, image ${manifest.imageShape?.join('×')}, latent ${manifest.latent}, ${manifest.precision}${variants.length ? `, variants ${variants.map(([p]) => p).join(', ')}` : ''}): ${total} bytes from ${src}`,
);
