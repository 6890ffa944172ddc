/**
 * `VAE.load(…, { worker: true })` in Chromium: the SDK starts its own module
 * worker (emitted by Vite from the literal `new Worker(new URL(…))` in the web
 * entry, no app config), the samples match Node's, typed errors come back as
 * the same classes, and sampling 1,000 digits leaves the page without a long
 * task over 50 ms, where the same run on the main thread blocks it (both
 * figures are printed).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Sdk from '@vae/sdk';
import { chromiumMissing, demoModel, launch, loadNodeSdk, maxAbsDiff } from './harness.js';
import type { TestPage } from './test-page.js';
import { buildTestPage } from './test-page.js';

const skip = process.env.VAE_SKIP_BROWSER_TESTS === '1';
const N = 1000;
let page: TestPage | undefined;
let model: Awaited<ReturnType<typeof demoModel>>;

const MAIN = `
import { VAE, VAEInputError, tile, toImageData } from '@vae/sdk';
window.__run = async ({ worker, n }) => {
  const vae = await VAE.load(undefined, { device: 'wasm', worker });
  await vae.sample(1, { seed: 0 }); // warm-up: the first run allocates; not what is measured
  const longTasks = [];
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(Math.round(e.duration)); });
  obs.observe({ type: 'longtask' });
  // A frame-driven page: something must be able to run on the main thread meanwhile.
  let frames = 0;
  let on = true;
  const tick = () => { frames++; if (on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const t0 = performance.now();
  const s = await vae.sample(n, { seed: 1 });
  const ms = performance.now() - t0;
  const ctx = document.getElementById('grid').getContext('2d');
  ctx.putImageData(toImageData(tile({ data: s.data.subarray(0, 100 * 784), shape: [100, 1, 28, 28] }, 10)), 0, 0);
  await new Promise((r) => setTimeout(r, 200)); // long-task entries arrive after the task
  on = false;
  obs.disconnect();
  let typed = null;
  try { await vae.sample(-1); } catch (e) { typed = { instance: e instanceof VAEInputError, name: e.name, message: e.message }; }
  const info = { worker: vae.info.worker, device: vae.info.device };
  await vae.dispose();
  return { info, ms, frames, longTasks, shape: s.shape, head: Array.from(s.data.subarray(0, 4 * 784)), typed };
};
window.__sampleOn = async ({ device, worker }) => {
  const vae = await VAE.load(undefined, { device, worker });
  const s = await vae.sample(16, { seed: 1 });
  const info = { worker: vae.info.worker, device: vae.info.device };
  await vae.dispose();
  return { info, data: Array.from(s.data) };
};
window.__ready = true;
`;

beforeAll(async () => {
  if (skip) return;
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  model = await demoModel();
  page = await buildTestPage(model, MAIN, 'vae-worker-page-');
});
afterAll(async () => {
  await page?.close();
});

interface Run {
  info: { worker: boolean; device: string };
  ms: number;
  frames: number;
  longTasks: number[];
  shape: number[];
  head: number[];
  typed: { instance: boolean; name: string; message: string } | null;
}

async function runIn(worker: boolean): Promise<Run> {
  const browser = await launch({ webgpu: false });
  try {
    const p = await browser.context.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(page!.url);
    await p.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready, undefined, { timeout: 60_000 });
    const r = await p.evaluate((a) => (window as unknown as { __run: (a: unknown) => Promise<Run> }).__run(a), { worker, n: N });
    expect(errors).toEqual([]);
    return r;
  } finally {
    await browser.close();
  }
}

it.skipIf(skip)(`with worker: true, ${N} samples leave no long task over 50 ms (and match Node); on the main thread they block the page`, async () => {
  const off = await runIn(false);
  const on = await runIn(true);
  const worst = (r: Run) => (r.longTasks.length ? Math.max(...r.longTasks) : 0);
  console.log(
    `${N} samples on wasm: main thread ${off.ms.toFixed(0)} ms, long tasks ${JSON.stringify(off.longTasks)} ms (worst ${worst(off)}); ` +
      `worker ${on.ms.toFixed(0)} ms, long tasks ${JSON.stringify(on.longTasks)} ms (worst ${worst(on)}); frames meanwhile ${off.frames} vs ${on.frames}`,
  );
  expect(off.info).toEqual({ worker: false, device: 'wasm' });
  expect(on.info).toEqual({ worker: true, device: 'wasm' });
  expect(on.shape).toEqual([N, 1, 28, 28]);
  // Without the worker the run is one long task on the main thread: the measurement can see what the worker removes.
  expect(worst(off)).toBeGreaterThan(50);
  expect(on.longTasks.filter((d) => d > 50)).toEqual([]);
  // A typed error from a worker-backed VAE is the same class, with the same message, as without.
  expect(on.typed).toEqual(off.typed);
  expect(on.typed?.instance).toBe(true);
  expect(on.typed?.name).toBe('VAEInputError');
  const sdk: typeof Sdk = await loadNodeSdk();
  const node = await sdk.VAE.load(model.dir, { device: 'cpu' });
  const want = (await node.sample(N, { seed: 1 })).data.subarray(0, 4 * 784);
  await node.dispose();
  expect(maxAbsDiff(Float32Array.from(on.head), want)).toBeLessThan(1e-4);
  expect(maxAbsDiff(Float32Array.from(off.head), want)).toBeLessThan(1e-4);
});

it.skipIf(skip)('webgpu runs in the worker too (SwiftShader) and matches Node', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const p = await browser.context.newPage();
    await p.goto(page!.url);
    await p.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready, undefined, { timeout: 60_000 });
    const r = await p.evaluate(
      (a) => (window as unknown as { __sampleOn: (a: unknown) => Promise<{ info: unknown; data: number[] }> }).__sampleOn(a),
      { device: 'webgpu', worker: true },
    );
    expect(r.info).toEqual({ worker: true, device: 'webgpu' });
    const sdk: typeof Sdk = await loadNodeSdk();
    const node = await sdk.VAE.load(model.dir, { device: 'cpu' });
    const want = (await node.sample(16, { seed: 1 })).data;
    await node.dispose();
    const d = maxAbsDiff(Float32Array.from(r.data), want);
    console.log(`webgpu in the worker vs Node cpu: max |Δ| ${d.toExponential(2)} over 16×784 pixels`);
    expect(d).toBeLessThan(1e-4);
  } finally {
    await browser.close();
  }
});
