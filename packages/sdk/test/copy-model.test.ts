/**
 * scripts/copy-model.mjs, the build step that puts the trained models (every
 * bundled name) into the package: a missing model fails the build unless
 * VAE_SDK_ALLOW_NO_MODEL=1.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODELS } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'copy-model.mjs');
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-copy-model-'));

/** A models folder holding `names`, each a copy of a fixture export (the conditional one for mnist-cvae). */
function modelsDir(names: readonly string[] = BUNDLED_MODELS): string {
  const root = tmp();
  for (const n of names) cpSync(fixtureModel(n === 'mnist-cvae' ? { classes: 10 } : {}).dir, join(root, n), { recursive: true });
  return root;
}

function run(env: Record<string, string>) {
  const clean = { ...process.env };
  delete clean.VAE_SDK_ALLOW_NO_MODEL;
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('copy-model (build step)', () => {
  it('fails with a clear message when the trained model is missing', () => {
    const src = tmp();
    const out = tmp();
    const r = run({ VAE_SDK_MODELS_DIR: src, VAE_SDK_MODELS_OUT: out });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`[@vae/sdk] no trained model at ${join(src, 'mnist')} (model.json missing), so the package would ship without its bundled model "mnist" and VAE.load() would fail`);
    expect(r.stderr).toMatch(/set VAE_SDK_ALLOW_NO_MODEL=1 to build without it on purpose/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('fails when only the conditional model is missing, copying nothing (not half the models)', () => {
    const src = modelsDir(['mnist']);
    const out = tmp();
    const r = run({ VAE_SDK_MODELS_DIR: src, VAE_SDK_MODELS_OUT: out });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no trained model at ${join(src, 'mnist-cvae')} (model.json missing), so the package would ship without its bundled model "mnist-cvae" and VAE.load('mnist-cvae') would fail`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('builds without the model only when VAE_SDK_ALLOW_NO_MODEL=1, with a warning', () => {
    const out = tmp();
    const r = run({ VAE_SDK_MODELS_DIR: modelsDir(['mnist']), VAE_SDK_MODELS_OUT: out, VAE_SDK_ALLOW_NO_MODEL: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: no trained model at .*mnist-cvae .*building anyway because VAE_SDK_ALLOW_NO_MODEL=1/);
    expect(readdirSync(out)).toEqual(['mnist']);
    // Any other value is not an opt-out.
    expect(run({ VAE_SDK_MODELS_DIR: tmp(), VAE_SDK_MODELS_OUT: tmp(), VAE_SDK_ALLOW_NO_MODEL: 'true' }).status).toBe(1);
  });

  it('refuses graphs whose sha256 disagrees with model.json, copying nothing', () => {
    const src = modelsDir();
    // The second model is corrupt: the first must not be copied either.
    const file = join(src, 'mnist-cvae', 'decoder.onnx');
    const dec = readFileSync(file);
    dec[dec.length - 1] ^= 0xff;
    writeFileSync(file, dec);
    const out = tmp();
    const r = run({ VAE_SDK_MODELS_DIR: src, VAE_SDK_MODELS_OUT: out, VAE_SDK_ALLOW_NO_MODEL: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/mnist-cvae[\\/]decoder\.onnx: sha256 [0-9a-f]{64} does not match model\.json \([0-9a-f]{64}\); expected the files of one export/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('copies every bundled model, verified, replacing an older copy whole', () => {
    const src = modelsDir();
    const out = tmp();
    mkdirSync(join(out, 'mnist'));
    writeFileSync(join(out, 'mnist', 'stale.onnx'), 'old export');
    const r = run({ VAE_SDK_MODELS_DIR: src, VAE_SDK_MODELS_OUT: out });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bundled mnist: fixture \(small, latent 32\)/);
    expect(r.stdout).toMatch(/bundled mnist-cvae: fixture \(small, latent 32, 10 classes\)/);
    expect(readdirSync(out).sort()).toEqual([...BUNDLED_MODELS].sort());
    for (const n of BUNDLED_MODELS) {
      expect(readdirSync(join(out, n)).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'model.json']);
      for (const f of ['model.json', 'encoder.onnx', 'decoder.onnx']) expect(readFileSync(join(out, n, f)).equals(readFileSync(join(src, n, f)))).toBe(true);
    }
    expect(existsSync(join(out, 'mnist', 'stale.onnx'))).toBe(false);
  });

  it('copies the dtype variants model.json lists (encoder_int8.onnx, ...), verified like its own graphs', () => {
    const src = modelsDir();
    const dir = join(src, 'mnist');
    const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    // A variant entry pointing at copies of the fp32 graphs: the script checks files, not their precision.
    m.variants = { int8: { encoder: { ...m.graphs.encoder, file: 'encoder_int8.onnx' }, decoder: { ...m.graphs.decoder, file: 'decoder_int8.onnx' } } };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
    cpSync(join(dir, 'encoder.onnx'), join(dir, 'encoder_int8.onnx'));
    cpSync(join(dir, 'decoder.onnx'), join(dir, 'decoder_int8.onnx'));
    const out = tmp();
    const r = run({ VAE_SDK_MODELS_DIR: src, VAE_SDK_MODELS_OUT: out });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bundled mnist: fixture \(small, latent 32\) with int8 variants from /);
    expect(readdirSync(join(out, 'mnist')).sort()).toEqual(['decoder.onnx', 'decoder_int8.onnx', 'encoder.onnx', 'encoder_int8.onnx', 'model.json']);
    const bad = readFileSync(join(dir, 'decoder_int8.onnx'));
    bad[0] ^= 0xff;
    writeFileSync(join(dir, 'decoder_int8.onnx'), bad);
    const r2 = run({ VAE_SDK_MODELS_DIR: src, VAE_SDK_MODELS_OUT: tmp() });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/mnist[\\/]decoder_int8\.onnx: sha256 [0-9a-f]{64} does not match model\.json \([0-9a-f]{64}\); expected the files of one export/);
  });
});
