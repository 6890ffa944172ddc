/**
 * Bundled models by name: a bare name (no slash, dot or colon) of a bundled
 * model loads it; any other string is a path or URL as before, and a bare name
 * that is neither gets the bundled names in its error.
 */
import { mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS, bundledModelDir, VAE, VAEInputError, VAESourceError } from '../src/node.js';
import { resolveSource } from '../src/source/resolve-source.js';
import { fixtureModel } from './fixtures.js';

const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

describe('bundled model names', () => {
  it('lists mnist (the default) and mnist-cvae', () => {
    expect(BUNDLED_MODELS).toEqual(['mnist', 'mnist-cvae']);
    expect(bundledModelDir()).toBe(bundledModelDir('mnist'));
    expect(bundledModelDir('mnist-cvae')).toMatch(/[\\/]models[\\/]mnist-cvae$/);
  });

  it("a bundled name resolves to the package's copy, whatever the working directory holds", () => {
    // A folder called mnist in the working directory does not shadow the bundled model.
    const dir = mkdtempSync(join(tmpdir(), 'vae-names-'));
    cpSync(fixtureModel().dir, join(dir, 'mnist'), { recursive: true });
    process.chdir(dir);
    for (const name of BUNDLED_MODELS) {
      expect(resolveSource(name)).toEqual({ kind: 'folder', manifest: { kind: 'path', path: join(bundledModelDir(name), 'model.json') } });
    }
    // With a slash it is the folder.
    expect(resolveSource('./mnist')).toEqual({ kind: 'folder', manifest: { kind: 'path', path: './mnist/model.json' } });
  });

  it("VAE.load('mnist') is the default model", async () => {
    const [a, b] = await Promise.all([VAE.load('mnist', { device: 'cpu', threads: 1 }), VAE.load(undefined, { device: 'cpu', threads: 1 })]);
    try {
      expect(a.info.source).toBe(bundledModelDir());
      expect(a.info.manifest).toEqual(b.info.manifest);
      expect(a.info.condition).toBeUndefined();
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it("VAE.load('mnist-cvae') loads the conditional model shipped in the package, offline", async () => {
    const v = await VAE.load('mnist-cvae', { device: 'cpu', threads: 1 });
    try {
      expect(v.info.source).toBe(bundledModelDir('mnist-cvae'));
      expect(v.info.manifest.name).toBe('mnist-cvae');
      expect(v.info.condition).toEqual({ classes: 10, names: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
      const s = await v.sample(4, { seed: 1, label: 7 });
      expect(s.shape).toEqual([4, 1, 28, 28]);
      expect(s.labels).toEqual([7, 7, 7, 7]);
    } finally {
      await v.dispose();
    }
  });

  it('a bare name that is not bundled is still a relative folder, as before bundled names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-names-'));
    cpSync(fixtureModel().dir, join(dir, 'mymodel'), { recursive: true });
    process.chdir(dir);
    const v = await VAE.load('mymodel', { device: 'cpu', threads: 1 });
    expect(v.info.manifest.name).toBe('fixture');
    expect(v.info.source).toBe('mymodel');
    await v.dispose();
  });

  it('a bare name that is neither bundled nor a folder is a VAESourceError listing the bundled names', async () => {
    process.chdir(mkdtempSync(join(tmpdir(), 'vae-names-')));
    const e = await VAE.load('mnist-cave', { device: 'cpu' }).catch((err) => err);
    expect(e).toBeInstanceOf(VAESourceError);
    expect(e.message).toMatch(/mnist-cave[\\/]model\.json/);
    expect(e.message).toMatch(/; "mnist-cave" is not a bundled model either \(expected one of "mnist", "mnist-cvae", or a folder path or URL\)$/);
    // Not a bare name: a path error only.
    const p = await VAE.load('./mnist-cave', { device: 'cpu' }).catch((err) => err);
    expect(p).toBeInstanceOf(VAESourceError);
    expect(p.message).not.toMatch(/bundled/);
  });

  it('bundledModelDir refuses a name that is not bundled', () => {
    expect(() => bundledModelDir('fashion' as never)).toThrow(VAEInputError);
    expect(() => bundledModelDir('fashion' as never)).toThrow('bundledModelDir: "fashion" is not a bundled model; expected one of "mnist", "mnist-cvae"');
  });
});
