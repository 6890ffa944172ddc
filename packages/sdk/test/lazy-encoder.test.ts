/**
 * `VAE.load(source, { lazyEncoder: true })`: load reads model.json and the
 * decoder only; the encoder is read, checked and started by the first call
 * that needs it, with the errors load would have given, and a failed start
 * is tried again by the next call.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAE, VAEModelError, VAESourceError } from '../src/node.js';
import type { LoadProgress } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel();
const files = Object.fromEntries(['model.json', 'encoder.onnx', 'decoder.onnx'].map((f) => [f, readFileSync(join(fx.dir, f))]));
const requested: string[] = [];
/** What the server sends for encoder.onnx: the file, a corrupt copy, or a 404. */
let encoder: 'ok' | 'corrupt' | 'missing' = 'ok';
let base = '';

const server = createServer((req, res) => {
  const name = (req.url ?? '').split('/').pop()!;
  requested.push(name);
  let body: Uint8Array | undefined = files[name];
  if (name === 'encoder.onnx' && encoder !== 'ok') body = encoder === 'missing' ? undefined : Buffer.from(body!).fill(1, 100, 200);
  if (!body) return void res.writeHead(404).end();
  res.writeHead(200, { 'Content-Length': body.byteLength }).end(body);
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const fresh = () => {
  requested.length = 0;
  encoder = 'ok';
};
const image = () => new Float32Array(784).fill(0.5);

describe('lazyEncoder', () => {
  it('loads and samples with only model.json and the decoder requested, and reports progress for those alone', async () => {
    fresh();
    const progress: LoadProgress[] = [];
    const vae = await VAE.load(base, { device: 'cpu', cache: false, lazyEncoder: true, onProgress: (p) => progress.push(p) });
    const lazy = await vae.sample(4, { seed: 3 });
    expect(requested).toEqual(['model.json', 'decoder.onnx']);
    expect(new Set(progress.map((p) => p.file))).toEqual(new Set(['model.json', 'decoder.onnx']));
    const eager = await VAE.load(base, { device: 'cpu', cache: false });
    expect(lazy.data).toEqual((await eager.sample(4, { seed: 3 })).data);
    await Promise.all([vae.dispose(), eager.dispose()]);
  });

  it('reads the encoder at the first encode, once, and encodes as an eager load does', async () => {
    fresh();
    const vae = await VAE.load(base, { device: 'cpu', cache: false, lazyEncoder: true });
    const eager = await VAE.load(base, { device: 'cpu', cache: false });
    requested.length = 0;
    const [a, b] = await Promise.all([vae.encode(image()), vae.reconstruct(image(), { sample: false })]);
    expect(requested).toEqual(['encoder.onnx']);
    expect(a.mu.data).toEqual((await eager.encode(image())).mu.data);
    expect(b.data).toEqual((await eager.reconstruct(image(), { sample: false })).data);
    await vae.encode(image());
    expect(requested).toEqual(['encoder.onnx']);
    await Promise.all([vae.dispose(), eager.dispose()]);
  });

  it('rejects the first encode, not the load, with a VAEModelError when the encoder does not match model.json', async () => {
    fresh();
    encoder = 'corrupt';
    await expect(VAE.load(base, { device: 'cpu', cache: false })).rejects.toThrow(VAEModelError);
    const vae = await VAE.load(base, { device: 'cpu', cache: false, lazyEncoder: true });
    expect((await vae.sample(2, { seed: 1 })).shape).toEqual([2, 1, 28, 28]);
    const err = await vae.encode(image()).catch((e) => e);
    expect(err).toBeInstanceOf(VAEModelError);
    expect(err.message).toMatch(/^encoder\.onnx has sha256 [0-9a-f]{16}…, expected [0-9a-f]{16}… from model\.json/);
    await vae.dispose();
  });

  it('tries again at the next call after a failed read, so a file that comes back works', async () => {
    fresh();
    encoder = 'missing';
    const vae = await VAE.load(base, { device: 'cpu', cache: false, lazyEncoder: true });
    const err = await vae.encode(image()).catch((e) => e);
    expect(err).toBeInstanceOf(VAESourceError);
    expect(err.message).toContain('encoder.onnx');
    encoder = 'ok';
    expect((await vae.encode(image())).mu.shape).toEqual([1, vae.latent]);
    await vae.dispose();
  });

  it('refuses a lazyEncoder that is not a boolean, naming the option', async () => {
    await expect(VAE.load(base, { lazyEncoder: 'yes' as never })).rejects.toThrow('VAE.load: option lazyEncoder must be a boolean (true or false), got "yes" (string)');
  });
});
