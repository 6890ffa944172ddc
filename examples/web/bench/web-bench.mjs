#!/usr/bin/env node
// `pnpm bench:web`: size and speed budget of @vae/sdk in the browser.
//   1. the SDK's own JS as a browser bundle (minified, gzipped), onnxruntime-web
//      and its wasm excluded: budget 30 KB; plus the demo's main chunk as built;
//   2. the shipped model's size;
//   3. navigation -> first rendered grid on wasm (the built demo, Debian chromium);
//   4. decode time per batch of 64 on wasm and on webgpu (SwiftShader here; the
//      absolute webgpu number only means something on a real GPU).
// Needs a built SDK with a model (`pnpm --filter @vae/sdk build`; or VAE_DEMO_MODEL_DIR=folder) and /usr/bin/chromium.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { serveStatic } from '../serve.mjs';
import { SDK_BUDGET_BYTES, sdkBrowserBundleSize } from './sdk-size.mjs';

const APP = fileURLToPath(new URL('..', import.meta.url));
// The model shipped in @vae/sdk, or VAE_DEMO_MODEL_DIR (see vite.config.ts) before one is trained.
const SDK_MODELS = process.env.VAE_DEMO_MODEL_DIR ?? join(APP, 'node_modules/@vae/sdk/models/mnist');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BUDGET_KB = SDK_BUDGET_BYTES / 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gz = (buf) => gzipSync(buf, { level: 9 }).length;

if (!existsSync(join(SDK_MODELS, 'model.json'))) {
  console.error(`no model in ${SDK_MODELS}: build the SDK with models/mnist present (npx -y pnpm@10.34.9 --filter @vae/sdk build), or set VAE_DEMO_MODEL_DIR to a model folder`);
  process.exit(1);
}

// 1a. The SDK alone, as a browser bundle (see sdk-size.mjs).
const { gzip: sdkGz } = await sdkBrowserBundleSize();

// 1b. The demo as built: its entry chunk (demo + SDK), and what is lazily loaded.
const dist = mkdtempSync(join(tmpdir(), 'vae-web-bench-'));
await build({ root: APP, logLevel: 'silent', build: { outDir: dist, emptyOutDir: true } });
const assets = readdirSync(join(dist, 'assets')).map((f) => ({ f, p: join(dist, 'assets', f), size: statSync(join(dist, 'assets', f)).size }));
const entry = assets.filter((a) => /^index-.*\.js$/.test(a.f));
const ortJs = assets.filter((a) => /^ort.*\.js$/.test(a.f));
const wasm = assets.filter((a) => a.f.endsWith('.wasm'));
const entryGz = entry.reduce((s, a) => s + gz(readFileSync(a.p)), 0);
const ortGz = ortJs.reduce((s, a) => s + gz(readFileSync(a.p)), 0);
const wasmGz = wasm.reduce((s, a) => s + gz(readFileSync(a.p)), 0);

// 2. The shipped model.
const manifest = JSON.parse(readFileSync(join(SDK_MODELS, 'model.json'), 'utf8'));
const modelFiles = ['model.json', manifest.graphs.encoder.file, manifest.graphs.decoder.file].map((f) => readFileSync(join(SDK_MODELS, f)));
const modelRaw = modelFiles.reduce((s, b) => s + b.length, 0);
const modelGz = modelFiles.reduce((s, b) => s + gz(b), 0);

// 3 + 4. In Chromium.
const server = await serveStatic(dist);
const profile = mkdtempSync(join(tmpdir(), 'vae-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  ignoreDefaultArgs: ['--headless'],
  args: [
    '--headless=new', '--no-sandbox',
    '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
  ],
  viewport: { width: 1280, height: 900 },
});
const results = {};
try {
  const firstGrid = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await context.newPage();
    await page.goto(`${server.url}?device=wasm`);
    await page.waitForFunction(() => document.body.dataset.firstGrid || !document.getElementById('error').hidden, undefined, { timeout: 60_000 });
    const r = await page.evaluate(() => ({ t: Number(document.body.dataset.firstGrid), ep: window.__vae.vae?.info.executionProvider, err: document.getElementById('error').textContent }));
    if (r.ep !== 'wasm') throw new Error(`expected wasm, page says ${r.ep}: ${r.err}`);
    firstGrid.push(r.t);
    await page.close();
  }
  results.firstGrid = firstGrid;

  const page = await context.newPage();
  for (const device of ['wasm', 'webgpu']) {
    await page.goto(`${server.url}?device=${device}`);
    await page.waitForFunction(() => document.body.dataset.firstGrid, undefined, { timeout: 60_000 });
    results[device] = await page.evaluate(async (runs) => {
      const { vae } = window.__vae;
      const z = new Float32Array(64 * vae.latent);
      for (let i = 0; i < z.length; i++) z[i] = Math.sin(i * 12.9898) * 1.5;
      for (let i = 0; i < 3; i++) await vae.decode(z); // warm-up (shader compile, allocations)
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await vae.decode(z);
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      return { ep: vae.info.executionProvider, median: ms[ms.length >> 1], min: ms[0], threads: crossOriginIsolated };
    }, Math.max(10, RUNS * 4));
    if (results[device].ep !== device) throw new Error(`${device}: page runs ${results[device].ep}`);
  }
  await page.close();
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(dist, { recursive: true, force: true });
}

const rows = [
  ['SDK JS in the browser bundle (min+gzip, all exports, no onnxruntime-web)', kb(sdkGz), `budget ${BUDGET_KB} KB: ${sdkGz <= BUDGET_KB * 1024 ? 'OK' : 'OVER'}`],
  ['demo entry chunk as built (demo + SDK, gzip)', kb(entryGz), entry.map((a) => a.f).join(', ')],
  ['onnxruntime-web JS (lazy chunk, gzip)', kb(ortGz), ortJs.map((a) => a.f).join(', ')],
  ['onnxruntime-web wasm (served by the app, gzip)', kb(wasmGz), `${(wasm.reduce((s, a) => s + a.size, 0) / 2 ** 20).toFixed(1)} MB raw`],
  [`${process.env.VAE_DEMO_MODEL_DIR ? 'model from VAE_DEMO_MODEL_DIR' : 'shipped model'} (model.json + encoder + decoder)`, kb(modelRaw), `${kb(modelGz)} gzip; "${manifest.name}", ${manifest.arch}, latent ${manifest.latent}`],
  ['navigation -> first rendered grid, wasm', `${median(results.firstGrid).toFixed(0)} ms`, `median of ${RUNS}: ${results.firstGrid.map((t) => t.toFixed(0)).join(', ')} ms`],
  ['decode, batch of 64, wasm', `${results.wasm.median.toFixed(2)} ms`, `min ${results.wasm.min.toFixed(2)} ms${results.wasm.threads ? ', cross-origin isolated' : ''}`],
  ['decode, batch of 64, webgpu (SwiftShader)', `${results.webgpu.median.toFixed(2)} ms`, `min ${results.webgpu.min.toFixed(2)} ms; CPU-emulated GPU, only meaningful on real hardware`],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`\n@vae/sdk in the browser (Chromium ${context.browser()?.version() ?? ''}, ${process.platform}/${process.arch})\n`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
if (sdkGz > BUDGET_KB * 1024) {
  console.error(`\nSDK bundle ${kb(sdkGz)} is over the ${BUDGET_KB} KB budget`);
  process.exitCode = 1;
}
