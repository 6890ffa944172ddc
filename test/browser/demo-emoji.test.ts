/**
 * The demo's model picker: `?model=emoji` starts on the emoji model
 * (@vae/model-emoji, or a fresh-weights 3×16×16 colour fixture until the
 * trained model is built into that package), draws its samples in colour, on
 * wasm and on WebGPU (SwiftShader) the same as @vae/sdk in Node on cpu within
 * 1e-4, and picking "digits" goes back to the MNIST model.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as Sdk from '@vae/sdk';
import { buildApp, chromiumMissing, demoModel, launch, loadNodeSdk, maxAbsDiff, ROOT, serveApp } from './harness.js';

const skip = process.env.VAE_SKIP_BROWSER_TESTS === '1';
const TOL = 1e-4;
let out = '';
let server: { url: string; close: () => Promise<void> } | undefined;

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

it.skipIf(skip)('the model picker runs the emoji model in colour on wasm and webgpu as Node does, and switches back to digits', async () => {
  const digits = await demoModel();
  const built = join(ROOT, 'packages/model-emoji/models/emoji');
  const { fixtureModel } = await import('../../packages/sdk/test/fixtures.js');
  const emojiDir = existsSync(join(built, 'model.json')) ? built : fixtureModel({ arch: 'small', imageShape: [16, 16, 3], seed: 7 }).dir;
  out = mkdtempSync(join(tmpdir(), 'vae-demo-emoji-'));
  server = await serveApp(buildApp({ ...digits.env, ...(emojiDir === built ? {} : { VAE_DEMO_EMOJI_DIR: emojiDir }) }, out));
  const sdk: typeof Sdk = await loadNodeSdk();
  const node = await sdk.VAE.load(emojiDir, { device: 'cpu' });
  const want = await node.sample(16, { seed: 1 });
  const shape = node.info.imageShape;
  await node.dispose();
  const nodeDigits = await sdk.VAE.load(digits.source, { device: 'cpu' });
  const wantDigits = (await nodeDigits.sample(16, { seed: 1 })).data;
  await nodeDigits.dispose();
  const browser = await launch({ webgpu: true });
  try {
    for (const device of ['wasm', 'webgpu'] as const) {
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
          { timeout: 120_000, polling: 50 },
        );
      await p.goto(`${server.url}?device=${device}&model=emoji`);
      await idle();
      const got = await p.evaluate(() => {
        const h = (window as unknown as { __vae: Hook }).__vae;
        const canvas = document.getElementById('grid') as HTMLCanvasElement;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        // Whether any pixel has unequal channels: a grey rendering has none.
        let coloured = false;
        for (let i = 0; i < px.length && !coloured; i += 4) coloured = px[i] !== px[i + 1] || px[i + 1] !== px[i + 2];
        return {
          picked: (document.getElementById('model') as HTMLSelectElement).value,
          device: h.vae!.info.device,
          imageShape: h.vae!.info.imageShape,
          shape: h.state.grid!.shape,
          grid: Array.from(h.state.grid!.data),
          canvas: [canvas.width, canvas.height],
          coloured,
        };
      });
      expect(got.picked).toBe('emoji');
      expect(got.device).toBe(device);
      expect(got.imageShape).toEqual(shape);
      expect(got.shape).toEqual([16, ...shape]);
      expect(got.canvas).toEqual([4 * shape[2] + 5 * 2, 4 * shape[1] + 5 * 2]);
      expect(got.coloured).toBe(shape[0] === 3);
      const diff = maxAbsDiff(Float32Array.from(got.grid), want.data);
      console.log(`demo emoji model (${shape.join('×')}) on ${device}: max |browser − node cpu| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(TOL);
      if (device === 'wasm') {
        await p.selectOption('#model', 'digits');
        await p.waitForFunction(() => (window as unknown as { __vae: Hook }).__vae.vae?.info.imageShape.join() === '1,28,28', undefined, { timeout: 120_000 });
        await idle();
        const back = await p.evaluate(() => Array.from((window as unknown as { __vae: Hook }).__vae.state.grid!.data));
        expect(maxAbsDiff(Float32Array.from(back), wantDigits)).toBeLessThan(TOL);
      }
      expect(errors).toEqual([]);
      await p.close();
    }
  } finally {
    await browser.close();
  }
});
