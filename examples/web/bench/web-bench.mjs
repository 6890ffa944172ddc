#!/usr/bin/env node
// `pnpm bench:web`: size and speed budget of @vae/sdk in the browser.
//   1. the SDK's own JS as a browser bundle (minified, gzipped), onnxruntime-web
//      and its wasm excluded: budget 30 KB; plus the demo's main chunk as built;
//   2. the shipped model's size;
//   3. per device (wasm, webgpu; with and without the SDK's worker on wasm), the
//      built demo in Debian chromium over an emulated 10 Mbit/s, 40 ms link
//      (DevTools Network.emulateNetworkConditions), served gzipped: bytes
//      transferred (gzip, as the server sent them) and time from navigation to
//      the first rendered grid, cold (empty profile) and warm (second visit:
//      Cache Storage); decode throughput at batch 64; max |Δ| against Node.
//      WebGPU runs on SwiftShader here (a CPU), so its speed means nothing.
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
const RUNS = Number(process.env.BENCH_RUNS ?? 1);

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

// 3. In Chromium, per device.
const LINK = { offline: false, latency: 40, downloadThroughput: (10e6 / 8) | 0, uploadThroughput: (10e6 / 8) | 0 };
const served = [];
const server = await serveStatic(dist, 0, { gzip: true, onResponse: (r) => served.push(r) });
const html = readFileSync(join(APP, 'index.html'), 'utf8');
// Only devices the demo offers (webgl and dtypes come with the edge-models work; absent here).
const devices = ['wasm', 'webgpu', 'webgl'].filter((d) => html.includes(`<option value="${d}">`));
const configs = [...devices.map((device) => ({ device, worker: false })), { device: 'wasm', worker: true }];
const { VAE } = await import('@vae/sdk');
const nodeVae = await VAE.load(process.env.VAE_DEMO_MODEL_DIR ?? undefined, { device: 'cpu' });
const nodeRef = (await nodeVae.sample(16, { seed: 1 })).data;
await nodeVae.dispose();
const kinds = (list) => {
  const by = {};
  for (const r of list) {
    const k = /\.wasm$/.test(r.path) ? 'wasm' : /\.onnx$/.test(r.path) ? 'model' : /\.js$/.test(r.path) ? 'js' : 'other';
    by[k] = (by[k] ?? 0) + r.bytes;
  }
  return by;
};
const results = [];
let chromiumVersion = '';
for (const cfg of configs) {
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
    env: { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' },
  });
  chromiumVersion = context.browser()?.version() ?? chromiumVersion;
  const url = `${server.url}?device=${cfg.device}${cfg.worker ? '&worker=1' : ''}`;
  const visit = async () => {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', LINK);
    served.length = 0;
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.firstGrid || !document.getElementById('error').hidden, undefined, { timeout: 180_000 });
    const r = await page.evaluate(() => ({ t: Number(document.body.dataset.firstGrid), ep: window.__vae.vae?.info.executionProvider, err: document.getElementById('error').textContent }));
    if (r.ep !== cfg.device) throw new Error(`expected ${cfg.device}, page says ${r.ep}: ${r.err}`);
    const upToGrid = [...served];
    return { page, t: r.t, bytes: upToGrid.reduce((a, x) => a + x.bytes, 0), by: kinds(upToGrid) };
  };
  try {
    const cold = await visit();
    await cold.page.close();
    const warm = await visit();
    const perf = await warm.page.evaluate(async (runs) => {
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
      const s = await vae.sample(16, { seed: 1 });
      return { median: ms[ms.length >> 1], sample: Array.from(s.data), isolated: crossOriginIsolated, worker: vae.info.worker };
    }, Math.max(10, RUNS * 10));
    let diff = 0;
    for (let i = 0; i < nodeRef.length; i++) diff = Math.max(diff, Math.abs(perf.sample[i] - nodeRef[i]));
    results.push({ ...cfg, cold, warm, perf, diff });
    await warm.page.close();
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
await server.close();
rmSync(dist, { recursive: true, force: true });

const rows = [
  ['SDK JS in the browser bundle (min+gzip, all exports, no onnxruntime-web)', kb(sdkGz), `budget ${BUDGET_KB} KB: ${sdkGz <= BUDGET_KB * 1024 ? 'OK' : 'OVER'}`],
  ['demo entry chunk as built (demo + SDK, gzip)', kb(entryGz), entry.map((a) => a.f).join(', ')],
  ['onnxruntime-web JS (lazy chunk, gzip)', kb(ortGz), ortJs.map((a) => a.f).join(', ')],
  ['onnxruntime-web wasm (served by the app, gzip)', kb(wasmGz), `${(wasm.reduce((s, a) => s + a.size, 0) / 2 ** 20).toFixed(1)} MB raw`],
  [`${process.env.VAE_DEMO_MODEL_DIR ? 'model from VAE_DEMO_MODEL_DIR' : 'shipped model'} (model.json + encoder + decoder)`, kb(modelRaw), `${kb(modelGz)} gzip; "${manifest.name}", ${manifest.arch}, latent ${manifest.latent}`],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`\n@vae/sdk in the browser (Chromium ${chromiumVersion}, ${process.platform}/${process.arch})\n`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
const table = [
  ['device', 'worker', 'cold bytes (gzip)', 'of which wasm / model / js', 'cold first grid', 'warm bytes', 'warm first grid', 'decode b64', 'max |Δ| vs Node'],
  ...results.map((r) => [
    r.device,
    r.worker ? 'yes' : 'no',
    kb(r.cold.bytes),
    [r.cold.by.wasm ?? 0, r.cold.by.model ?? 0, r.cold.by.js ?? 0].map(kb).join(' / '),
    `${r.cold.t.toFixed(0)} ms`,
    `${kb(r.warm.bytes)} (wasm+model ${kb((r.warm.by.wasm ?? 0) + (r.warm.by.model ?? 0))})`,
    `${r.warm.t.toFixed(0)} ms`,
    `${((64 / r.perf.median) * 1000).toFixed(0)} img/s (${r.perf.median.toFixed(1)} ms)`,
    r.diff.toExponential(1),
  ]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
console.log(`\nfrom navigation to the first rendered grid (the demo loads mnist and mnist-cvae first), 10 Mbit/s down, 40 ms latency (DevTools), gzip; warm = second visit, same profile:\n`);
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
console.log(`\nwebgpu is SwiftShader (CPU) here: a correctness check, not a speed. webgl and dtype variants: ${devices.includes('webgl') ? 'measured above' : 'not in this build (the edge-models work adds them)'}; the demo loads fp32.`);
if (sdkGz > BUDGET_KB * 1024) {
  console.error(`\nSDK bundle ${kb(sdkGz)} is over the ${BUDGET_KB} KB budget`);
  process.exitCode = 1;
}
