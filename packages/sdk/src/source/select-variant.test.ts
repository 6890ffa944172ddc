import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureModel } from '../../test/fixtures.js';
import type { VAE } from '../node.js';
import { VAE as Vae, VAEInputError } from '../node.js';

const mnist = fileURLToPath(new URL('../../../../models/mnist', import.meta.url));
const opened: VAE[] = [];
const load = async (...a: Parameters<typeof Vae.load>) => {
  const v = await Vae.load(...a);
  opened.push(v);
  return v;
};
afterAll(() => Promise.all(opened.map((v) => v.dispose())));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe("VAE.load(source, { dtype })", () => {
  it('loads the fp16 and int8 variants of models/mnist: their files, checked against model.json variants, and close to fp32', async () => {
    const raw = JSON.parse(readFileSync(`${mnist}/model.json`, 'utf8'));
    const f32 = await load(mnist, { device: 'cpu', threads: 1 });
    expect(f32.info.manifest.precision).toBe('fp32');
    const ref = await f32.sample(8, { seed: 3 });
    for (const dtype of ['fp16', 'int8'] as const) {
      const v = await load(mnist, { device: 'cpu', threads: 1, dtype });
      expect(v.info.manifest.precision).toBe(dtype);
      expect(v.info.manifest.graphs).toEqual(raw.variants[dtype]);
      expect(v.info.manifest.graphs.decoder.file).toBe(`decoder_${dtype}.onnx`);
      const s = await v.sample(8, { seed: 3 });
      const d = maxDiff(s.data, ref.data);
      // Pixel means in [0,1]; the bounds are what these weights gave (fp16 ~1e-3, int8 ~3e-2), not a quality claim: see bench/nelbo.mjs.
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThan(dtype === 'fp16' ? 0.01 : 0.1);
    }
    expect((await load(mnist, { device: 'cpu', threads: 1, dtype: 'fp32' })).info.manifest.graphs).toEqual(raw.graphs);
  });

  it('a dtype the model does not ship is a VAEInputError naming the ones it has; an unknown dtype lists the valid ones', async () => {
    const err = await Vae.load(fixtureModel().dir, { device: 'cpu', dtype: 'int8' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VAEInputError);
    expect((err as Error).message).toMatch(/^VAE\.load: model "[^"]+" has no int8 variant; it ships fp32 \(model\.json's precision\)$/);
    const bad = await Vae.load(mnist, { dtype: 'int4' as never }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(VAEInputError);
    expect((bad as Error).message).toBe('VAE.load: option dtype must be one of \'fp32\', \'fp16\', \'int8\', got \"int4\" (string)');
  });
});
