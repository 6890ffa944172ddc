/**
 * The demo's worker switch: `?worker=1` starts with the SDK's worker, the page
 * says so, shows one bytes line covering the model files and the runtime's
 * wasm (from onProgress), draws the same grid as Node, and unticking the box
 * reloads on the main thread with the same grid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Sdk from '@vae/sdk';
import type { DemoModel } from './harness.js';
import { buildApp, chromiumMissing, demoModel, launch, loadNodeSdk, maxAbsDiff, serveApp } from './harness.js';

const skip = process.env.VAE_SKIP_BROWSER_TESTS === '1';
let out = '';
let server: { url: string; close: () => Promise<void> } | undefined;
let model: DemoModel;

type Hook = { vae: Sdk.VAE | null; state: { loading: boolean; busy: number; grid: Sdk.SampleResult | null } };

beforeAll(() => {
  if (skip) return;
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
});
afterAll(async () => {
  await server?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

it.skipIf(skip)('?worker=1 runs the demo in the SDK worker, shows the bytes of model and runtime, and the switch goes back to the main thread', async () => {
  model = await demoModel();
  out = mkdtempSync(join(tmpdir(), 'vae-demo-worker-'));
  server = await serveApp(buildApp(model.env, out));
  const browser = await launch({ webgpu: false });
  try {
    const p = await browser.context.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    const idle = () =>
      p.waitForFunction(
        () => {
          const h = (window as unknown as { __vae?: Hook }).__vae;
          return !!h?.vae && !h.state.loading && h.state.busy === 0 && !!document.body.dataset.firstGrid;
        },
        undefined,
        { timeout: 90_000, polling: 50 },
      );
    await p.goto(`${server.url}?device=wasm&worker=1`);
    await idle();
    const on = await p.evaluate(() => {
      const h = (window as unknown as { __vae: Hook }).__vae;
      return {
        worker: h.vae!.info.worker,
        checked: (document.getElementById('worker') as HTMLInputElement).checked,
        provider: document.getElementById('provider')!.textContent,
        bytes: document.getElementById('bytes')!.textContent,
        grid: Array.from(h.state.grid!.data),
      };
    });
    expect(on.worker).toBe(true);
    expect(on.checked).toBe(true);
    expect(on.provider).toBe('wasm · onnxruntime-web · worker');
    expect(on.bytes).toMatch(/^\d+ KiB read \(.*ort-wasm-simd-threaded\.wasm.*\) · \d+ ms$/);
    expect(on.bytes).toContain('decoder.onnx');
    await p.uncheck('#worker');
    await p.waitForFunction(() => (window as unknown as { __vae: Hook }).__vae.vae?.info.worker === false, undefined, { timeout: 90_000 });
    await idle();
    const off = await p.evaluate(() => {
      const h = (window as unknown as { __vae: Hook }).__vae;
      return { provider: document.getElementById('provider')!.textContent, grid: Array.from(h.state.grid!.data) };
    });
    expect(off.provider).toBe('wasm · onnxruntime-web');
    expect(errors).toEqual([]);
    const sdk: typeof Sdk = await loadNodeSdk();
    const node = await sdk.VAE.load(model.source, { device: 'cpu' });
    const want = (await node.sample(16, { seed: 1 })).data;
    await node.dispose();
    expect(maxAbsDiff(Float32Array.from(on.grid), want)).toBeLessThan(1e-4);
    expect(maxAbsDiff(Float32Array.from(off.grid), want)).toBeLessThan(1e-4);
  } finally {
    await browser.close();
  }
});
