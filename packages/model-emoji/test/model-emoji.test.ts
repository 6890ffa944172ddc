/**
 * @vae/model-emoji as it ships: the package's files staged in a temp folder,
 * its build (scripts/copy-model.mjs) run against a model, then loaded through
 * its ESM and CJS entries with the SDK. Until the trained model exists in
 * models/emoji, the model is a fresh-weights 3×16×16 colour export made here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VAE } from '../../sdk/src/node.js';
import { fixtureModel } from '../../sdk/test/fixtures.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoModel = join(pkg, '..', '..', 'models', 'emoji');
const SHIPPED = ['package.json', 'index.js', 'index.cjs', 'index.d.ts', 'README.md', 'scripts'];

/** The package's own files in a fresh folder, as `npm pack` would see them before the build. */
function stage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vae-model-emoji-'));
  for (const f of SHIPPED) cpSync(join(pkg, f), join(dir, f), { recursive: true });
  return dir;
}

/** Runs the package's build in `dir` against the model folder `from`. */
function build(dir: string, from: string) {
  return spawnSync(process.execPath, [join(dir, 'scripts', 'copy-model.mjs')], { env: { ...process.env, VAE_EMOJI_MODEL_DIR: from, VAE_EMOJI_ALLOW_NO_MODEL: '0' }, encoding: 'utf8' });
}

const colour = fixtureModel({ arch: 'small', imageShape: [16, 16, 3], seed: 3 });
const opened: VAE[] = [];
afterAll(async () => {
  for (const v of opened) await v.dispose();
});

describe('@vae/model-emoji build', () => {
  it('fails when models/emoji is missing, saying how to train and export it', () => {
    const dir = stage();
    const r = build(dir, join(dir, 'no-such-model'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`[@vae/model-emoji] no emoji model at ${join(dir, 'no-such-model')} (model.json missing)`);
    expect(r.stderr).toContain('vae-train --arch celeba --dataset');
    expect(r.stderr).toContain('vae-export --checkpoint <run dir>');
    expect(existsSync(join(dir, 'models'))).toBe(false);
  });

  it('VAE_EMOJI_ALLOW_NO_MODEL=1 builds without the model on purpose, with a warning', () => {
    const dir = stage();
    const r = spawnSync(process.execPath, [join(dir, 'scripts', 'copy-model.mjs')], {
      env: { ...process.env, VAE_EMOJI_MODEL_DIR: join(dir, 'no-such-model'), VAE_EMOJI_ALLOW_NO_MODEL: '1' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`[@vae/model-emoji] warning: no emoji model at ${join(dir, 'no-such-model')}; building without it because VAE_EMOJI_ALLOW_NO_MODEL=1`);
    expect(existsSync(join(dir, 'models'))).toBe(false);
  });

  it('refuses a graph whose sha256 does not match model.json, copying nothing', () => {
    const dir = stage();
    const bad = mkdtempSync(join(tmpdir(), 'vae-emoji-bad-'));
    cpSync(colour.dir, bad, { recursive: true });
    const enc = readFileSync(join(bad, 'encoder.onnx'));
    enc[enc.length - 1] ^= 1;
    writeFileSync(join(bad, 'encoder.onnx'), enc);
    const r = build(dir, bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/encoder\.onnx: sha256 [0-9a-f]{64} does not match model\.json \([0-9a-f]{64}\); expected the files of one export/);
    expect(existsSync(join(dir, 'models'))).toBe(false);
  });

  it('refuses a model of more than 10 MB, pointing at --fp16', () => {
    const dir = stage();
    const big = mkdtempSync(join(tmpdir(), 'vae-emoji-big-'));
    const bytes = new Uint8Array(5_000_001);
    const sha = createHash('sha256').update(bytes).digest('hex');
    for (const f of ['encoder.onnx', 'decoder.onnx']) writeFileSync(join(big, f), bytes);
    const graph = (file: string) => ({ file, bytes: bytes.length, sha256: sha });
    writeFileSync(join(big, 'model.json'), JSON.stringify({ name: 'emoji', graphs: { encoder: graph('encoder.onnx'), decoder: graph('decoder.onnx') } }));
    const r = build(dir, big);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is \d+ bytes, more than the 10000000 the package may hold; export it with --fp16/);
  });
});

describe('@vae/model-emoji as a VAE.load source', () => {
  const dir = stage();
  const built = build(dir, colour.dir);

  it('the build copies model.json and both graphs beside index.js', () => {
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toContain('[@vae/model-emoji] bundled fixture (small, image 3×16×16');
    for (const f of ['model.json', 'encoder.onnx', 'decoder.onnx']) {
      expect(readFileSync(join(dir, 'models', 'emoji', f)).equals(readFileSync(join(colour.dir, f)))).toBe(true);
    }
  });

  it('import emoji from the ESM entry loads in Node and samples what the model folder samples', async () => {
    const emoji = (await import(pathToFileURL(join(dir, 'index.js')).href)).default;
    expect(emoji.manifest).toBeInstanceOf(URL);
    expect(fileURLToPath(emoji.encoder)).toBe(join(dir, 'models', 'emoji', 'encoder.onnx'));
    const [a, b] = [await VAE.load(emoji, { device: 'cpu' }), await VAE.load(colour.dir, { device: 'cpu' })];
    opened.push(a, b);
    expect(a.info.imageShape).toEqual([3, 16, 16]);
    const [sa, sb] = [await a.sample(4, { seed: 1 }), await b.sample(4, { seed: 1 })];
    expect(sa.shape).toEqual([4, 3, 16, 16]);
    expect(Array.from(sa.data)).toEqual(Array.from(sb.data));
  });

  it('require() of the CJS entry gives the same three files', async () => {
    const emoji = createRequire(import.meta.url)(join(dir, 'index.cjs'));
    expect(Object.keys(emoji)).toEqual(['manifest', 'encoder', 'decoder']);
    expect(['manifest', 'encoder', 'decoder'].map((k) => fileURLToPath(emoji[k]))).toEqual(['model.json', 'encoder.onnx', 'decoder.onnx'].map((f) => join(dir, 'models', 'emoji', f)));
    const vae = await VAE.load(emoji, { device: 'cpu' });
    opened.push(vae);
    expect(vae.info.imageShape).toEqual([3, 16, 16]);
  });
});

describe('@vae/model-emoji size', () => {
  const model = existsSync(join(repoModel, 'model.json')) ? repoModel : colour.dir;
  it(`packs to at most 10 MB with ${model === repoModel ? 'the trained models/emoji' : 'a fixture model (models/emoji is not trained yet)'}`, () => {
    const dir = stage();
    mkdirSync(join(dir, 'models'), { recursive: true });
    expect(build(dir, model).status).toBe(0);
    const [report] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' }));
    console.log(`@vae/model-emoji with ${model}: tarball ${report.size} bytes, unpacked ${report.unpackedSize} bytes, ${report.entryCount} files`);
    const files = report.files.map((f: { path: string }) => f.path).sort();
    expect(files).toEqual(['README.md', 'index.cjs', 'index.d.ts', 'index.js', 'models/emoji/decoder.onnx', 'models/emoji/encoder.onnx', 'models/emoji/model.json', 'package.json']);
    expect(report.unpackedSize).toBeLessThanOrEqual(10_000_000);
    expect(report.size).toBeLessThanOrEqual(10_000_000);
  });
});
