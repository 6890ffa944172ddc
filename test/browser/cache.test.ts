/**
 * Cache Storage in Chromium. Visit 1 (worker: true) downloads the graphs and
 * the runtime's wasm, reports the wasm in onProgress beside the graphs, and
 * leaves them in `vae-sdk-v1` keyed by sha256 and by onnxruntime-web's version
 * + file name. Visit 2, a new page whose server refuses every model and
 * runtime file (the network has none of them), renders a grid from the cache
 * alone, on the main thread and in the worker. Visit 3: corrupt entries are
 * dropped and fetched again. `cache: false` downloads and stores nothing.
 *
 * The app's own HTML and JS are the app's to cache (a service worker); the
 * server keeps serving those, and refuses only what the SDK downloads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServedResponse } from '../../examples/web/serve.mjs';
import { chromiumMissing, demoModel, launch } from './harness.js';
import type { TestPage } from './test-page.js';
import { buildTestPage } from './test-page.js';

const skip = process.env.VAE_SKIP_BROWSER_TESTS === '1';
const SDK_FILES = /\.(wasm|onnx)$|model\.json$/;
const state = { refuse: false, refuseWasm: false, log: [] as ServedResponse[] };
let page: TestPage | undefined;
let model: Awaited<ReturnType<typeof demoModel>>;

const MAIN = `
import { VAE, tile, toImageData } from '@vae/sdk';
const keys = async () => (await (await caches.open('vae-sdk-v1')).keys()).map((r) => r.url).sort();
window.__keys = keys;
window.__corrupt = async (part) => {
  const c = await caches.open('vae-sdk-v1');
  for (const req of await c.keys()) {
    if (!req.url.includes(part)) continue;
    const res = await c.match(req);
    const bytes = new Uint8Array(await res.arrayBuffer());
    bytes[bytes.length >> 1] ^= 0xff; // one flipped byte: same size, same headers, wrong sha256
    await c.put(req, new Response(bytes, { headers: res.headers }));
  }
};
window.__run = async ({ worker, cache }) => {
  const progress = {};
  const vae = await VAE.load(undefined, { device: 'wasm', worker, cache, onProgress: (p) => { progress[p.file] = [p.loaded, p.total]; } });
  const s = await vae.sample(64, { seed: 1 });
  document.getElementById('grid').getContext('2d').putImageData(toImageData(tile(s, 8)), 0, 0);
  const head = Array.from(s.data.subarray(0, 784));
  await vae.dispose();
  return { progress, keys: await keys(), head };
};
window.__tryLoad = async ({ worker }) => {
  try {
    await VAE.load(undefined, { device: 'wasm', worker });
    return null;
  } catch (e) {
    return { name: e.name, message: e.message };
  }
};
window.__ready = true;
`;

/** Vite's default `build.assetsInlineLimit`: smaller assets become data: URLs. */
const VITE_INLINE_LIMIT = 4096;

beforeAll(async () => {
  if (skip) return;
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  model = await demoModel();
  page = await buildTestPage(model, MAIN, 'vae-cache-page-', {
    refuse: (p) => (state.refuse && SDK_FILES.test(p)) || (state.refuseWasm && p.endsWith('.wasm')),
    onResponse: (r) => state.log.push(r),
  });
});
afterAll(async () => {
  await page?.close();
});

interface Run {
  progress: Record<string, [number, number | undefined]>;
  keys: string[];
  head: number[];
}

const manifest = () => JSON.parse(readFileSync(join(model.dir, 'model.json'), 'utf8')) as { graphs: Record<'encoder' | 'decoder', { file: string; bytes: number; sha256: string }> };
const sdkHits = () => state.log.filter((r) => SDK_FILES.test(r.path)).map((r) => `${r.status} ${r.path.replace(/^.*\//, '').replace(/-[\w-]{8}\./, '.')}`).sort();

it.skipIf(skip)('a second visit renders from Cache Storage with the network refusing every model and runtime file; corrupt entries are refetched', async () => {
  const m = manifest();
  const wasmSize = readFileSync(join(page!.dist, '..', 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm')).byteLength;
  const browser = await launch({ webgpu: false });
  try {
    const visit = async (args: { worker: boolean; cache?: boolean }) => {
      const p = await browser.context.newPage();
      await p.goto(page!.url);
      await p.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready, undefined, { timeout: 60_000 });
      const r = await p.evaluate((a) => (window as unknown as { __run: (a: unknown) => Promise<Run> }).__run(a), args);
      return { r, p };
    };
    const wantKeys = [
      `https://vae-sdk.cache/graph/${m.graphs.decoder.sha256}`,
      `https://vae-sdk.cache/graph/${m.graphs.encoder.sha256}`,
      'https://vae-sdk.cache/onnxruntime-web@1.30.0/ort-wasm-simd-threaded.wasm',
    ].sort();

    const manifestBytes = readFileSync(join(model.dir, 'model.json')).byteLength;
    // Visit 1: everything from the network, the runtime's wasm reported like the graphs, and all of it cached.
    state.log = [];
    const first = await visit({ worker: true });
    expect(sdkHits()).toEqual(['200 decoder.onnx', '200 encoder.onnx', '200 ort-wasm-simd-threaded.wasm']);
    expect(first.r.progress).toEqual({
      // Vite inlines a model.json under its 4 KiB assetsInlineLimit as a data: URL (read and reported
      // with no total); a larger one (mnist's lists its dtype variants) is an asset with a Content-Length.
      'model.json': [manifestBytes, manifestBytes < VITE_INLINE_LIMIT ? undefined : manifestBytes],
      [m.graphs.encoder.file]: [m.graphs.encoder.bytes, m.graphs.encoder.bytes],
      [m.graphs.decoder.file]: [m.graphs.decoder.bytes, m.graphs.decoder.bytes],
      'ort-wasm-simd-threaded.wasm': [wasmSize, wasmSize],
    });
    // A model.json served as an asset is cached too (network first, the cached copy when offline), under its URL.
    const isManifest = (k: string) => k.startsWith('https://vae-sdk.cache/manifest/');
    expect(first.r.keys.filter((k: string) => !isManifest(k))).toEqual(wantKeys);
    expect(first.r.keys.filter(isManifest).length).toBe(manifestBytes < VITE_INLINE_LIMIT ? 0 : 1);
    await first.p.close();

    // Visit 2: the network has none of the SDK's files; main thread and worker both load from the cache.
    state.refuse = true;
    state.log = [];
    for (const worker of [false, true]) {
      const v = await visit({ worker });
      expect(v.r.head).toEqual(first.r.head);
      await v.p.close();
    }
    expect(sdkHits()).toEqual([]);

    // Visit 3: one flipped byte in the decoder's and the wasm's entries: dropped, fetched again, cached again.
    state.refuse = false;
    const p3 = await browser.context.newPage();
    await p3.goto(page!.url);
    await p3.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready);
    for (const part of [m.graphs.decoder.sha256, 'ort-wasm-simd-threaded.wasm']) {
      await p3.evaluate((x) => (window as unknown as { __corrupt: (s: string) => Promise<void> }).__corrupt(x), part);
    }
    await p3.close();
    state.log = [];
    const third = await visit({ worker: false });
    expect(sdkHits()).toEqual(['200 decoder.onnx', '200 ort-wasm-simd-threaded.wasm']);
    expect(third.r.head).toEqual(first.r.head);
    expect(third.r.keys.filter((k: string) => !isManifest(k))).toEqual(wantKeys);
    await third.p.close();
    // …and the repaired entries serve the next offline visit.
    state.refuse = true;
    state.log = [];
    const fourth = await visit({ worker: false });
    expect(fourth.r.head).toEqual(first.r.head);
    expect(sdkHits()).toEqual([]);
  } finally {
    await browser.close();
  }
});

it.skipIf(skip)('cache: false downloads every file and stores nothing', async () => {
  state.refuse = false;
  state.log = [];
  const browser = await launch({ webgpu: false });
  try {
    const p = await browser.context.newPage();
    await p.goto(page!.url);
    await p.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready, undefined, { timeout: 60_000 });
    const r = await p.evaluate(() => (window as unknown as { __run: (a: unknown) => Promise<Run> }).__run({ worker: false, cache: false }));
    expect(sdkHits()).toEqual(['200 decoder.onnx', '200 encoder.onnx', '200 ort-wasm-simd-threaded.wasm']);
    expect(r.keys).toEqual([]);
  } finally {
    await browser.close();
  }
});

it.skipIf(skip)("a first visit that cannot download the runtime's wasm fails with a VAESourceError naming it, on the page and in the worker", async () => {
  state.refuse = false;
  state.refuseWasm = true;
  const browser = await launch({ webgpu: false });
  try {
    for (const worker of [false, true]) {
      const p = await browser.context.newPage();
      await p.goto(page!.url);
      await p.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready, undefined, { timeout: 60_000 });
      const err = await p.evaluate((a) => (window as unknown as { __tryLoad: (a: unknown) => Promise<{ name: string; message: string } | null> }).__tryLoad(a), { worker });
      expect(err?.name).toBe('VAESourceError');
      expect(err?.message).toMatch(/^onnxruntime-web could not start: GET \S+\/assets\/ort-wasm-simd-threaded-[\w-]+\.wasm returned HTTP 503; expected 200 with onnxruntime-web's wasm$/);
      await p.close();
    }
  } finally {
    state.refuseWasm = false;
    await browser.close();
  }
});
