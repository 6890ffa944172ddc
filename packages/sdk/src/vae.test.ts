import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModel } from '../test/fixtures.js';
import type { ModelManifest } from './node.js';
import { bundledModelDir, negativeElbo, VAE, VAEDeviceError, VAEDisposedError, VAEInputError, VAEModelError, VAESourceError, gaussianLatents } from './node.js';

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

let vae: VAE;
const fx = fixtureModel();

beforeAll(async () => {
  vae = await VAE.load(fx.dir, { device: 'cpu', threads: 1 });
});
afterAll(() => vae.dispose());

describe('load and info', () => {
  it('reports the manifest, the device that runs and why others were skipped', async () => {
    expect(vae.info.device).toBe('cpu');
    expect(vae.info.executionProvider).toBe('cpu');
    expect(vae.info.runtime).toBe('onnxruntime-node');
    expect(vae.info.manifest.latent).toBe(32);
    expect(vae.latent).toBe(32);
    const auto = await VAE.load(fx.dir);
    expect(auto.info.device).toBe('cpu');
    const skipped = Object.fromEntries(auto.info.skipped.map((s) => [s.device, s.reason]));
    expect(Object.keys(skipped).sort()).toEqual(['cuda', 'webgpu']);
    expect(skipped.webgpu).toMatch(/not tried by auto/);
    await auto.dispose();
  });

  it("device 'cuda' without the CUDA provider throws a VAEDeviceError with the install step", async () => {
    const err = await VAE.load(fx.dir, { device: 'cuda' }).catch((e) => e);
    if (err instanceof VAE) return void (await err.dispose()); // a machine with CUDA installed
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect(err.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it("device 'webgpu' runs on SwiftShader and matches cpu (skipped, saying why, only without the ICD)", async (ctx) => {
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    if (!existsSync(icd)) {
      const why = `${icd} is absent (Debian's chromium package provides SwiftShader's Vulkan ICD), so Node WebGPU has no adapter to run on here`;
      console.log(`SKIPPED device 'webgpu' test: ${why}`);
      ctx.skip(why);
    }
    process.env.VK_ICD_FILENAMES ??= icd;
    // With the ICD present WebGPU must start: a VAEDeviceError here fails the test.
    const r = await VAE.load(fx.dir, { device: 'webgpu' });
    try {
      expect(r.info.device).toBe('webgpu');
      expect(r.info.executionProvider).toBe('webgpu');
      const [g, c] = [await r.sample(16, { seed: 1 }), await vae.sample(16, { seed: 1 })];
      const d = maxDiff(g.data, c.data);
      console.log(`webgpu vs cpu, 16 samples seed 1: max abs diff ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      const [ge, ce] = [await r.encode(c), await vae.encode(c)];
      expect(maxDiff(ge.mu.data, ce.mu.data)).toBeLessThan(1e-4);
    } finally {
      await r.dispose();
    }
  });

  it('rejects an unknown device and bad options', async () => {
    await expect(VAE.load(fx.dir, { device: 'tpu' as never })).rejects.toThrow(/expected one of auto, cpu, cuda, webgpu/);
    await expect(VAE.load(fx.dir, { threads: 0 })).rejects.toThrow(VAEInputError);
    await expect(VAE.load(fx.dir, { batchSize: 1.5 })).rejects.toThrow(/batchSize must be a positive integer/);
  });

  it('loads from bytes, file: URLs, model.json paths and http URLs', async () => {
    const fromBytes = await VAE.load({ manifest: JSON.stringify(fx.manifest), encoder: fx.encoder, decoder: fx.decoder });
    const fromFileUrl = await VAE.load(pathToFileURL(fx.dir + '/'));
    const fromJsonPath = await VAE.load(join(fx.dir, 'model.json'));
    const server = createServer((req, res) => {
      const f = join(fx.dir, (req.url ?? '/').replace(/^\/m\//, ''));
      if (!req.url?.startsWith('/m/') || !existsSync(f)) return res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(f));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const fromHttp = await VAE.load(`${base}/m/`);
      expect(fromHttp.info.source).toBe(`${base}/m/`);
      const want = await vae.sample(4, { seed: 9 });
      for (const v of [fromBytes, fromFileUrl, fromJsonPath, fromHttp]) {
        expect(maxDiff((await v.sample(4, { seed: 9 })).data, want.data)).toBe(0);
        await v.dispose();
      }
      await expect(VAE.load(`${base}/missing/`)).rejects.toThrow(/HTTP 404; expected 200/);
    } finally {
      server.close();
    }
  });

  it('loads from one URL per file (hashed names, data: URLs, paths), as bundlers emit them', async () => {
    const text = readFileSync(join(fx.dir, 'model.json'), 'utf8');
    const dataUrl = `data:application/json;base64,${Buffer.from(text).toString('base64')}`;
    // Served under names that differ from the manifest's, like a bundler's hashed assets.
    const server = createServer((req, res) => {
      const f = { '/a/model-x1.json': 'model.json', '/b/encoder-Cpw6.onnx': 'encoder.onnx', '/b/decoder-MEGQ.onnx': 'decoder.onnx' }[req.url ?? ''];
      if (!f) return res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(join(fx.dir, f)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const want = await vae.sample(4, { seed: 9 });
      const sources = [
        { manifest: new URL(`${base}/a/model-x1.json`), encoder: new URL(`${base}/b/encoder-Cpw6.onnx`), decoder: `${base}/b/decoder-MEGQ.onnx` },
        { manifest: dataUrl, encoder: `${base}/b/encoder-Cpw6.onnx`, decoder: `${base}/b/decoder-MEGQ.onnx` },
        { manifest: join(fx.dir, 'model.json'), encoder: pathToFileURL(join(fx.dir, 'encoder.onnx')), decoder: join(fx.dir, 'decoder.onnx') },
      ];
      for (const src of sources) {
        const v = await VAE.load(src, { device: 'cpu' });
        expect(maxDiff((await v.sample(4, { seed: 9 })).data, want.data)).toBe(0);
        await v.dispose();
      }
      const fromData = await VAE.load(sources[1], { device: 'cpu' });
      expect(fromData.info.source).toBe(`${base}/b/encoder-Cpw6.onnx (model.json inlined)`);
      await fromData.dispose();
      await expect(VAE.load({ ...sources[0], decoder: `${base}/b/nope.onnx` })).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/b\/nope\.onnx returned HTTP 404/);
      // The graphs are checked against the manifest whatever the URLs are called.
      // The bigger graph in the decoder's place is cut off as soon as it passes the decoder's declared size.
      const swapped = await VAE.load({ ...sources[0], encoder: sources[0].decoder, decoder: sources[0].encoder }).catch((e) => e);
      expect(swapped).toBeInstanceOf(VAESourceError);
      const d = fx.manifest.graphs.decoder.bytes;
      expect(swapped.message).toBe(`${base}/b/encoder-Cpw6.onnx sent more than ${d} bytes; expected ${d} bytes of decoder.onnx (as model.json declares): stopped reading`);
      const mixed = await VAE.load({ manifest: dataUrl, encoder: fx.encoder, decoder: `${base}/b/decoder-MEGQ.onnx` } as never).catch((e) => e);
      expect(mixed).toBeInstanceOf(VAESourceError);
      expect(mixed.message).toMatch(/a mix of URLs and bytes/);
    } finally {
      server.close();
    }
  });

  it('a URL nothing can be resolved against (data:, blob:, a bad base) is a VAESourceError, not a TypeError', async () => {
    const text = readFileSync(join(fx.dir, 'model.json'), 'utf8');
    for (const src of [
      `data:application/json;base64,${Buffer.from(text).toString('base64')}`,
      new URL(`data:application/json,${encodeURIComponent(text)}`),
      'blob:http://127.0.0.1/0f8b7c1e-1111-2222-3333-444455556666',
    ]) {
      const err = await VAE.load(src).catch((e) => e);
      expect(err, String(src).slice(0, 40)).toBeInstanceOf(VAESourceError);
      expect(err.message).toMatch(/cannot find encoder\.onnx and decoder\.onnx relative to .*; pass \{ manifest, encoder, decoder \} with one URL per file/);
    }
    const bad = await VAE.load({ manifest: 'http://[::1', encoder: 'http://127.0.0.1:9/e.onnx', decoder: 'http://127.0.0.1:9/d.onnx' }).catch((e) => e);
    expect(bad).toBeInstanceOf(VAESourceError);
    expect(bad.message).toMatch(/invalid model\.json URL/);
  });

  it('an unreachable URL or a missing folder is a VAESourceError naming what was expected', async () => {
    const err = await VAE.load('http://127.0.0.1:9/model/').catch((e) => e);
    expect(err).toBeInstanceOf(VAESourceError);
    expect(err.message).toMatch(/could not fetch http:\/\/127\.0\.0\.1:9\/model\/model\.json .*expected a reachable URL/);
    await expect(VAE.load('/nonexistent/model-dir')).rejects.toThrow(/model file not found: \/nonexistent\/model-dir\/model\.json; expected a folder with model\.json/);
    await expect(VAE.load({ manifest: '{}' } as never)).rejects.toThrow(VAESourceError);
  });

  it('with no source loads the model shipped in the package', async () => {
    const dir = bundledModelDir();
    // The package must ship a model: a missing one is a failure here, not another branch.
    expect(existsSync(join(dir, 'model.json')), `no bundled model at ${dir}: export the trained model to the repository's models/mnist`).toBe(true);
    const v = await VAE.load();
    try {
      expect(v.info.source).toBe(dir);
      expect(v.info.manifest.latent).toBe(v.latent);
      expect((await v.sample(2, { seed: 1 })).shape).toEqual([2, 1, 28, 28]);
    } finally {
      await v.dispose();
    }
  });

  it('a missing default-model folder is a VAESourceError naming the folder', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'vae-no-model-')), 'mnist');
    const err = await VAE.load(missing).catch((e) => e);
    expect(err).toBeInstanceOf(VAESourceError);
    expect(err.message).toContain(`model file not found: ${missing}/model.json; expected a folder with model.json`);
  });
});

describe('model validation', () => {
  const write = (files: Record<string, Uint8Array | string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-bad-'));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
    return dir;
  };
  const manifest = () => JSON.parse(JSON.stringify(fx.manifest)) as ModelManifest;

  it('a truncated graph', async () => {
    const dir = write({ 'model.json': JSON.stringify(fx.manifest), 'encoder.onnx': fx.encoder.subarray(0, 1000), 'decoder.onnx': fx.decoder });
    await expect(VAE.load(dir)).rejects.toThrow(/encoder\.onnx is 1000 bytes, expected \d+ as model\.json says \(truncated\?\)/);
  });

  it('random bytes of the right length', async () => {
    const junk = new Uint8Array(fx.decoder.length).map((_, i) => (i * 7919) & 0xff);
    const dir = write({ 'model.json': JSON.stringify(fx.manifest), 'encoder.onnx': fx.encoder, 'decoder.onnx': junk });
    await expect(VAE.load(dir)).rejects.toThrow(/decoder\.onnx has sha256 .* expected .* a different or corrupted model/);
  });

  it('a different model than the manifest says', async () => {
    const other = fixtureModel({ seed: 2 });
    const dir = write({ 'model.json': JSON.stringify(fx.manifest), 'encoder.onnx': other.encoder, 'decoder.onnx': fx.decoder });
    const err = await VAE.load(dir).catch((e) => e);
    expect(err).toBeInstanceOf(VAEModelError);
    expect(err.message).toMatch(/a different or corrupted model/);
  });

  it('a manifest whose latent disagrees with its own graph shapes', async () => {
    const m = manifest();
    m.latent = 16;
    await expect(VAE.load({ manifest: m, encoder: fx.encoder, decoder: fx.decoder })).rejects.toThrow(/mu has shape \[N,32\], expected \[N,16\]/);
  });

  it('a self-consistent manifest that lies about the graphs (checked against the session)', async () => {
    const m = manifest();
    m.latent = 16;
    for (const g of [m.graphs.encoder, m.graphs.decoder]) for (const v of [...g.inputs, ...g.outputs]) if (v.shape.length === 2) v.shape = ['N', 16];
    const err = await VAE.load({ manifest: m, encoder: fx.encoder, decoder: fx.decoder }).catch((e) => e);
    expect(err).toBeInstanceOf(VAEModelError);
    expect(err.message).toMatch(/encoder\.onnx output "mu" has shape \[N,32\], expected \[N,16\] as model\.json says/);
  });

  it('broken manifests', async () => {
    await expect(VAE.load({ manifest: 'not json', encoder: fx.encoder, decoder: fx.decoder })).rejects.toThrow(/model\.json is not valid JSON/);
    const m = manifest();
    (m as { formatVersion: number }).formatVersion = 2;
    await expect(VAE.load({ manifest: m, encoder: fx.encoder, decoder: fx.decoder })).rejects.toThrow(/formatVersion is 2, expected 1/);
    const p = manifest();
    p.graphs.encoder.file = '../../etc/passwd';
    await expect(VAE.load({ manifest: p, encoder: fx.encoder, decoder: fx.decoder })).rejects.toThrow(/expected a plain file name/);
  });
});

describe('inference', () => {
  it('encode and decode shapes; decode logits agree with x', async () => {
    const s = await vae.sample(3, { seed: 1 });
    expect(s.shape).toEqual([3, 1, 28, 28]);
    expect(s.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    const { mu, logvar } = await vae.encode(s);
    expect(mu.shape).toEqual([3, 32]);
    expect(logvar.shape).toEqual([3, 32]);
    const logits = await vae.decode(s.latents, { output: 'logits' });
    const x = await vae.decode(s.latents.data);
    expect(maxDiff(x.data, s.data)).toBe(0);
    expect(maxDiff(logits.data.map((l) => 1 / (1 + Math.exp(-l))), x.data)).toBeLessThan(1e-6);
    const u8 = Uint8Array.from(s.data, (v) => Math.round(v * 255));
    expect((await vae.encode(u8)).mu.shape).toEqual([3, 32]);
  });

  it('sample: bit-identical with the same seed, different across seeds, latents from the documented generator', async () => {
    const a = await vae.sample(16, { seed: 42 });
    const b = await vae.sample(16, { seed: 42 });
    const c = await vae.sample(16, { seed: 43 });
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(maxDiff(a.data, c.data)).toBeGreaterThan(0);
    expect(a.seed).toBe(42);
    expect(a.latents.data).toEqual(gaussianLatents(16, 32, { seed: 42 }));
    const t0 = await vae.sample(2, { seed: 1, temperature: 0 });
    expect(maxDiff(t0.data.subarray(784), (await vae.decode(new Float32Array(32))).data)).toBe(0);
    const r = await vae.sample(1);
    expect(Number.isInteger(r.seed)).toBe(true);
  });

  it('large n is decoded in batches with the same result', async () => {
    const small = await VAE.load(fx.dir, { device: 'cpu', batchSize: 7 });
    const a = await small.sample(50, { seed: 5 });
    const b = await vae.sample(50, { seed: 5 });
    expect(a.shape).toEqual([50, 1, 28, 28]);
    expect(maxDiff(a.data, b.data)).toBeLessThan(1e-6);
    const enc = await small.encode(a);
    expect(maxDiff(enc.mu.data, (await vae.encode(a)).mu.data)).toBeLessThan(1e-5);
    await small.dispose();
  });

  it('reconstruct uses μ by default and samples reproducibly when asked', async () => {
    const imgs = await vae.sample(4, { seed: 3 });
    const r = await vae.reconstruct(imgs);
    const { mu } = await vae.encode(imgs);
    expect(maxDiff(r.latents.data, mu.data)).toBe(0);
    expect(maxDiff(r.data, (await vae.decode(mu)).data)).toBe(0);
    const s1 = await vae.reconstruct(imgs, { sample: true, seed: 1 });
    const s2 = await vae.reconstruct(imgs, { sample: true, seed: 1 });
    expect(maxDiff(s1.data, s2.data)).toBe(0);
    expect(maxDiff(s1.latents.data, mu.data)).toBeGreaterThan(0);
  });

  it('interpolate: images or latents, linear or slerp, endpoints reproduce the decoded ends', async () => {
    const imgs = await vae.sample(2, { seed: 11 });
    const [a, b] = [imgs.data.subarray(0, 784), imgs.data.subarray(784)];
    const { mu } = await vae.encode(imgs);
    const lin = await vae.interpolate(a, b, { steps: 5 });
    expect(lin.shape).toEqual([5, 1, 28, 28]);
    expect(maxDiff(lin.latents.data.subarray(0, 32), mu.data.subarray(0, 32))).toBe(0);
    expect(maxDiff(lin.latents.data.subarray(4 * 32), mu.data.subarray(32))).toBe(0);
    const ends = await vae.decode(mu);
    expect(maxDiff(lin.data.subarray(0, 784), ends.data.subarray(0, 784))).toBeLessThan(1e-6);
    const za = imgs.latents.data.subarray(0, 32);
    const zb = imgs.latents.data.subarray(32);
    const sl = await vae.interpolate(za, zb, { steps: 3, method: 'slerp' });
    expect(maxDiff(sl.data.subarray(0, 784), imgs.data.subarray(0, 784))).toBeLessThan(1e-6);
    expect(maxDiff(sl.data.subarray(2 * 784), imgs.data.subarray(784))).toBeLessThan(1e-6);
    const mixed = await vae.interpolate(a, zb, { steps: 2 });
    expect(mixed.shape[0]).toBe(2);
    await expect(vae.interpolate(a, b, { steps: 1 })).rejects.toThrow(/steps must be an integer in \[2, 65536\], got 1/);
    await expect(vae.interpolate(a, b, { method: 'cubic' as never })).rejects.toThrow(/method must be 'linear' or 'slerp'/);
    await expect(vae.interpolate(new Float32Array(10), b)).rejects.toThrow(/a has 10 values; expected one image \(784 values\) or one latent \(32 values\)/);
  });

  it('traverse and manifold', async () => {
    const t = await vae.traverse(new Float32Array(32), 3, [-2, 0, 2]);
    expect(t.shape).toEqual([3, 1, 28, 28]);
    expect(t.latents.data[32 + 3]).toBe(0);
    expect(t.latents.data[2 * 32 + 3]).toBe(2);
    await expect(vae.traverse(new Float32Array(32), 32, [0])).rejects.toThrow(/dim must be an integer in \[0, 31\]/);
    await expect(vae.traverse(new Float32Array(32), 0, [NaN])).rejects.toThrow(/finite numbers/);
    const two = await VAE.load(fixtureModel({ latent: 2 }).dir);
    const m = await two.manifold(5);
    expect(m.shape).toEqual([25, 1, 28, 28]);
    // Row 0 is the top of the plot (largest z1); columns sweep z0 upwards.
    expect(m.latents.data[0]).toBeCloseTo(-1.6449, 3);
    expect(m.latents.data[1]).toBeCloseTo(1.6449, 3);
    expect(m.latents.data[2 * 4]).toBeCloseTo(1.6449, 3);
    await two.dispose();
    expect((await vae.manifold(3, { dims: [4, 7] })).latents.data[4]).toBeCloseTo(-1.6449, 3);
    await expect(vae.manifold(0)).rejects.toThrow(/n must be a positive integer/);
  });

  it('input errors are typed and name the expected value', async () => {
    await expect(vae.sample(0)).rejects.toThrow(/n must be a positive integer <= \d+, got 0/);
    await expect(vae.sample(-1)).rejects.toThrow(VAEInputError);
    await expect(vae.sample(2.5)).rejects.toThrow(/got 2.5/);
    await expect(vae.sample(1, { seed: -5 })).rejects.toThrow(/seed must be an integer/);
    await expect(vae.decode(new Float32Array(16))).rejects.toThrow(/latent size 32/);
    await expect(vae.decode([[NaN, ...Array(31).fill(0)]])).rejects.toThrow(/NaN at index 0/);
    await expect(vae.decode(new Float32Array(32), { output: 'y' as never })).rejects.toThrow(/output must be 'x' or 'logits'/);
    await expect(vae.encode(new Float32Array(100))).rejects.toThrow(/positive multiple of 784/);
    await expect(vae.encode({ data: new Float32Array(784), shape: [1, 784] })).rejects.toThrow(/expected \[N,1,28,28\]/);
    await expect(vae.encode(new Int32Array(784) as never)).rejects.toThrow(/wrong dtype/);
  });
});

describe('limits are typed errors, not hangs, NaN or allocation failures', () => {
  const reject = async (p: Promise<unknown>, re: RegExp) => {
    const err = await p.then(
      () => new Error('resolved'),
      (e) => e,
    );
    expect(err).toBeInstanceOf(VAEInputError);
    expect(err.message).toMatch(re);
  };

  it('sample(n) with an n whose images cannot be allocated names the maximum', async () => {
    const max = Math.floor(2 ** 28 / 784);
    expect(max).toBe(342392);
    for (const n of [max + 1, 1 << 24, 1e9, 2 ** 53]) {
      await reject(vae.sample(n, { seed: 1 }), new RegExp(`^n must be a positive integer <= ${max}, got ${n} \\(the largest n whose images of 784 float32 values fit in one 1 GiB buffer\\)$`));
    }
    expect(() => gaussianLatents(2 ** 23 + 1, 32, { seed: 1 })).toThrow(new VAEInputError(`n must be a positive integer <= ${2 ** 23}, got ${2 ** 23 + 1} (the largest n whose latents of 32 float32 values fit in one 1 GiB buffer)`));
    expect(() => gaussianLatents(2 ** 23 + 1, 32, { seed: 1 })).toThrow(VAEInputError);
  });

  it('negativeElbo rejects batch <= 0 or non-integer (it used to loop forever), a bad seed and empty images', { timeout: 10_000 }, async () => {
    const x = new Float32Array(3 * 784).fill(0.5);
    for (const batch of [0, -1, 1.5, NaN]) await reject(negativeElbo(vae, x, { batch }), new RegExp(`^batch must be a positive integer <= 1048576, got ${batch}$`));
    for (const seed of [-1, 0.5, 2 ** 32]) await reject(negativeElbo(vae, x, { seed }), new RegExp(`^seed must be an integer in \\[0, 4294967295\\], got ${seed}$`));
    await reject(negativeElbo(vae, new Float32Array(0)), /^images have the wrong length: 0 values .*; expected a positive multiple of 784/);
    await reject(negativeElbo(vae, { data: [], shape: [0, 1, 28, 28] }), /^images have the wrong length: 0 values .*; expected a positive multiple of 784/);
    const ok = await negativeElbo(vae, x, { batch: 2, seed: 3 });
    expect(ok.count).toBe(3);
    expect(Number.isFinite(ok.nelbo)).toBe(true);
  });
});

describe('concurrency and lifecycle', () => {
  it('1,000 concurrent sample calls give, for every call, the same bits as the same calls made one at a time', async () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => i);
    const concurrent = await Promise.all(seeds.map((seed) => vae.sample(1, { seed })));
    expect(concurrent.map((r) => r.seed)).toEqual(seeds);
    const mismatched: number[] = [];
    for (const seed of seeds) {
      const alone = await vae.sample(1, { seed });
      const c = concurrent[seed];
      const same = Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength).equals(Buffer.from(alone.data.buffer, alone.data.byteOffset, alone.data.byteLength));
      if (!same || maxDiff(c.latents.data, alone.latents.data) !== 0) mismatched.push(seed);
    }
    expect(mismatched).toEqual([]);
    // Distinct seeds gave distinct images (no call was answered with another call's result).
    expect(new Set(concurrent.map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'))).size).toBe(1000);
  });

  it('a caller reusing one Float32Array across concurrent encode/decode calls gets each call computed on what it passed', async () => {
    const imgs = await vae.sample(6, { seed: 21 });
    const [za, zb] = [imgs.latents.data.slice(0, 3 * 32), imgs.latents.data.slice(3 * 32)];
    const [xa, xb] = [imgs.data.slice(0, 3 * 784), imgs.data.slice(3 * 784)];
    const want = { da: await vae.decode(za), db: await vae.decode(zb), ea: await vae.encode(xa), eb: await vae.encode(xb) };
    for (const busy of [false, true]) {
      // busy: a large call first, so the ones below wait in the queue; idle: they start at once
      // (ONNX Runtime still reads its input a tick later).
      const head = busy ? vae.sample(512, { seed: 1 }) : undefined;
      const zbuf = new Float32Array(3 * 32);
      const xbuf = new Float32Array(3 * 784);
      zbuf.set(za);
      xbuf.set(xa);
      const da = vae.decode(zbuf);
      const ea = vae.encode(xbuf);
      zbuf.set(zb);
      xbuf.set(xb);
      const db = vae.decode(zbuf);
      const eb = vae.encode(xbuf);
      // Values that would fail validation, written after the calls were accepted.
      zbuf.fill(NaN);
      xbuf.fill(7);
      await head;
      expect(maxDiff((await da).data, want.da.data), `decode a, busy=${busy}`).toBe(0);
      expect(maxDiff((await db).data, want.db.data), `decode b, busy=${busy}`).toBe(0);
      expect(maxDiff((await ea).mu.data, want.ea.mu.data), `encode a, busy=${busy}`).toBe(0);
      expect(maxDiff((await eb).logvar.data, want.eb.logvar.data), `encode b, busy=${busy}`).toBe(0);
    }
    // reconstruct, interpolate and traverse take caller buffers too.
    const xbuf = xa.slice(0, 2 * 784);
    const rec = vae.reconstruct(xbuf);
    const lerp = vae.interpolate(xbuf.subarray(0, 784), xbuf.subarray(784), { steps: 3 });
    xbuf.fill(NaN);
    expect(maxDiff((await rec).data, (await vae.reconstruct(xa.slice(0, 2 * 784))).data)).toBe(0);
    expect(maxDiff((await lerp).data, (await vae.interpolate(xa.slice(0, 784), xa.slice(784, 2 * 784), { steps: 3 })).data)).toBe(0);
  });

  it('validates caller buffers at call time: NaN in a Float32Array rejects the call with a VAEInputError before it is queued', async () => {
    const z = new Float32Array(32);
    z[5] = NaN;
    const err = await vae.decode(z).catch((e) => e);
    expect(err).toBeInstanceOf(VAEInputError);
    expect(err.message).toMatch(/latents contain NaN at index 5 \(item 0\); expected finite values/);
  });

  it('mixed concurrent calls keep their own inputs and outputs', async () => {
    const imgs = await vae.sample(8, { seed: 2 });
    const [e, d, s] = await Promise.all([vae.encode(imgs), vae.decode(imgs.latents), vae.sample(8, { seed: 2 })]);
    expect(e.mu.shape).toEqual([8, 32]);
    expect(maxDiff(d.data, imgs.data)).toBe(0);
    expect(maxDiff(s.data, imgs.data)).toBe(0);
  });

  it('a failed call does not poison the queue', async () => {
    const bad = vae.decode(new Float32Array(3));
    const good = vae.sample(1, { seed: 1 });
    await expect(bad).rejects.toThrow(VAEInputError);
    expect((await good).shape[0]).toBe(1);
  });

  it('dispose waits for queued calls, then rejects new ones', async () => {
    const v = await VAE.load(fx.dir);
    const pending = v.sample(4, { seed: 1 });
    await v.dispose();
    expect((await pending).shape[0]).toBe(4);
    await expect(v.sample(1)).rejects.toBeInstanceOf(VAEDisposedError);
    await expect(v.encode(new Float32Array(784))).rejects.toThrow(/vae\.encode\(\) called after dispose\(\)/);
    await v.dispose();
  });
});
