/**
 * The built package, as a user gets it: imported by name from ESM and from
 * CJS in separate Node processes, the `vae` bin, the exports map, and the
 * browser build's freedom from onnxruntime-node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dist, ensureBuilt, entryWithChunks, pkgDir } from './built-package.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel();

beforeAll(ensureBuilt, 300_000);

function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

const program = (load: string) => `
  const sdk = ${load};
  const vae = await sdk.VAE.load(process.env.MODEL, { device: process.env.DEVICE || 'auto' });
  const s = await vae.sample(4, { seed: 1 });
  const png = sdk.encodePng(sdk.tile(s, 2));
  console.log(JSON.stringify({
    exports: Object.keys(sdk).sort(),
    device: vae.info.executionProvider,
    pixels: Array.from(s.data.subarray(300, 306)),
    png: png.length,
    bundled: sdk.bundledModelDir(),
    platform: sdk.env.platform,
  }));
  await vae.dispose();`;

describe('built package', () => {
  it('imports by name from ESM and CJS in separate processes, with identical results', () => {
    const esm = JSON.parse(node(['--input-type=module', '-e', program("await import('@vae/sdk')")], { MODEL: fx.dir }));
    const cjs = JSON.parse(node(['-e', `(async () => { ${program("require('@vae/sdk')")} })().catch((e) => { console.error(e); process.exit(1); })`], { MODEL: fx.dir }));
    expect(esm.device).toBe('cpu');
    expect(esm.platform).toBe('node');
    expect(cjs.pixels).toEqual(esm.pixels);
    expect(cjs.exports).toEqual(esm.exports);
    expect(esm.exports).toEqual(expect.arrayContaining(['VAE', 'VAEInputError', 'VAEDeviceError', 'VAEModelError', 'tile', 'encodePng', 'imagesFromPng', 'toImageData', 'env', 'gaussianLatents']));
    // Both module formats find the bundled model next to dist/ (CJS through tsup's import.meta.url shim).
    expect(cjs.bundled).toBe(esm.bundled);
    expect(esm.bundled.endsWith(join('models', 'mnist'))).toBe(true);
  });

  it('the exports map puts node first, browser/default after, with types in every branch', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const root = pkg.exports['.'];
    expect(Object.keys(root)).toEqual(['node', 'browser', 'default']);
    for (const branch of Object.values(root) as Record<string, string>[]) {
      expect(Object.keys(branch)[0]).toBe('types');
      for (const f of Object.values(branch)) expect(existsSync(join(pkgDir, f))).toBe(true);
    }
    expect(root.browser.import).toBe('./dist/web.js');
    expect(pkg.bin.vae).toBe('./dist/cli.js');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'models']));
  });

  it('the browser build (its entry and every chunk it loads) never contains onnxruntime-node or node: modules', () => {
    for (const f of ['web.js', 'web.cjs']) {
      const code = entryWithChunks(f);
      expect(code).not.toMatch(/onnxruntime-node/);
      expect(code).not.toMatch(/["']node:|require\(["'](fs|path|zlib|crypto|module|url)["']\)|from ["'](fs|path|zlib|crypto|module|url|fs\/promises)["']/);
      expect(code).toMatch(/onnxruntime-web/);
    }
  });

  it('dist loads and names only the declared dependencies: the unpublished @vae/format is inlined, code and types', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const deps = new Set(Object.keys(pkg.dependencies ?? {}));
    expect([...deps].filter((d) => d.startsWith('@vae/'))).toEqual([]);
    const builtins = new Set(builtinModules);
    const stray: string[] = [];
    const files = readdirSync(dist).filter((f) => /\.(c?js|d\.c?ts)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['node.js', 'node.cjs', 'web.js', 'node.d.ts', 'web.d.ts', 'index.d.ts']));
    for (const f of files) {
      const text = readFileSync(join(dist, f), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([@\w][\w@/.:-]*)['"]/g)) {
        const name = m[1].split('/').slice(0, m[1].startsWith('@') ? 2 : 1).join('/');
        if (!m[1].startsWith('node:') && !builtins.has(name) && !deps.has(name) && name !== '@vae/sdk') stray.push(`${f}: '${m[1]}'`);
      }
    }
    expect(stray).toEqual([]);
    // The manifest types reach users inlined, not as a reference to a package npm does not have.
    expect(readFileSync(join(dist, 'index.d.ts'), 'utf8')).toMatch(/interface ModelManifest \{/);
  });

  it('the vae bin runs', () => {
    expect(node([join(dist, 'cli.js'), '--help'])).toMatch(/vae sample/);
    expect(node([join(dist, 'cli.js'), 'info', '--model', fx.dir])).toMatch(/execution provider cpu/);
    expect(node([join(dist, 'cli.js'), '--version']).trim()).toBe(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version);
  });

  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  it('Node webgpu (SwiftShader) runs and matches cpu within 1e-4 (skipped, saying why, only without the ICD)', (ctx) => {
    if (!existsSync(icd)) {
      const why = `${icd} is absent (Debian's chromium package provides SwiftShader's Vulkan ICD)`;
      console.log(`SKIPPED Node webgpu smoke test: ${why}`);
      ctx.skip(why);
    }
    const env = { MODEL: fx.dir, VK_ICD_FILENAMES: icd };
    const gpu = JSON.parse(node(['--input-type=module', '-e', program("await import('@vae/sdk')")], { ...env, DEVICE: 'webgpu' }));
    const cpu = JSON.parse(node(['--input-type=module', '-e', program("await import('@vae/sdk')")], { ...env, DEVICE: 'cpu' }));
    expect(gpu.device).toBe('webgpu');
    expect(cpu.device).toBe('cpu');
    const diff = Math.max(...gpu.pixels.map((v: number, i: number) => Math.abs(v - cpu.pixels[i])));
    console.log(`Node webgpu vs cpu max abs diff: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it("Node wasm (onnxruntime-web's WebAssembly build, the fallback when onnxruntime-node is missing) matches cpu within 1e-4", () => {
    const run = (device: string) => JSON.parse(node(['--input-type=module', '-e', program("await import('@vae/sdk')")], { MODEL: fx.dir, DEVICE: device }));
    const wasm = run('wasm');
    const cpu = run('cpu');
    expect(wasm.device).toBe('wasm');
    expect(cpu.device).toBe('cpu');
    const diff = Math.max(...wasm.pixels.map((v: number, i: number) => Math.abs(v - cpu.pixels[i])));
    console.log(`Node wasm vs cpu max abs diff: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it("Node webgpu with no Vulkan driver is a VAEDeviceError saying what is missing", () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program("await import('@vae/sdk')")], {
      cwd: pkgDir,
      encoding: 'utf8',
      env: { ...process.env, MODEL: fx.dir, DEVICE: 'webgpu', VK_ICD_FILENAMES: '/nonexistent/no_icd.json' },
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/VAEDeviceError: device 'webgpu' could not start:\n {2}- webgpu: .*Vulkan driver/);
  });
});
