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
import { conditionClasses } from '@vae/format';
import type { VaeModel } from '../model/vae.js';
import { oneHotLabels } from '../model/vae.js';
import { encodePseudoInputs } from '../model/vamp-prior.js';
import { Rng, deriveSeed } from '../rng.js';
import { imageGridPng, latentScatterSvg, lineChartSvg, reconstructionGridPng, svgToPng } from '../plots/index.js';

/** Standard-normal draws `eps` `[n, latent]` moved into the VampPrior's mixture, one uniformly drawn component per row. */
async function mixtureLatents(model: VaeModel, eps: Float32Array, n: number, rng: Rng): Promise<Float32Array> {
  const { mu, logvar } = encodePseudoInputs(model);
  const [m, lv] = [(await mu.data()) as Float32Array, (await logvar.data()) as Float32Array];
  tf.dispose([mu, logvar]);
  const [K, L] = mu.shape;
  const z = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    const k = Math.min(K - 1, Math.floor(rng.uniform() * K));
    for (let d = 0; d < L; d++) z[i * L + d] = m[k * L + d] + Math.exp(0.5 * lv[k * L + d]) * eps[i * L + d];
  }
  return z;
}

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

async function decodeMeans(model: VaeModel, z: Float32Array, n: number, labels?: ArrayLike<number>): Promise<Float32Array> {
  const classes = conditionClasses(model.spec);
  const out = tf.tidy(() => tf.sigmoid(model.decodeLogits(tf.tensor2d(z, [n, model.spec.config.latent]), labels ? oneHotLabels(labels, classes) : undefined)));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/**
 * Writes `reconstructions.png`, `loss.png`, and `samples.png` (unconditional)
 * or `class-grid.png` and `restyle.png` (conditional), plus `latent-scatter.png`
 * and, unconditional only, `manifold.png` for 2-D latents, into `dir/plots`.
 */
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
  const shape = model.spec.config.imageShape;
  const [H, W, C] = shape;
  const latent = model.spec.config.latent;

  const classes = conditionClasses(model.spec);
  const own = (labels: Uint8Array) => (classes ? oneHotLabels(labels, classes) : undefined);
  const nRec = Math.min(16, test.count);
  const batch = gather(test, Uint32Array.from({ length: nRec }, (_, i) => i));
  const recon = tf.tidy(() => {
    const y = own(batch.labels);
    return tf.sigmoid(model.decodeLogits(model.encode(tf.tensor4d(batch.x, [nRec, H, W, C]), y).mu, y));
  });
  const reconData = (await recon.data()) as Float32Array;
  recon.dispose();
  await writeRunFile(
    join(plots, 'reconstructions.png'),
    await reconstructionGridPng(batch.x, reconData, nRec, shape, { cols: 8, scale: 3, title: `Test reconstructions, epoch ${epoch}` }),
    'plot',
  );

  if (classes) {
    await writeClassPlots(plots, model, test, epoch, seed);
  } else {
    const nSamp = 64;
    const rng = new Rng(deriveSeed(seed, 0x5a3b1e));
    let z = rng.normals(nSamp * latent);
    // A VampPrior model's samples come from its mixture: component k uniform, then mu_k + sigma_k * eps.
    if (model.spec.config.prior) z = await mixtureLatents(model, z, nSamp, rng);
    const samples = await decodeMeans(model, z, nSamp);
    await writeRunFile(join(plots, 'samples.png'), await imageGridPng(samples, nSamp, shape, { cols: 8, scale: 3, title: `Prior samples, epoch ${epoch}` }), 'plot');
  }

  const pts = (k: keyof EpochMetrics) => history.map((m) => [m.epoch, m[k] as number] as [number, number]);
  await writeRunFile(
    join(plots, 'loss.png'),
    await svgToPng(
      lineChartSvg(
        [
          { name: 'train NELBO', color: [31, 119, 180], points: pts('trainLoss') },
          { name: 'test NELBO', color: [214, 39, 40], points: pts('testLoss') },
          { name: 'test recon', color: [44, 160, 44], points: pts('testRecon') },
          { name: 'test KL', color: [148, 103, 189], points: pts('testKL') },
        ],
        { title: 'Loss per image (nats)', xLabel: 'epoch', yLabel: 'nats' },
      ).svg,
    ),
    'plot',
  );

  if (latent === 2) {
    const n = Math.min(5000, test.count);
    const all = gather(test, Uint32Array.from({ length: n }, (_, i) => i));
    const mu = tf.tidy(() => model.encode(tf.tensor4d(all.x, [n, H, W, C]), own(all.labels)).mu);
    const muData = (await mu.data()) as Float32Array;
    mu.dispose();
    await writeRunFile(join(plots, 'latent-scatter.png'), await svgToPng(latentScatterSvg(muData, all.labels, { title: `Test set in latent space (mu), epoch ${epoch}` }).svg), 'plot');
    // A conditional decoder has one manifold per class; the class grid shows them instead.
    if (classes) return;
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
    await writeRunFile(join(plots, 'manifold.png'), await imageGridPng(manifold, g * g, shape, { cols: g, scale: 1, title: `Decoded manifold, epoch ${epoch}` }), 'plot');
  }
}

/** Columns of the class grid: prior samples per class. */
const CLASS_GRID_COLS = 10;
/** Test digits restyled into every class. */
const RESTYLE_ROWS = 8;

/**
 * The class grid's cells, row-major: one row per class, each of
 * {@link CLASS_GRID_COLS} prior samples decoded with that label. Every row uses
 * the same z, so a column shows one style in every class.
 */
export async function classGridImages(model: VaeModel, seed: number): Promise<{ images: Float32Array; rows: number; cols: number }> {
  const latent = model.spec.config.latent;
  const classes = conditionClasses(model.spec);
  const cols = CLASS_GRID_COLS;
  const z0 = new Rng(deriveSeed(seed, 0x5a3b1e)).normals(cols * latent);
  const z = new Float32Array(classes * cols * latent);
  const labels = new Uint8Array(classes * cols);
  for (let k = 0; k < classes; k++) {
    z.set(z0, k * cols * latent);
    labels.fill(k, k * cols, (k + 1) * cols);
  }
  return { images: await decodeMeans(model, z, classes * cols, labels), rows: classes, cols };
}

/**
 * The restyle grid's cells, row-major: each of the first test digits, then
 * its posterior mean (encoded with its own label) decoded with every label.
 */
export async function restyleImages(model: VaeModel, test: LabelledImages): Promise<{ images: Float32Array; rows: number; cols: number }> {
  const [H, W, C] = model.spec.config.imageShape;
  const latent = model.spec.config.latent;
  const classes = conditionClasses(model.spec);
  const rows = Math.min(RESTYLE_ROWS, test.count);
  const b = gather(test, Uint32Array.from({ length: rows }, (_, i) => i));
  const mu = tf.tidy(() => model.encode(tf.tensor4d(b.x, [rows, H, W, C]), oneHotLabels(b.labels, classes)).mu);
  const muData = (await mu.data()) as Float32Array;
  mu.dispose();
  const zs = new Float32Array(rows * classes * latent);
  const ys = new Uint8Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < classes; k++) {
      zs.set(muData.subarray(r * latent, (r + 1) * latent), (r * classes + k) * latent);
      ys[r * classes + k] = k;
    }
  }
  const styled = await decodeMeans(model, zs, rows * classes, ys);
  const px = H * W * C;
  const cells = new Float32Array(rows * (classes + 1) * px);
  for (let r = 0; r < rows; r++) {
    cells.set(b.x.subarray(r * px, (r + 1) * px), r * (classes + 1) * px);
    cells.set(styled.subarray(r * classes * px, (r + 1) * classes * px), (r * (classes + 1) + 1) * px);
  }
  return { images: cells, rows, cols: classes + 1 };
}

/** Writes `class-grid.png` ({@link classGridImages}) and `restyle.png` ({@link restyleImages}). */
async function writeClassPlots(plots: string, model: VaeModel, test: LabelledImages, epoch: number, seed: number): Promise<void> {
  const shape = model.spec.config.imageShape;
  const classes = conditionClasses(model.spec);
  const grid = await classGridImages(model, seed);
  await writeRunFile(
    join(plots, 'class-grid.png'),
    await imageGridPng(grid.images, grid.rows * grid.cols, shape, { cols: grid.cols, scale: 2, title: `Prior samples per class (rows 0..${classes - 1}), epoch ${epoch}` }),
    'plot',
  );
  const restyle = await restyleImages(model, test);
  await writeRunFile(
    join(plots, 'restyle.png'),
    await imageGridPng(restyle.images, restyle.rows * restyle.cols, shape, { cols: restyle.cols, scale: 2, title: `Test digit, then restyled as 0..${classes - 1}, epoch ${epoch}` }),
    'plot',
  );
}
