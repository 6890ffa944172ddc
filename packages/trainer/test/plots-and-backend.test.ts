import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { train } from '../src/train/train.js';
import { selectBackend } from '../src/backend/select-backend.js';

describe('per-epoch plots', () => {
  it('writes reconstructions, samples, loss curves, and for a 2-D latent the scatter and manifold, as PNGs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-plots-'));
    await train({ out, arch: 'mlp', latent: 2, epochs: 1, trainLimit: 256, testLimit: 300, batch: 64, backend: 'cpu', log: () => {}, progress: null });
    const sizes: Record<string, [number, number]> = {};
    for (const f of ['reconstructions', 'samples', 'loss', 'latent-scatter', 'manifold']) {
      const png = PNG.sync.read(readFileSync(join(out, 'plots', `${f}.png`)));
      sizes[f] = [png.width, png.height];
      // Not a blank canvas: the image has more than one colour.
      const first = png.data.readUInt32BE(0);
      let differs = false;
      for (let i = 4; i < png.data.length && !differs; i += 4) differs = png.data.readUInt32BE(i) !== first;
      expect(differs, `${f}.png is a flat image`).toBe(true);
    }
    // 20x20 manifold of 28x28 digits.
    expect(sizes.manifold[0]).toBeGreaterThanOrEqual(20 * 28);
  });
});

describe('backend selection', () => {
  it('auto falls back to the project CPU kernels here and says in one line why the others were not used', async () => {
    delete process.env.VK_ICD_FILENAMES;
    const choice = await selectBackend('auto');
    expect(choice.name).toBe('cpu');
    expect(choice.skipped.tensorflow).toMatch(/@tensorflow\/tfjs-node(-gpu)? not installed/);
    expect(choice.skipped.webgpu).toBeTruthy();
    expect(choice.summary).toMatch(/^backend: cpu \(project CPU kernels, \d+ threads? \(WebAssembly SIMD( with FMA)?\)\) — not used: /);
    expect(choice.summary.split('\n')).toHaveLength(1);
  });

  it('rejects an unknown backend with the list of valid ones', async () => {
    await expect(selectBackend('tpu' as never)).rejects.toThrow(/unknown backend "tpu"; expected one of auto, tensorflow, webgpu, cpu/);
  });

  it('names the missing package when tensorflow is requested explicitly', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node not installed.*Install @tensorflow\/tfjs-node/);
  });
});
