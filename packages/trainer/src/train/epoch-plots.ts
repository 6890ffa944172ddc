/**
 * The PNGs written after every epoch: reconstructions beside originals, prior
 * samples, loss curves, and for 2-D latents the latent scatter and the decoded
 * manifold. All are rewritten atomically so a viewer never sees a torn file.
 */
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { EpochMetrics } from '@vae/format/checkpoint';
import { writeRunFile } from './write-run-file.js';
import { gather } from '../data/batcher.js';
import type { LabelledImages } from '../data/idx.js';
import type { VaeModel } from '../model/vae.js';
import { Rng, deriveSeed } from '../rng.js';
import { encodePng, imageGrid, latentScatter, lineChart, reconstructionGrid } from '../plots/index.js';

/** Inverse CDF of the standard normal (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

async function decodeMeans(model: VaeModel, z: Float32Array, n: number): Promise<Float32Array> {
  const out = tf.tidy(() => tf.sigmoid(model.decodeLogits(tf.tensor2d(z, [n, model.spec.config.latent]))));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/** Writes `reconstructions.png`, `samples.png`, `loss.png` (and `latent-scatter.png`, `manifold.png` for 2-D latents) into `dir/plots`. */
export async function writeEpochPlots(
  dir: string,
  model: VaeModel,
  test: LabelledImages,
  history: EpochMetrics[],
  epoch: number,
  seed: number,
): Promise<void> {
  const plots = join(dir, 'plots');
  await fs.mkdir(plots, { recursive: true });
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;

  const nRec = Math.min(16, test.count);
  const batch = gather(test, Uint32Array.from({ length: nRec }, (_, i) => i));
  const recon = tf.tidy(() => tf.sigmoid(model.decodeLogits(model.encode(tf.tensor4d(batch.x, [nRec, H, W, C])).mu)));
  const reconData = (await recon.data()) as Float32Array;
  recon.dispose();
  await writeRunFile(
    join(plots, 'reconstructions.png'),
    encodePng(reconstructionGrid(batch.x, reconData, nRec, H, W, { cols: 8, scale: 3, title: `Test reconstructions, epoch ${epoch}` })),
    'plot',
  );

  const nSamp = 64;
  const z = new Rng(deriveSeed(seed, 0x5a3b1e)).normals(nSamp * latent);
  const samples = await decodeMeans(model, z, nSamp);
  await writeRunFile(join(plots, 'samples.png'), encodePng(imageGrid(samples, nSamp, H, W, { cols: 8, scale: 3, title: `Prior samples, epoch ${epoch}` })), 'plot');

  const pts = (k: keyof EpochMetrics) => history.map((m) => [m.epoch, m[k] as number] as [number, number]);
  await writeRunFile(
    join(plots, 'loss.png'),
    encodePng(
      lineChart(
        [
          { name: 'train NELBO', color: [31, 119, 180], points: pts('trainLoss') },
          { name: 'test NELBO', color: [214, 39, 40], points: pts('testLoss') },
          { name: 'test recon', color: [44, 160, 44], points: pts('testRecon') },
          { name: 'test KL', color: [148, 103, 189], points: pts('testKL') },
        ],
        { title: 'Loss per image (nats)', xLabel: 'epoch', yLabel: 'nats' },
      ),
    ),
    'plot',
  );

  if (latent === 2) {
    const n = Math.min(5000, test.count);
    const all = gather(test, Uint32Array.from({ length: n }, (_, i) => i));
    const mu = tf.tidy(() => model.encode(tf.tensor4d(all.x, [n, H, W, C])).mu);
    const muData = (await mu.data()) as Float32Array;
    mu.dispose();
    await writeRunFile(join(plots, 'latent-scatter.png'), encodePng(latentScatter(muData, all.labels, { title: `Test set in latent space (mu), epoch ${epoch}` })), 'plot');
    const g = 20;
    const grid = new Float32Array(g * g * 2);
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) {
        // Rows run top to bottom from high z2 to low, like a plot's y axis.
        grid[(r * g + c) * 2] = normalQuantile((c + 0.5) / g);
        grid[(r * g + c) * 2 + 1] = normalQuantile(1 - (r + 0.5) / g);
      }
    }
    const manifold = await decodeMeans(model, grid, g * g);
    await writeRunFile(join(plots, 'manifold.png'), encodePng(imageGrid(manifold, g * g, H, W, { cols: g, scale: 1, title: `Decoded manifold, epoch ${epoch}` })), 'plot');
  }
}
