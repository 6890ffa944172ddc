import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { ImageBatch } from '../src/node.js';
import { decodePng, encodePng, tile, VAE } from '../src/node.js';
import { guessLabel } from '../src/guess-label.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel();
const out = mkdtempSync(join(tmpdir(), 'vae-cli-'));

async function run(...argv: string[]) {
  const logs: string[] = [];
  const errors: string[] = [];
  const code = await main(argv, { log: (s) => logs.push(s), error: (s) => errors.push(s) });
  return { code, stdout: logs.join('\n'), stderr: errors.join('\n') };
}

describe('vae CLI', () => {
  it('sample writes a grid PNG identical to the API result', async () => {
    const file = join(out, 'samples.png');
    const r = await run('sample', '--n', '64', '--seed', '1', '--out', file, '--model', fx.dir, '--device', 'cpu', '--scale', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*samples\.png \(242×242\)/);
    const png = decodePng(readFileSync(file));
    expect([png.width, png.height]).toEqual([242, 242]);
    const vae = await VAE.load(fx.dir, { device: 'cpu' });
    const s = await vae.sample(64, { seed: 1 });
    await vae.dispose();
    // Top-left pixel of the first digit (after the 2-pixel border).
    expect(png.data[(2 * 242 + 2) * 4]).toBe(Math.round(s.data[0] * 255));
  });

  it('interpolate and reconstruct read PNGs of any size, and --scale enlarges', async () => {
    const vae = await VAE.load(fx.dir, { device: 'cpu' });
    const s = await vae.sample(2, { seed: 4 });
    await vae.dispose();
    const a = join(out, '3.png');
    const b = join(out, '8.png');
    writeFileSync(a, encodePng({ data: s.data.subarray(0, 784), shape: [1, 1, 28, 28] }));
    writeFileSync(b, encodePng({ data: s.data.subarray(784), shape: [1, 1, 28, 28] }));
    const lerp = join(out, 'lerp.png');
    expect((await run('interpolate', '--from', a, '--to', b, '--steps', '10', '--out', lerp, '--model', fx.dir, '--scale', '1')).code).toBe(0);
    expect(decodePng(readFileSync(lerp)).width).toBe(10 * 28 + 11 * 2);
    const recon = join(out, 'recon.png');
    const r = await run('reconstruct', '--in', a, '--out', recon, '--model', fx.dir, '--scale', '4');
    expect(r.code).toBe(0);
    expect(decodePng(readFileSync(recon)).width).toBe(112);
    const slerp = await run('interpolate', '--from', a, '--to', b, '--method', 'slerp', '--out', lerp, '--model', fx.dir);
    expect(slerp.code).toBe(0);
  });

  it('info prints the model, device and skipped providers', async () => {
    const r = await run('info', '--model', fx.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model +fixture \(small, latent 32/);
    expect(r.stdout).toMatch(/device +cpu \(execution provider cpu, onnxruntime-node\)/);
    expect(r.stdout).toMatch(/skipped +cuda: .*ONNXRUNTIME_NODE_INSTALL=cuda12|skipped +webgpu/);
    const j = await run('info', '--json', '--model', fx.dir);
    expect(JSON.parse(j.stdout).manifest.latent).toBe(32);
  });

  it('--help, usage errors (exit 2) and typed runtime errors (exit 1)', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/vae sample +--n 64 --seed 1/);
    expect((await run()).code).toBe(2);
    const unknown = await run('paint');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "paint"; expected sample, restyle, interpolate, reconstruct or info/);
    expect((await run('sample', '--n', '4')).stderr).toMatch(/--out is required/);
    expect((await run('sample', '--bogus')).code).toBe(2);
    const badN = await run('sample', '--n', '0', '--out', join(out, 'x.png'), '--model', fx.dir);
    expect(badN.code).toBe(1);
    expect(badN.stderr).toMatch(/VAEInputError: n must be a positive integer/);
    const cuda = await run('info', '--device', 'cuda', '--model', fx.dir);
    if (cuda.code !== 0) expect(cuda.stderr).toMatch(/VAEDeviceError: .*\n.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    const missing = await run('reconstruct', '--in', join(out, 'nope.png'), '--out', join(out, 'y.png'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.png: ENOENT; expected a PNG file/);
    const model = await run('info', '--model', join(out, 'no-model'));
    expect(model.stderr).toMatch(/VAESourceError: model file not found/);
  });
});

describe('vae CLI on a conditional model', () => {
  const cfx = fixtureModel({ classes: 10 });
  /** The PNG the CLI wrote (at --scale 1) has exactly the pixels of the API's grid. */
  const samePixels = (file: string, grid: ImageBatch) => {
    const got = decodePng(readFileSync(file));
    const want = decodePng(encodePng(grid));
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
  };
  const withCvae = async <T>(f: (v: VAE) => Promise<T>) => {
    const v = await VAE.load(cfx.dir, { device: 'cpu' });
    try {
      return await f(v);
    } finally {
      await v.dispose();
    }
  };
  const digit = async (name: string, seed: number, label: number) => {
    const s = await withCvae((v) => v.sample(1, { seed, label }));
    const file = join(out, name);
    writeFileSync(file, encodePng(s));
    return file;
  };

  it('sample --label 7 --n 16 draws sixteen samples of class 7, as vae.sample does', async () => {
    const file = join(out, 'sevens.png');
    const r = await run('sample', '--label', '7', '--n', '16', '--seed', '3', '--out', file, '--model', cfx.dir, '--scale', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/16 samples of class 7 \(7\), seed 3/);
    samePixels(file, tile(await withCvae((v) => v.sample(16, { seed: 3, label: 7 })), { cols: 4 }));
  });

  it('sample --per-label 3 writes one row per class', async () => {
    const file = join(out, 'grid.png');
    const r = await run('sample', '--per-label', '3', '--seed', '5', '--out', file, '--model', cfx.dir, '--scale', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 samples of each of 10 classes \(one row per class: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9\), seed 5/);
    const labels = Array.from({ length: 30 }, (_, i) => Math.floor(i / 3));
    samePixels(file, tile(await withCvae((v) => v.sample(30, { seed: 5, label: labels })), { cols: 3 }));
    expect(decodePng(readFileSync(file)).height).toBe(10 * 28 + 11 * 2);
  });

  it('restyle --in digit.png --from 3 writes the digit as every class, one image per class', async () => {
    const input = await digit('d3.png', 8, 3);
    const file = join(out, 'all.png');
    const r = await run('restyle', '--in', input, '--from', '3', '--out', file, '--model', cfx.dir, '--scale', '1', '--raw');
    expect(r.code, r.stderr).toBe(0);
    const { imagesFromPng } = await import('../src/node.js');
    const x = imagesFromPng(readFileSync(input), { prepare: false });
    samePixels(file, tile(await withCvae((v) => v.restyle(x, { from: 3, to: 'all' })), { cols: 10 }));
    const one = join(out, 'as8.png');
    expect((await run('restyle', '--in', input, '--from', '3', '--to', '8', '--out', one, '--model', cfx.dir, '--scale', '1', '--raw')).code).toBe(0);
    samePixels(one, tile(await withCvae((v) => v.restyle(x, { from: 3, to: 8 })), { cols: 1 }));
  });

  it('restyle without --from uses and prints the class with the highest ELBO', async () => {
    const input = await digit('d5.png', 9, 5);
    const { imagesFromPng } = await import('../src/node.js');
    const x = imagesFromPng(readFileSync(input), { prepare: false });
    const guess = await withCvae((v) => guessLabel(v, x));
    expect(guess.nelbo[guess.label]).toBe(Math.min(...guess.nelbo));
    const file = join(out, 'guessed.png');
    const r = await run('restyle', '--in', input, '--out', file, '--model', cfx.dir, '--scale', '1', '--raw');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`--from not given: ${input} reads as class ${guess.label} (${guess.label}), the class with the highest ELBO`);
    samePixels(file, tile(await withCvae((v) => v.restyle(x, { from: guess.label, to: 'all' })), { cols: 10 }));
  });

  it('interpolate --labels 3,8 morphs the label with the latent, as vae.interpolate does', async () => {
    const [a, b] = [await digit('i3.png', 1, 3), await digit('i8.png', 2, 8)];
    const file = join(out, 'morph.png');
    const r = await run('interpolate', '--from', a, '--to', b, '--labels', '3,8', '--steps', '6', '--out', file, '--model', cfx.dir, '--scale', '1', '--raw');
    expect(r.code, r.stderr).toBe(0);
    const { imagesFromPng } = await import('../src/node.js');
    const [xa, xb] = [a, b].map((f) => imagesFromPng(readFileSync(f), { prepare: false }));
    samePixels(file, tile(await withCvae((v) => v.interpolate(xa, xb, { steps: 6, labels: [3, 8], input: 'image' })), { cols: 6 }));
  });

  it('the conditional options load the bundled mnist-cvae when --model is not given', async () => {
    const file = join(out, 'bundled-sevens.png');
    const r = await run('sample', '--label', '7', '--n', '4', '--seed', '2', '--out', file, '--scale', '1', '--device', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const v = await VAE.load('mnist-cvae', { device: 'cpu' });
    try {
      samePixels(file, tile(await v.sample(4, { seed: 2, label: 7 }), { cols: 2 }));
    } finally {
      await v.dispose();
    }
    // Without them, the default stays the unconditional mnist.
    expect((await run('info')).stdout).toMatch(/model +mnist \(base.*\n(.*\n)*condition +none/);
  });

  it('info prints the classes; reconstruct takes --label', async () => {
    const r = await run('info', '--model', cfx.dir);
    expect(r.stdout).toMatch(/condition +10 classes \(0, 1, 2, 3, 4, 5, 6, 7, 8, 9\)/);
    expect((await run('info', '--model', fx.dir)).stdout).toMatch(/condition +none \(unconditional\)/);
    const input = await digit('r4.png', 4, 4);
    expect((await run('reconstruct', '--in', input, '--label', '4', '--out', join(out, 'r.png'), '--model', cfx.dir)).code).toBe(0);
  });

  it('conditional mistakes: usage errors exit 2, a label the model refuses exits 1 with its VAEInputError', async () => {
    const png = join(out, 'x.png');
    const noLabel = await run('reconstruct', '--in', await digit('n.png', 1, 1), '--out', png, '--model', cfx.dir);
    expect(noLabel.code).toBe(1);
    expect(noLabel.stderr).toMatch(/VAEInputError: vae\.reconstruct: this model is conditional on 10 classes, so label is required/);
    const onPlain = await run('sample', '--label', '7', '--out', png, '--model', fx.dir);
    expect(onPlain.code).toBe(1);
    expect(onPlain.stderr).toMatch(/VAEInputError: vae\.sample: this model is unconditional \(its model\.json has no condition\), so it takes no label; got 7/);
    const range = await run('sample', '--label', '10', '--out', png, '--model', cfx.dir);
    expect(range.stderr).toMatch(/VAEInputError: vae\.sample: label must be an integer class index in \[0, 9\]/);
    const pair = await run('interpolate', '--from', png, '--to', png, '--labels', '3', '--out', png, '--model', cfx.dir);
    expect(pair.code).toBe(2);
    expect(pair.stderr).toMatch(/--labels must be two class indices A,B \(the classes of --from and --to\), got "3"/);
    const both = await run('sample', '--per-label', '2', '--n', '4', '--out', png, '--model', cfx.dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--per-label sets the count itself; drop --label and --n/);
    const wrong = await run('info', '--label', '3', '--model', cfx.dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--label does not apply to info/);
    const plainRestyle = await run('restyle', '--in', await digit('p.png', 1, 1), '--out', png, '--model', fx.dir);
    expect(plainRestyle.code).toBe(2);
    expect(plainRestyle.stderr).toMatch(/restyle needs a conditional model; .* has no condition \(try --model mnist-cvae\)/);
  });
});
