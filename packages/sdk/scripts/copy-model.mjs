#!/usr/bin/env node
// Copies the repository's trained models (models/mnist, the default, and
// models/mnist-cvae, the conditional one) into the package, so `npm i @vae/sdk`
// ships them and VAE.load() / VAE.load('mnist-cvae') work offline. Verifies
// sha256 of every graph of every model against its model.json before copying
// anything, so a stale or half-written copy can't ship, nor half the models.
//
// A missing model fails the build (exit 1): VAE.load() and the bundled names
// depend on them. VAE_SDK_ALLOW_NO_MODEL=1 builds without the missing ones on
// purpose (a warning each, exit 0). VAE_SDK_MODELS_DIR picks another folder
// holding one sub-folder per model, VAE_SDK_MODELS_OUT another destination (tests).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Must match BUNDLED_MODELS in src/source/bundled.ts (test/copy-model.test.ts checks it).
const BUNDLED = ['mnist', 'mnist-cvae'];

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcRoot = resolve(process.env.VAE_SDK_MODELS_DIR ?? join(pkg, '..', '..', 'models'));
const dstRoot = resolve(process.env.VAE_SDK_MODELS_OUT ?? join(pkg, 'models'));

function fail(message) {
  console.error(`[@vae/sdk] ${message}`);
  process.exit(1);
}

/** Checks one model folder; returns its manifest and graph files, or null when it is missing and that is allowed. */
function verify(name) {
  const src = join(srcRoot, name);
  if (!existsSync(join(src, 'model.json'))) {
    const what = `no trained model at ${src} (model.json missing), so the package would ship without its bundled model "${name}" and VAE.load(${name === 'mnist' ? '' : `'${name}'`}) would fail`;
    if (process.env.VAE_SDK_ALLOW_NO_MODEL === '1') {
      console.warn(`[@vae/sdk] warning: ${what}; building anyway because VAE_SDK_ALLOW_NO_MODEL=1`);
      return null;
    }
    fail(`${what}.\n  Export the trained model there (or point VAE_SDK_MODELS_DIR at a folder with ${BUNDLED.join('/, ')}/, each holding model.json, encoder.onnx, decoder.onnx),\n  or set VAE_SDK_ALLOW_NO_MODEL=1 to build without it on purpose.`);
  }
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  } catch (e) {
    fail(`${join(src, 'model.json')} is not valid JSON: ${e.message}`);
  }
  const own = Object.values(manifest?.graphs ?? {});
  if (own.length !== 2) fail(`${join(src, 'model.json')} lists ${own.length} graphs; expected encoder and decoder`);
  // Each dtype variant (model.json's variants: encoder_fp16.onnx, ...) ships too, checked the same way.
  const variants = Object.entries(manifest?.variants ?? {});
  for (const [dtype, v] of variants) {
    if (Object.values(v ?? {}).length !== 2) fail(`${join(src, 'model.json')} variants.${dtype} lists ${Object.values(v ?? {}).length} graphs; expected encoder and decoder`);
  }
  const graphs = [...own, ...variants.flatMap(([, v]) => Object.values(v))];
  for (const g of graphs) {
    const file = join(src, g.file);
    if (!existsSync(file)) fail(`${file} is missing; expected the graph model.json lists`);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (sha !== g.sha256) fail(`${file}: sha256 ${sha} does not match model.json (${g.sha256}); expected the files of one export`);
  }
  return { name, src, manifest, files: [...graphs.map((g) => g.file), 'model.json'] };
}

const verified = BUNDLED.map(verify).filter(Boolean);
for (const m of verified) {
  // Into a fresh folder renamed over the old one: no stale file of an earlier export survives, and no half copy is left.
  const dst = join(dstRoot, m.name);
  const tmp = join(dstRoot, `.${m.name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of m.files) copyFileSync(join(m.src, f), join(tmp, f));
  rmSync(dst, { recursive: true, force: true });
  renameSync(tmp, dst);
  const variants = Object.keys(m.manifest.variants ?? {});
  console.log(`[@vae/sdk] bundled ${m.name}: ${m.manifest.name} (${m.manifest.arch}, latent ${m.manifest.latent}${m.manifest.condition ? `, ${m.manifest.condition.classes} classes` : ''})${variants.length ? ` with ${variants.join(', ')} variants` : ''} from ${m.src}`);
}
