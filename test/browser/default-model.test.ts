/**
 * `VAE.load()` with no source, and `VAE.load('mnist-cvae')`, in a Vite-built
 * app: the SDK's browser entry must make the bundler emit all three files of
 * every bundled model. (It once referenced only
 * model.json: Vite inlined it as a data: URL, never emitted the graphs, and
 * the zero-argument load threw `TypeError: Failed to construct 'URL'`.)
 *
 * Builds a one-file app against a copy of the built package whose
 * `models/mnist` holds the demo model (the shipped one, else the fixture), so
 * this runs whether or not a trained model exists; the repository's package is
 * never written to.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Sdk from '@vae/sdk';
import { APP, SDK, chromiumMissing, copySdkWebBuild, demoModel, launch, loadNodeSdk, maxAbsDiff, serveApp } from './harness.js';

const skip = process.env.VAE_SKIP_BROWSER_TESTS === '1';
let dir = '';

beforeAll(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vae-default-model-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it.skipIf(skip)("VAE.load() with no source and VAE.load('mnist-cvae') work in a Vite build: the bundler emits both models' model.json and graphs", async () => {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const model = await demoModel();
  const pkg = join(dir, 'node_modules/@vae/sdk');
  copySdkWebBuild(pkg);
  cpSync(model.dir, join(pkg, 'models/mnist'), { recursive: true, filter: (f) => !/\.(jsonl|png)$|plots/.test(f) });
  cpSync(model.cvae.dir, join(pkg, 'models/mnist-cvae'), { recursive: true, filter: (f) => !/\.(jsonl|png)$|plots/.test(f) });
  symlinkSync(realpathSync(join(SDK, 'node_modules/onnxruntime-web')), join(dir, 'node_modules/onnxruntime-web'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/main.js"></script>');
  writeFileSync(
    join(dir, 'main.js'),
    `import { VAE } from '@vae/sdk';
     window.__reload = () => VAE.load(undefined, { device: 'wasm' }).then((v) => v.info.device, (e) => String(e));
     VAE.load(undefined, { device: 'wasm' })
       .then(async (vae) => {
         const s = await vae.sample(16, { seed: 1 });
         const cvae = await VAE.load('mnist-cvae', { device: 'wasm' });
         const c = await cvae.sample(16, { seed: 1, label: 7 });
         window.__done = { data: Array.from(s.data), cdata: Array.from(c.data), classes: cvae.info.condition.classes, source: vae.info.source, ep: vae.info.executionProvider };
       })
       .catch((e) => { window.__done = { error: String(e) }; });`,
  );
  const r = spawnSync(process.execPath, [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
  expect(r.status, r.stderr).toBe(0);
  const server = await serveApp(join(dir, 'dist'));
  const browser = await launch({ webgpu: false });
  try {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __done?: unknown }).__done, undefined, { timeout: 60_000 });
    const done = await page.evaluate(() => (window as unknown as { __done: { data?: number[]; cdata?: number[]; classes?: number; source?: string; ep?: string; error?: string } }).__done);
    expect(done.error).toBeUndefined();
    expect(done.ep).toBe('wasm');
    // Both graphs of both bundled models (VAE.load() and VAE.load('mnist-cvae')) were emitted by the
    // build and fetched from this app; the manifests are inlined or emitted.
    expect(requests.filter((u) => /\/assets\/encoder-[\w-]+\.onnx$/.test(u))).toHaveLength(2);
    expect(requests.filter((u) => /\/assets\/decoder-[\w-]+\.onnx$/.test(u))).toHaveLength(2);
    expect(done.classes).toBe(10);
    const sdk: typeof Sdk = await loadNodeSdk();
    const node = await sdk.VAE.load(model.dir, { device: 'cpu' });
    const want = await node.sample(16, { seed: 1 });
    await node.dispose();
    expect(maxAbsDiff(Float32Array.from(done.data!), want.data)).toBeLessThan(1e-4);
    const nodeCvae = await sdk.VAE.load(model.cvae.dir, { device: 'cpu' });
    const sevens = await nodeCvae.sample(16, { seed: 1, label: 7 });
    await nodeCvae.dispose();
    expect(maxAbsDiff(Float32Array.from(done.cdata!), sevens.data)).toBeLessThan(1e-4);
    // The shipped model is read once per page: a second VAE.load() (a device switch) works offline.
    await page.context().setOffline(true);
    expect(await page.evaluate(() => (window as unknown as { __reload: () => Promise<string> }).__reload())).toBe('wasm');
    await page.context().setOffline(false);
  } finally {
    await browser.close();
    await server.close();
  }
});
