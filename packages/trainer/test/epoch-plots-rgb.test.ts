import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import type { EpochMetrics } from '@vae/format/checkpoint';
import type { ImageShape } from '@vae/format';
import { createVaeModel } from '../src/model/vae.js';
import { selectBackend } from '../src/backend/select-backend.js';
import { writeEpochPlots } from '../src/train/epoch-plots.js';
import type { LabelledImages } from '../src/data/idx.js';
import { imageGridLayout, reconstructionGridLayout } from '../src/plots/index.js';

const SHAPE: ImageShape = [8, 8, 3];
const N = 6;
// Image i, pixel (y, x): R = 40 i, G = 30 x, B = 30 y; bytes, as an image folder's cache holds them.
const byte = (i: number, y: number, x: number, k: number) => [40 * i, 30 * x, 30 * y][k];
const test: LabelledImages = {
  count: N,
  height: 8,
  width: 8,
  channels: 3,
  images: Uint8Array.from({ length: N * 8 * 8 * 3 }, (_, p) => byte(Math.floor(p / 192), Math.floor(p / 24) % 8, Math.floor(p / 3) % 8, p % 3)),
  labels: Uint8Array.from({ length: N }, (_, i) => i % 2),
};
const history: EpochMetrics[] = [{ epoch: 1, trainLoss: 130, trainRecon: 120, trainKL: 10, testLoss: 131, testRecon: 121, testKL: 10, imagesPerSec: 1, seconds: 1, backend: 'cpu' }];

async function decode(path: string) {
  const { data, info } = await sharp(readFileSync(path)).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
  let coloured = 0;
  for (let p = 0; p < data.length; p += info.channels) if (data[p] !== data[p + 1] || data[p + 1] !== data[p + 2]) coloured++;
  return { width: info.width, height: info.height, px, coloured };
}

describe('per-epoch plots of an RGB model', () => {
  it('writes the unconditional set in colour, originals pixel for pixel', async () => {
    await selectBackend('cpu');
    const model = createVaeModel(buildArchSpec({ arch: 'mlp', channels: [16], latent: 2, imageShape: SHAPE }), 4);
    const dir = mkdtempSync(join(tmpdir(), 'vae-rgb-plots-'));
    await writeEpochPlots(dir, model, test, history, 1, 7);
    expect(readdirSync(join(dir, 'plots')).sort()).toEqual(['latent-scatter.png', 'loss.png', 'manifold.png', 'reconstructions.png', 'samples.png']);

    const recon = await decode(join(dir, 'plots', 'reconstructions.png'));
    const l = reconstructionGridLayout(N, SHAPE, { cols: 8, scale: 3, title: 'Test reconstructions, epoch 1' });
    expect([recon.width, recon.height]).toEqual([l.width, l.height]);
    // Original 5 at scale 3: its pixel (x=6, y=2) is (200, 180, 60).
    const [x5, y5] = l.origin(5);
    expect(recon.px(x5 + 6 * 3 + 1, y5 + 2 * 3 + 1)).toEqual([200, 180, 60]);

    // A random decoder's sigmoid outputs differ per channel: the samples are in colour.
    const samples = await decode(join(dir, 'plots', 'samples.png'));
    const s = imageGridLayout(64, SHAPE, { cols: 8, scale: 3, title: 'Prior samples, epoch 1' });
    expect([samples.width, samples.height]).toEqual([s.width, s.height]);
    expect(samples.coloured).toBeGreaterThan(64 * 24 * 24 * 0.9);
    const manifold = await decode(join(dir, 'plots', 'manifold.png'));
    expect(manifold.coloured).toBeGreaterThan(400 * 8 * 8 * 0.9);
  });

  it('writes the class grid and the restyle grid in colour for a conditional RGB model', async () => {
    await selectBackend('cpu');
    const model = createVaeModel(buildArchSpec({ arch: 'mlp', channels: [16], latent: 3, imageShape: SHAPE, classes: 2 }), 4);
    const dir = mkdtempSync(join(tmpdir(), 'vae-rgb-plots-'));
    await writeEpochPlots(dir, model, test, history, 1, 7);
    expect(readdirSync(join(dir, 'plots')).sort()).toEqual(['class-grid.png', 'loss.png', 'reconstructions.png', 'restyle.png']);
    const grid = await decode(join(dir, 'plots', 'class-grid.png'));
    expect(grid.coloured).toBeGreaterThan(20 * 16 * 16 * 0.9);
    // Restyle: row r starts with test image r, then it restyled as class 0 and 1.
    const restyle = await decode(join(dir, 'plots', 'restyle.png'));
    const l = imageGridLayout(N * 3, SHAPE, { cols: 3, scale: 2, title: 'Test digit, then restyled as 0..1, epoch 1' });
    const [x, y] = l.origin(3 * 3); // row 3, column 0: test image 3
    expect(restyle.px(x + 2 * 7, y + 2 * 4)).toEqual([120, 210, 120]);
  });
});
