/**
 * Every subpath export of the built package, resolved through its own exports
 * map in one Node process, is one SDK: one `VAE` class, one installed
 * platform. And the Node entry without onnxruntime-node (an optional
 * dependency) falls back to onnxruntime-web's wasm build and says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dist, ensureBuilt, pkgDir } from './built-package.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel();
const SUBPATHS = ['@vae/sdk', '@vae/sdk/node', '@vae/sdk/core', '@vae/sdk/web'];

beforeAll(ensureBuilt, 300_000);

/** Runs Node in the package folder, so `@vae/sdk` resolves to the package itself through its exports map. */
function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8', env: { ...process.env, MODEL: fx.dir, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[], env: Record<string, string> = {}) {
  const r = node(args, env);
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A preload that makes `require('onnxruntime-node')` fail as it does when npm dropped the optional dependency. */
function withoutOnnxruntimeNode(): string {
  const f = join(mkdtempSync(join(tmpdir(), 'vae-no-ort-node-')), 'hide.cjs');
  writeFileSync(
    f,
    `const M = require('node:module');
const resolve = M._resolveFilename;
M._resolveFilename = function (request, ...rest) {
  if (request === 'onnxruntime-node') {
    const e = new Error("Cannot find module 'onnxruntime-node'");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  return resolve.call(this, request, ...rest);
};`,
  );
  return f;
}

const shareProgram = (load: (s: string) => string) => `
  const mods = [${SUBPATHS.map((s) => load(s)).join(', ')}];
  const vae = await mods[2].VAE.load(process.env.MODEL);
  console.log(JSON.stringify({
    sameVAE: mods.map((m) => m.VAE === mods[0].VAE),
    sameEnv: mods.map((m) => m.env === mods[0].env),
    sameError: mods.map((m) => m.VAEDeviceError === mods[0].VAEDeviceError),
    loadedIsInstance: mods.map((m) => vae instanceof m.VAE),
    platform: mods[0].env.platform,
    device: vae.info.device,
  }));
  await vae.dispose();`;

describe('subpath exports of the built package', () => {
  it('ESM: @vae/sdk, /node, /core and /web share one VAE class, and VAE.load from /core runs on the Node platform', () => {
    const r = json(['--input-type=module', '-e', shareProgram((s) => `await import('${s}')`)]);
    expect(r).toEqual({
      sameVAE: [true, true, true, true],
      sameEnv: [true, true, true, true],
      sameError: [true, true, true, true],
      loadedIsInstance: [true, true, true, true],
      platform: 'node',
      device: 'cpu',
    });
  });

  it('CJS: the same four require()s share one VAE class', () => {
    const r = json(['-e', `(async () => { ${shareProgram((s) => `require('${s}')`)} })().catch((e) => { console.error(e); process.exit(1); })`]);
    expect(r.sameVAE).toEqual([true, true, true, true]);
    expect(r.loadedIsInstance).toEqual([true, true, true, true]);
    expect(r.device).toBe('cpu');
  });

  it('@vae/sdk/web in Node is the Node entry (onnxruntime-web\'s browser builds and file: URLs need a browser)', () => {
    const r = json(['--input-type=module', '-e', `
      const web = await import('@vae/sdk/web');
      const vae = await web.VAE.load();
      console.log(JSON.stringify({ platform: web.env.platform, device: vae.info.device, png: typeof web.encodePng }));
      await vae.dispose();`]);
    expect(r).toEqual({ platform: 'node', device: 'cpu', png: 'function' });
  });

  it('the browser entry reached directly in Node never replaces the Node platform, in either import order', () => {
    for (const order of [['node.js', 'web.js'], ['web.js', 'node.js']]) {
      const r = json(['--input-type=module', '-e', `
        const [a, b] = [await import(${JSON.stringify(join(dist, order[0]))}), await import(${JSON.stringify(join(dist, order[1]))})];
        const vae = await a.VAE.load(process.env.MODEL);
        console.log(JSON.stringify({ same: a.VAE === b.VAE, platform: a.env.platform, runtime: vae.info.runtime }));
        await vae.dispose();`]);
      expect(r, order.join(' then ')).toEqual({ same: true, platform: 'node', runtime: 'onnxruntime-node' });
    }
  });

  it('the core alone has no backend: VAE.load is a VAEDeviceError saying to import @vae/sdk', () => {
    const r = node(['--input-type=module', '-e', `
      const { readFileSync } = await import('node:fs');
      const core = await import('@vae/sdk/core');
      const bytes = Object.fromEntries(['manifest:model.json', 'encoder:encoder.onnx', 'decoder:decoder.onnx'].map((kv) => kv.split(':')).map(([k, f]) => [k, readFileSync(process.env.MODEL + '/' + f)]));
      const e = await core.VAE.load(bytes).catch((e) => e);
      console.log(JSON.stringify({ platform: core.env.platform, name: e.name, isDeviceError: e instanceof core.VAEDeviceError, message: e.message }));`]);
    expect(JSON.parse(r.stdout)).toEqual({
      platform: 'core',
      name: 'VAEDeviceError',
      isDeviceError: true,
      message: 'no ONNX Runtime backend is installed; import "@vae/sdk" (its node or browser entry installs one) rather than only the platform-free "@vae/sdk/core"',
    });
  });
});

describe('Node entry without onnxruntime-node', () => {
  const sample = `
    const sdk = await import('@vae/sdk');
    const vae = await sdk.VAE.load(process.env.MODEL, process.env.DEVICE ? { device: process.env.DEVICE } : {});
    const s = await vae.sample(4, { seed: 1 });
    console.log(JSON.stringify({ device: vae.info.device, provider: vae.info.executionProvider, runtime: vae.info.runtime, fallback: vae.info.fallback, skipped: vae.info.skipped, pixels: Array.from(s.data) }));
    await vae.dispose();`;

  it('auto falls back to onnxruntime-web wasm, matches onnxruntime-node cpu, and info says why once', () => {
    const hide = withoutOnnxruntimeNode();
    const wasm = json(['--require', hide, '--input-type=module', '-e', sample]);
    const cpu = json(['--input-type=module', '-e', sample]);
    expect(cpu).toMatchObject({ device: 'cpu', runtime: 'onnxruntime-node' });
    expect(cpu.fallback).toBeUndefined();
    expect(wasm).toMatchObject({ device: 'wasm', provider: 'wasm', runtime: 'onnxruntime-web' });
    expect(wasm.fallback).toBe(
      "onnxruntime-node is not installed or failed to load (Cannot find module 'onnxruntime-node'), so this runs on onnxruntime-web's WebAssembly build (CPU, slower); `npm i onnxruntime-node` brings back cpu, cuda and webgpu",
    );
    expect(wasm.skipped.map((s: { device: string }) => s.device)).toEqual(['webgpu', 'cuda', 'cpu']);
    const diff = Math.max(...wasm.pixels.map((v: number, i: number) => Math.abs(v - cpu.pixels[i])));
    console.log(`wasm fallback vs onnxruntime-node cpu, max abs diff over 4 samples: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
  });

  it("an explicit device: 'cpu' is a VAEDeviceError naming the missing package and the wasm alternative", () => {
    const r = node(['--require', withoutOnnxruntimeNode(), '--input-type=module', '-e', sample], { DEVICE: 'cpu' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      "VAEDeviceError: device 'cpu' could not start:\n  - cpu: onnxruntime-node is not installed or failed to load (Cannot find module 'onnxruntime-node'); reinstall it with `npm i onnxruntime-node`, or use device 'wasm' (onnxruntime-web)",
    );
  });

  it('vae info prints the fallback line', () => {
    const r = node(['--require', withoutOnnxruntimeNode(), join(dist, 'cli.js'), 'info', '--model', fx.dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^device {7}wasm \(execution provider wasm, onnxruntime-web\)$/m);
    expect(r.stdout).toMatch(/^fallback {5}onnxruntime-node is not installed or failed to load \(Cannot find module 'onnxruntime-node'\), so this runs on onnxruntime-web's WebAssembly build/m);
    expect(r.stdout.match(/^fallback/gm)).toHaveLength(1);
    const plain = node([join(dist, 'cli.js'), 'info', '--model', fx.dir]);
    expect(plain.stdout).not.toMatch(/^fallback/m);
  });
});
