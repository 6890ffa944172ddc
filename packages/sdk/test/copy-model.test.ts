/**
 * scripts/copy-model.mjs, the build step that puts the trained model into the
 * package: a missing model fails the build unless VAE_SDK_ALLOW_NO_MODEL=1.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureModel } from './fixtures.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'copy-model.mjs');
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-copy-model-'));

function run(env: Record<string, string>) {
  const clean = { ...process.env };
  delete clean.VAE_SDK_ALLOW_NO_MODEL;
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('copy-model (build step)', () => {
  it('fails with a clear message when the trained model is missing', () => {
    const src = tmp();
    const out = join(tmp(), 'mnist');
    const r = run({ VAE_SDK_MODEL_DIR: src, VAE_SDK_MODEL_OUT: out });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`[@vae/sdk] no trained model at ${src} (model.json missing)`);
    expect(r.stderr).toMatch(/VAE\.load\(\) with no source would fail/);
    expect(r.stderr).toMatch(/set VAE_SDK_ALLOW_NO_MODEL=1 to build without it on purpose/);
    expect(existsSync(out)).toBe(false);
  });

  it('builds without the model only when VAE_SDK_ALLOW_NO_MODEL=1, with a warning', () => {
    const out = join(tmp(), 'mnist');
    const r = run({ VAE_SDK_MODEL_DIR: tmp(), VAE_SDK_MODEL_OUT: out, VAE_SDK_ALLOW_NO_MODEL: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: no trained model at .*building anyway because VAE_SDK_ALLOW_NO_MODEL=1/);
    expect(existsSync(out)).toBe(false);
    // Any other value is not an opt-out.
    expect(run({ VAE_SDK_MODEL_DIR: tmp(), VAE_SDK_MODEL_OUT: out, VAE_SDK_ALLOW_NO_MODEL: 'true' }).status).toBe(1);
  });

  it('refuses graphs whose sha256 disagrees with model.json, copying nothing', () => {
    const src = tmp();
    cpSync(fixtureModel().dir, src, { recursive: true });
    const dec = readFileSync(join(src, 'decoder.onnx'));
    dec[dec.length - 1] ^= 0xff;
    writeFileSync(join(src, 'decoder.onnx'), dec);
    const out = join(tmp(), 'mnist');
    const r = run({ VAE_SDK_MODEL_DIR: src, VAE_SDK_MODEL_OUT: out, VAE_SDK_ALLOW_NO_MODEL: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/decoder\.onnx: sha256 [0-9a-f]{64} does not match model\.json \([0-9a-f]{64}\); expected the files of one export/);
    expect(existsSync(out)).toBe(false);
  });

  it('copies a verified model', () => {
    const fx = fixtureModel();
    const out = join(tmp(), 'mnist');
    const r = run({ VAE_SDK_MODEL_DIR: fx.dir, VAE_SDK_MODEL_OUT: out });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bundled fixture \(small, latent 32\)/);
    for (const f of ['model.json', 'encoder.onnx', 'decoder.onnx']) expect(readFileSync(join(out, f)).equals(readFileSync(join(fx.dir, f)))).toBe(true);
  });
});
