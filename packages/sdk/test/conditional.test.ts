/**
 * The conditional API on random-weight conditional fixtures: labels fed to
 * both graphs, labels drawn from the seeded generator, restyle, the label
 * interpolated with the latent, and every bad label a VAEInputError naming
 * the expected value.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Ort from 'onnxruntime-node';
import { gaussianLatents, VAE, VAEInputError, Xoshiro128 } from '../src/node.js';
import { fixtureModel, rng } from './fixtures.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
const K = 10;
const cfx = fixtureModel({ classes: K });
const ufx = fixtureModel();
let cvae: VAE;
let plain: VAE;

beforeAll(async () => {
  [cvae, plain] = await Promise.all([VAE.load(cfx.dir, { device: 'cpu', threads: 1 }), VAE.load(ufx.dir, { device: 'cpu', threads: 1 })]);
});
afterAll(async () => {
  await Promise.all([cvae.dispose(), plain.dispose()]);
});

function images(n: number, seed = 3): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * 784 }, () => r());
}

/** The decoder run straight through ONNX Runtime with any `y` rows, soft ones included: the reference. */
async function decodeRaw(z: Float32Array, y: Float32Array, n: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(cfx.decoder, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = await s.run({ z: new ort.Tensor('float32', z, [n, cvae.latent]), y: new ort.Tensor('float32', y, [n, K]) }, ['x']);
    return out.x.data as Float32Array;
  } finally {
    await s.release();
  }
}

const row = (a: Float32Array, i: number, size: number) => a.subarray(i * size, (i + 1) * size);
const expectInputError = async (p: Promise<unknown>, message: RegExp) => {
  const e = await p.then(
    () => undefined,
    (err) => err,
  );
  expect(e).toBeInstanceOf(VAEInputError);
  expect(e.message).toMatch(message);
};

describe('info.condition', () => {
  it('reports the classes and their names on a conditional model, undefined on an unconditional one', () => {
    expect(cvae.info.condition).toEqual({ classes: 10, names: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(Object.isFrozen(cvae.info.condition?.names)).toBe(true);
    expect(plain.info.condition).toBeUndefined();
  });
});

describe('sample with a label', () => {
  it('the same seed and label give bit-identical images, and the latents do not depend on the label', async () => {
    const a = await cvae.sample(6, { seed: 11, label: 7 });
    const b = await cvae.sample(6, { seed: 11, label: 7 });
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(a.labels).toEqual([7, 7, 7, 7, 7, 7]);
    const c = await cvae.sample(6, { seed: 11, label: 2 });
    expect(c.latents.data).toEqual(a.latents.data);
    expect(a.latents.data).toEqual(gaussianLatents(6, cvae.latent, { seed: 11 }));
    expect(c.data).not.toEqual(a.data);
  });

  it('decodes each sample with its one-hot label (checked against ONNX Runtime fed y by hand)', async () => {
    const labels = [0, 9, 3, 3, 5];
    const s = await cvae.sample(5, { seed: 4, label: labels, temperature: 0.5 });
    const y = new Float32Array(5 * K);
    labels.forEach((l, i) => (y[i * K + l] = 1));
    expect(s.data).toEqual(await decodeRaw(s.latents.data, y, 5));
    expect(s.labels).toEqual(labels);
  });
});

describe('sample without a label on a conditional model', () => {
  /** The documented draw, by hand: latents first, then one uint32 per label after the words the Gaussians used. */
  function labelsByHand(seed: number, n: number, latent: number): number[] {
    const g = new Xoshiro128(seed);
    for (let i = 0; i < 2 * Math.ceil((n * latent) / 2); i++) g.nextUint32();
    return Array.from({ length: n }, () => Math.floor((g.nextUint32() * K) / 2 ** 32));
  }

  it('draws one label per sample from the seeded generator, after the latents, as documented', async () => {
    const s = await cvae.sample(40, { seed: 123 });
    expect(s.labels).toEqual(labelsByHand(123, 40, cvae.latent));
    expect(new Set(s.labels).size).toBeGreaterThan(5);
    expect(s.latents.data).toEqual(gaussianLatents(40, cvae.latent, { seed: 123 }));
    const again = await cvae.sample(40, { seed: 123 });
    expect(Buffer.from(again.data.buffer).equals(Buffer.from(s.data.buffer))).toBe(true);
    expect(s.data).toEqual((await cvae.decode(s.latents, { label: s.labels })).data);
  });

  it('after an odd n·latent, draws labels after the whole last pair of words the Gaussians used', async () => {
    const odd = fixtureModel({ classes: K, latent: 3, arch: 'mlp' });
    const v = await VAE.load(odd.dir, { device: 'cpu', threads: 1 });
    try {
      const s = await v.sample(5, { seed: 9 });
      expect(s.labels).toEqual(labelsByHand(9, 5, 3));
    } finally {
      await v.dispose();
    }
  });

  it('an unconditional model returns no labels', async () => {
    expect((await plain.sample(2, { seed: 1 })).labels).toBeUndefined();
  });
});

describe('encode, decode and reconstruct take the label', () => {
  it('encode feeds the label to the encoder: other labels give other posteriors, one label matches an array of it', async () => {
    const x = images(3);
    const a = await cvae.encode(x, { label: 1 });
    const b = await cvae.encode(x, { label: 8 });
    expect(a.mu.data).not.toEqual(b.mu.data);
    expect((await cvae.encode(x, { label: [1, 1, 1] })).mu.data).toEqual(a.mu.data);
    const mixed = await cvae.encode(x, { label: [1, 8, 1] });
    expect(row(mixed.mu.data, 1, cvae.latent)).toEqual(row(b.mu.data, 1, cvae.latent));
  });

  it('reconstruct encodes and decodes with the label', async () => {
    const x = images(2);
    const r = await cvae.reconstruct(x, { label: [4, 6] });
    const { mu } = await cvae.encode(x, { label: [4, 6] });
    expect(r.latents.data).toEqual(mu.data);
    expect(r.data).toEqual((await cvae.decode(mu, { label: [4, 6] })).data);
  });

  it('batches split by batchSize carry their rows of y', async () => {
    const small = await VAE.load(cfx.dir, { device: 'cpu', threads: 1, batchSize: 2 });
    try {
      const labels = [0, 1, 2, 3, 4];
      const z = gaussianLatents(5, cvae.latent, { seed: 2 });
      expect((await small.decode(z, { label: labels })).data).toEqual((await cvae.decode(z, { label: labels })).data);
      const x = images(5);
      expect((await small.encode(x, { label: labels })).mu.data).toEqual((await cvae.encode(x, { label: labels })).mu.data);
    } finally {
      await small.dispose();
    }
  });

  it('traverse and manifold take the label too', async () => {
    const z = new Float32Array(cvae.latent);
    const t = await cvae.traverse(z, 0, [-1, 1], { label: 5 });
    expect(t.data).toEqual((await cvae.decode(t.latents, { label: 5 })).data);
    const m = await cvae.manifold(2, { label: 2 });
    expect(m.data).toEqual((await cvae.decode(m.latents, { label: 2 })).data);
  });
});

describe('restyle', () => {
  it("to: 'all' decodes every image as every class, image-major (output i·K + k is image i as class k)", async () => {
    const x = images(2);
    const r = await cvae.restyle(x, { from: [3, 5], to: 'all' });
    expect(r.shape).toEqual([2 * K, 1, 28, 28]);
    expect(r.labels).toEqual([...Array(2)].flatMap(() => [...Array(K).keys()]));
    const { mu } = await cvae.encode(x, { label: [3, 5] });
    for (const i of [0, 1]) {
      const zi = row(mu.data, i, cvae.latent);
      const all = await cvae.decode(Array.from({ length: K }, () => Array.from(zi)), { label: [...Array(K).keys()] });
      expect(r.data.subarray(i * K * 784, (i + 1) * K * 784)).toEqual(all.data);
      expect(row(r.latents.data, i * K + 7, cvae.latent)).toEqual(zi);
    }
  });

  it('to: one class decodes every image as that class', async () => {
    const x = images(2);
    const r = await cvae.restyle(x, { from: 3, to: 8 });
    const { mu } = await cvae.encode(x, { label: 3 });
    expect(r.shape).toEqual([2, 1, 28, 28]);
    expect(r.labels).toEqual([8, 8]);
    expect(r.data).toEqual((await cvae.decode(mu, { label: 8 })).data);
  });

  it('is a VAEInputError on an unconditional model, or without from, or with a bad to', async () => {
    await expectInputError(plain.restyle(images(1), { from: 0, to: 1 }), /vae\.restyle: this model is unconditional.*expected a conditional model \(e\.g\. VAE\.load\("mnist-cvae"\)\)/);
    await expectInputError(cvae.restyle(images(1), { to: 'all' } as never), /vae\.restyle: this model is conditional on 10 classes, so from is required; expected \{ from: an integer class index in \[0, 9\]/);
    await expectInputError(cvae.restyle(images(1), { from: 1, to: 10 }), /vae\.restyle: to must be an integer class index in \[0, 9\] \(0 = "0", …, 9 = "9"\) or an array of 1 of them, got 10/);
    await expectInputError(cvae.restyle(images(1), { from: 1, to: 'some' as never }), /vae\.restyle: option to must be one of 'all' or a class index/);
    await expectInputError(cvae.restyle(images(1), undefined as never), /options \{ from, to \} are required/);
  });
});

describe('interpolate with labels', () => {
  it('interpolates the latent and the one-hot label together: step s is decoded with (1 - t)·onehot(la) + t·onehot(lb)', async () => {
    const [a, b] = [images(1, 5), images(1, 6)];
    const steps = 5;
    const path = await cvae.interpolate(a, b, { steps, labels: [3, 8] });
    const [ma, mb] = [(await cvae.encode(a, { label: 3 })).mu.data, (await cvae.encode(b, { label: 8 })).mu.data];
    expect(row(path.latents.data, 0, cvae.latent)).toEqual(ma);
    expect(row(path.latents.data, steps - 1, cvae.latent)).toEqual(mb);
    const y = new Float32Array(steps * K);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      y[s * K + 3] = 1 - t;
      y[s * K + 8] = t;
    }
    expect(path.data).toEqual(await decodeRaw(path.latents.data, y, steps));
    // The ends are plain one-hot decodes.
    expect(row(path.data, 0, 784)).toEqual((await cvae.decode(ma, { label: 3 })).data);
  });

  it('slerps the latent but blends the label linearly; latent ends need labels too', async () => {
    const za = gaussianLatents(1, cvae.latent, { seed: 1 });
    const zb = gaussianLatents(1, cvae.latent, { seed: 2 });
    const path = await cvae.interpolate(za, zb, { steps: 3, method: 'slerp', labels: [0, 1] });
    const y = new Float32Array(3 * K);
    [1, 0.5, 0].forEach((w, s) => ((y[s * K] = w), (y[s * K + 1] = 1 - w)));
    expect(path.data).toEqual(await decodeRaw(path.latents.data, y, 3));
  });

  it('is a VAEInputError without labels on a conditional model, with labels on an unconditional one, or with a bad label', async () => {
    const [a, b] = [images(1, 5), images(1, 6)];
    await expectInputError(cvae.interpolate(a, b), /vae\.interpolate: this model is conditional on 10 classes, so labels is required; expected \{ labels: \[la, lb\] \}/);
    await expectInputError(plain.interpolate(a, b, { labels: [3, 8] }), /vae\.interpolate: this model is unconditional \(its model\.json has no condition\), so it takes no labels; got an array of length 2, expected the labels option omitted/);
    await expectInputError(cvae.interpolate(a, b, { labels: [3, 12] }), /vae\.interpolate: labels\[1\] must be an integer class index in \[0, 9\]/);
    await expectInputError(cvae.interpolate(a, b, { labels: [3] as never }), /option labels must be a pair of integers \[a, b\], got an array of length 1/);
  });
});

describe('bad labels are VAEInputErrors naming the expected value', () => {
  it('a label on an unconditional model', async () => {
    await expectInputError(plain.sample(2, { label: 3 }), /vae\.sample: this model is unconditional \(its model\.json has no condition\), so it takes no label; got 3, expected the label option omitted/);
    await expectInputError(plain.encode(images(1), { label: 3 }), /vae\.encode: this model is unconditional/);
    await expectInputError(plain.decode(new Float32Array(32), { label: 0 }), /vae\.decode: this model is unconditional/);
    await expectInputError(plain.reconstruct(images(1), { label: 0 }), /vae\.reconstruct: this model is unconditional/);
  });

  it('encode, decode and reconstruct on a conditional model without a label', async () => {
    await expectInputError(
      cvae.encode(images(2)),
      /vae\.encode: this model is conditional on 10 classes, so label is required; expected \{ label: an integer class index in \[0, 9\] \(0 = "0", …, 9 = "9"\), or an array of 2 of them, one per image \}/,
    );
    await expectInputError(cvae.decode(new Float32Array(32)), /vae\.decode: this model is conditional on 10 classes, so label is required; .*one per latent/);
    await expectInputError(cvae.reconstruct(images(1)), /vae\.reconstruct: this model is conditional on 10 classes, so label is required/);
  });

  it('a label out of range, not an integer, of the wrong type, or an array of the wrong length', async () => {
    await expectInputError(cvae.sample(2, { label: 10 }), /vae\.sample: label must be an integer class index in \[0, 9\] \(0 = "0", …, 9 = "9"\) or an array of 2 of them, got 10/);
    await expectInputError(cvae.sample(2, { label: -1 }), /label must be an integer class index in \[0, 9\].*got -1/);
    await expectInputError(cvae.sample(2, { label: 2.5 }), /label must be an integer class index in \[0, 9\].*got 2\.5/);
    await expectInputError(cvae.sample(2, { label: '7' as never }), /vae\.sample: option label must be a class index \(an integer\) or an array of class indices, got "7" \(string\)/);
    await expectInputError(cvae.sample(3, { label: [1, 2] }), /vae\.sample: label has 2 entries for 3 samples; expected 3 class indices \(one per sample\) or a single index for all/);
    await expectInputError(cvae.encode(images(2), { label: [1, 2, 3] }), /vae\.encode: label has 3 entries for 2 images; expected 2 class indices \(one per image\)/);
    await expectInputError(cvae.decode(new Float32Array(64), { label: [1, NaN] }), /vae\.decode: label\[1\] must be an integer class index in \[0, 9\].*got NaN/);
  });
});
