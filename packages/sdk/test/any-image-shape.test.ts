/**
 * Every method on models that are not 1×28×28: a 3×16×16 colour model, a
 * conditional colour model and a 1×20×12 grey one, all exported with fresh
 * weights by the real exporter. Outputs are checked against the model's own
 * building blocks (reconstruct = decode(encode().mu), ...) and shapes, and
 * every shape mismatch against the typed error and its message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../src/node.js';
import { VAE, VAEInputError, decodePng, encodePng, fromImageData, imagesFromPng, tile, toImageData } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

const MODELS = [
  { name: 'colour 3×16×16', imageShape: [16, 16, 3] as const, chw: [3, 16, 16] as const },
  { name: 'grey 1×20×12', imageShape: [20, 12, 1] as const, chw: [1, 20, 12] as const },
];

function images(n: number, [c, h, w]: readonly [number, number, number], seed: number): ImageBatch {
  const data = new Float32Array(n * c * h * w);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919 + seed * 104729) % 1000) / 999;
  return { data, shape: [n, c, h, w] };
}

for (const m of MODELS) {
  describe(`a ${m.name} model`, () => {
    let vae: VAE;
    const [C, H, W] = m.chw;
    beforeAll(async () => {
      vae = await VAE.load(fixtureModel({ arch: 'small', imageShape: [...m.imageShape] }).dir, { device: 'cpu' });
    });
    afterAll(() => vae.dispose());

    it('declares its [C, H, W] in info', () => {
      expect(vae.info.imageShape).toEqual([C, H, W]);
    });

    it('sample and decode return [N, C, H, W] in [0, 1]; sample is decode of its latents', async () => {
      const s = await vae.sample(3, { seed: 5 });
      expect(s.shape).toEqual([3, C, H, W]);
      expect(s.data.length).toBe(3 * C * H * W);
      expect(s.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      const d = await vae.decode(s.latents);
      expect(Array.from(d.data)).toEqual(Array.from(s.data));
    });

    it('encode takes [N, C, H, W] and reconstruct is decode of the encoded mean', async () => {
      const x = images(2, m.chw, 1);
      const { mu, logvar } = await vae.encode(x);
      expect(mu.shape).toEqual([2, vae.info.latent]);
      expect(logvar.shape).toEqual([2, vae.info.latent]);
      const r = await vae.reconstruct(x);
      expect(r.shape).toEqual([2, C, H, W]);
      expect(Array.from(r.data)).toEqual(Array.from((await vae.decode(mu)).data));
      // Flat bytes and rows of C·H·W values are the same images.
      const bytes = Uint8Array.from(x.data, (v) => Math.round(v * 255));
      expect((await vae.encode(bytes)).mu.shape).toEqual([2, vae.info.latent]);
      expect((await vae.encode([x.data.subarray(0, C * H * W)])).mu.shape).toEqual([1, vae.info.latent]);
    });

    it('interpolate between images and traverse a latent decode to [steps, C, H, W]', async () => {
      const [a, b] = [images(1, m.chw, 2), images(1, m.chw, 3)];
      const path = await vae.interpolate(a, b, { steps: 5, input: 'image' });
      expect(path.shape).toEqual([5, C, H, W]);
      const ends = await vae.reconstruct({ data: Float32Array.of(...a.data, ...b.data), shape: [2, C, H, W] });
      expect(Array.from(path.data.subarray(0, C * H * W))).toEqual(Array.from(ends.data.subarray(0, C * H * W)));
      expect(Array.from(path.data.subarray(4 * C * H * W))).toEqual(Array.from(ends.data.subarray(C * H * W)));
      const z = new Float32Array(vae.info.latent);
      const t = await vae.traverse(z, 0, [-1, 0, 1]);
      expect(t.shape).toEqual([3, C, H, W]);
      expect(Array.from(t.data.subarray(C * H * W, 2 * C * H * W))).toEqual(Array.from((await vae.decode(z)).data));
    });

    it('rejects an MNIST-shaped tensor with a VAEInputError naming both shapes', async () => {
      const mnist = { data: new Float32Array(784), shape: [1, 1, 28, 28] };
      const err = await vae.encode(mnist).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VAEInputError);
      expect((err as Error).message).toBe(`image tensor has shape [1,1,28,28]; expected [N,${C},${H},${W}]`);
      await expect(vae.reconstruct(mnist)).rejects.toThrow(VAEInputError);
      await expect(vae.interpolate(mnist, mnist, { input: 'image' })).rejects.toThrow(`expected [N,${C},${H},${W}]`);
    });

    it('rejects flat input whose length is not a multiple of C·H·W with a VAEInputError', async () => {
      const err = await vae.encode(new Float32Array(C * H * W + 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VAEInputError);
      expect((err as Error).message).toContain(`${C}×${H}×${W}`);
    });

    it('sample caps n by the model\'s own image size (one 1 GiB buffer of C·H·W floats)', async () => {
      const max = Math.floor(2 ** 28 / Math.max(C * H * W, vae.info.latent));
      const err = await vae.sample(max + 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VAEInputError);
      expect((err as Error).message).toContain(`${max}`);
      expect((err as Error).message).toContain(`images of ${C * H * W} float32 values`);
    });

    it('round-trips a sample through encodePng / imagesFromPng at the model shape to within 1/255', async () => {
      const s = await vae.sample(1, { seed: 9 });
      const png = encodePng(s);
      // IHDR colour type: 2 (RGB) for a colour model, 0 (grey) for a grey one.
      expect(png[25]).toBe(C === 3 ? 2 : 0);
      const back = imagesFromPng(png, { shape: vae.info.imageShape });
      expect(back.shape).toEqual([1, C, H, W]);
      for (let i = 0; i < back.data.length; i++) expect(back.data[i]).toBe(Math.fround(Math.round(s.data[i] * 255) / 255));
      expect((await vae.reconstruct(back)).shape).toEqual([1, C, H, W]);
    });

    it('toImageData gives RGBA at the model size, fromImageData with the shape takes it back', async () => {
      const s = await vae.sample(1, { seed: 2 });
      const id = toImageData(s);
      expect([id.width, id.height]).toEqual([W, H]);
      const plane = H * W;
      for (let k = 0; k < 3; k++) expect(id.data[k]).toBe(Math.round(s.data[(C === 3 ? k : 0) * plane] * 255));
      expect(id.data[3]).toBe(255);
      const back = fromImageData(id, { shape: vae.info.imageShape });
      expect(back.shape).toEqual([1, C, H, W]);
      expect(back.data[0]).toBeCloseTo(Math.round(s.data[0] * 255) / 255, 6);
    });
  });
}

describe('a conditional colour model', () => {
  let vae: VAE;
  beforeAll(async () => {
    vae = await VAE.load(fixtureModel({ arch: 'small', imageShape: [16, 16, 3], classes: 3 }).dir, { device: 'cpu' });
  });
  afterAll(() => vae.dispose());

  it('restyles one colour image as every class, [classes, 3, 16, 16]', async () => {
    const x = images(1, [3, 16, 16], 4);
    const r = await vae.restyle(x, { from: 0, to: 'all' });
    expect(r.shape).toEqual([3, 3, 16, 16]);
    const { mu } = await vae.encode(x, { label: 0 });
    const as2 = await vae.decode(mu, { label: 2 });
    expect(Array.from(r.data.subarray(2 * 768))).toEqual(Array.from(as2.data));
  });

  it('samples per label in colour and tiles them one row per class', async () => {
    const s = await vae.sample(6, { seed: 1, label: [0, 0, 1, 1, 2, 2] });
    expect(s.shape).toEqual([6, 3, 16, 16]);
    expect(tile(s, { cols: 2 }).shape).toEqual([1, 3, 3 * 16 + 4 * 2, 2 * 16 + 3 * 2]);
  });
});

describe('colour PNG output', () => {
  it('encodePng writes an RGB PNG whose decoded bytes are round(v·255) of each channel', () => {
    // 2×1 image: pixel 0 = (1, 0.5, 0), pixel 1 = (0, 0.2, 1); planar R, G, B.
    const batch: ImageBatch = { data: Float32Array.of(1, 0, 0.5, 0.2, 0, 1), shape: [1, 3, 1, 2] };
    const png = encodePng(batch);
    expect(png[25]).toBe(2);
    expect(Array.from(decodePng(png).data)).toEqual([255, 128, 0, 255, 0, 51, 255, 255]);
  });

  it('encodePng of a grey batch is still an 8-bit grey PNG', () => {
    const png = encodePng({ data: Float32Array.of(0, 1), shape: [1, 1, 1, 2] });
    expect([png[24], png[25]]).toEqual([8, 0]);
    expect(Array.from(decodePng(png).data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('encodePng and toImageData refuse 2- or 4-channel batches with a VAEInputError', () => {
    const four: ImageBatch = { data: new Float32Array(4), shape: [1, 4, 1, 1] };
    expect(() => encodePng(four)).toThrow(new VAEInputError('encodePng: images have 4 channels; expected 1 (grey) or 3 (RGB)'));
    expect(() => toImageData(four)).toThrow(new VAEInputError('toImageData: images have 4 channels; expected 1 (grey) or 3 (RGB)'));
  });
});
