/**
 * `wasm: { proxy: true }` runs onnxruntime-web in a Web Worker, and the runtime
 * transfers (detaches) the model's ArrayBuffer to it. Without a copy, the first
 * load emptied the caller's byte arrays and every later VAE.load in the page
 * failed with "An ArrayBuffer is detached and could not be cloned" (the shipped
 * model's bytes, read once per page, were detached too). Loads twice from the
 * caller's bytes and twice from the shipped model, with the proxy on, each
 * sampling in two batches (views of one buffer, which a transfer also detached).
 */
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Sdk from '@vae/sdk';
import { APP, SDK, chromiumMissing, demoModel, launch, loadNodeSdk, maxAbsDiff, serveApp } from './harness.js';

const skip = process.env.VAE_SKIP_BROWSER_TESTS === '1';
let dir = '';

beforeAll(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vae-wasm-proxy-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Result {
  before: number[];
  after: number[];
  sums: [number, number];
  loads: { from: string; data?: number[]; error?: string }[];
}

it.skipIf(skip)("with wasm.proxy the caller's model bytes stay intact and a second VAE.load works", async () => {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const model = await demoModel();
  const pkg = join(dir, 'node_modules/@vae/sdk');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  cpSync(join(SDK, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(SDK, 'dist/web.js'), join(pkg, 'dist/web.js'));
  const files = (to: string) => cpSync(model.dir, to, { recursive: true, filter: (f) => !/\.(jsonl|png)$|plots/.test(f) });
  files(join(pkg, 'models/mnist'));
  files(join(dir, 'public/model')); // the caller's own copy, fetched as bytes
  symlinkSync(realpathSync(join(SDK, 'node_modules/onnxruntime-web')), join(dir, 'node_modules/onnxruntime-web'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/main.js"></script>');
  writeFileSync(
    join(dir, 'main.js'),
    `import { VAE } from '@vae/sdk';
     const get = (f) => fetch('/model/' + f).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b));
     const opts = { device: 'wasm', wasm: { proxy: true } };
     async function once(from, source) {
       try {
         // batchSize 2: sample(4) runs twice on views of one buffer, which a transfer of the first would detach.
         const vae = await VAE.load(source, { ...opts, batchSize: 2 });
         const img = new Float32Array(784).fill(0.5); // the caller's input: must survive the run too
         await vae.encode(img);
         if (img.length !== 784 || img[783] !== 0.5) throw new Error('encode emptied the caller input: length ' + img.length);
         const s = await vae.sample(4, { seed: 1 });
         await vae.dispose();
         return { from, data: Array.from(s.data) };
       } catch (e) {
         return { from, error: String(e) };
       }
     }
     window.__run = async () => {
       const [manifest, encoder, decoder] = await Promise.all(['model.json', 'encoder.onnx', 'decoder.onnx'].map(get));
       const lens = () => [manifest.byteLength, encoder.byteLength, decoder.byteLength];
       const sum = (a) => { try { return a.reduce((s, v) => s + v, 0); } catch (e) { return String(e); } };
       const before = lens();
       const loads = [];
       for (let i = 0; i < 2; i++) loads.push(await once('bytes', { manifest, encoder, decoder }));
       for (let i = 0; i < 2; i++) loads.push(await once('shipped', undefined));
       return { before, after: lens(), sums: [sum(encoder), sum(decoder)], loads };
     };
     window.__ready = true;`,
  );
  const r = spawnSync(process.execPath, [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
  expect(r.status, r.stderr).toBe(0);
  const server = await serveApp(join(dir, 'dist'));
  const browser = await launch({ webgpu: false });
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready, undefined, { timeout: 60_000 });
    const res = await page.evaluate(() => (window as unknown as { __run: () => Promise<Result> }).__run());
    const sdk: typeof Sdk = await loadNodeSdk();
    const node = await sdk.VAE.load(model.dir, { device: 'cpu' });
    const want = await node.sample(4, { seed: 1 });
    const enc = (await import('node:fs')).readFileSync(join(model.dir, 'encoder.onnx'));
    const dec = (await import('node:fs')).readFileSync(join(model.dir, 'decoder.onnx'));
    await node.dispose();
    expect(res.loads.map((l) => [l.from, l.error ?? 'ok'])).toEqual([
      ['bytes', 'ok'],
      ['bytes', 'ok'],
      ['shipped', 'ok'],
      ['shipped', 'ok'],
    ]);
    for (const l of res.loads) expect(maxAbsDiff(Float32Array.from(l.data!), want.data)).toBeLessThan(1e-4);
    // The caller's arrays: same lengths and contents as before the loads.
    expect(res.after).toEqual(res.before);
    expect(res.before.slice(1)).toEqual([enc.byteLength, dec.byteLength]);
    expect(res.sums).toEqual([enc.reduce((s, v) => s + v, 0), dec.reduce((s, v) => s + v, 0)]);
  } finally {
    await browser.close();
    await server.close();
  }
});
