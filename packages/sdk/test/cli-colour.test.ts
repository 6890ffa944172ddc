/** The CLI on a 3×16×16 colour model: colour PNGs out, colour PNGs of any size in. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { VAE, decodePng, encodePng, fromImageData, tile } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel({ arch: 'small', imageShape: [16, 16, 3] });
const cfx = fixtureModel({ arch: 'small', imageShape: [16, 16, 3], classes: 3 });
const out = mkdtempSync(join(tmpdir(), 'vae-cli-colour-'));

async function run(...argv: string[]) {
  const logs: string[] = [];
  const errors: string[] = [];
  const code = await main(argv, { log: (s) => logs.push(s), error: (s) => errors.push(s) });
  return { code, stdout: logs.join('\n'), stderr: errors.join('\n') };
}

/** A 40×24 RGBA PNG: a red-to-blue gradient, bigger than the model and not square. */
function photo(): Uint8Array {
  const [w, h] = [40, 24];
  const data = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) [data[y * w + x], data[w * h + y * w + x], data[2 * w * h + y * w + x]] = [x / (w - 1), y / (h - 1), 1 - x / (w - 1)];
  return encodePng({ data, shape: [1, 3, h, w] });
}

describe('vae CLI with a colour model', () => {
  it('sample writes an RGB PNG whose pixels are the API grid in colour', async () => {
    const file = join(out, 'samples.png');
    const r = await run('sample', '--n', '4', '--seed', '1', '--out', file, '--model', fx.dir, '--device', 'cpu', '--scale', '1');
    expect(r.code).toBe(0);
    const bytes = readFileSync(file);
    expect(bytes[25]).toBe(2);
    const vae = await VAE.load(fx.dir, { device: 'cpu' });
    const expected = encodePng(tile(await vae.sample(4, { seed: 1 }), { cols: 2 }));
    await vae.dispose();
    expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
  });

  it('--scale enlarges every channel, not just red', async () => {
    const [one, two] = [join(out, 's1.png'), join(out, 's2.png')];
    expect((await run('sample', '--n', '1', '--seed', '3', '--out', one, '--model', fx.dir, '--scale', '1')).code).toBe(0);
    expect((await run('sample', '--n', '1', '--seed', '3', '--out', two, '--model', fx.dir, '--scale', '2')).code).toBe(0);
    const [a, b] = [decodePng(readFileSync(one)), decodePng(readFileSync(two))];
    expect([b.width, b.height]).toEqual([2 * a.width, 2 * a.height]);
    for (let y = 0; y < b.height; y++) {
      for (let x = 0; x < b.width; x++) {
        for (let k = 0; k < 4; k++) expect(b.data[(y * b.width + x) * 4 + k]).toBe(a.data[(Math.floor(y / 2) * a.width + Math.floor(x / 2)) * 4 + k]);
      }
    }
  });

  it('reconstruct and interpolate read a 40×24 colour PNG, centre-cropped and resized to 16×16', async () => {
    const input = join(out, 'photo.png');
    writeFileSync(input, photo());
    const recon = join(out, 'recon.png');
    expect((await run('reconstruct', '--in', input, '--out', recon, '--model', fx.dir, '--scale', '1')).code).toBe(0);
    const vae = await VAE.load(fx.dir, { device: 'cpu' });
    const x = fromImageData(decodePng(photo()), { shape: [3, 16, 16] });
    const expected = encodePng(await vae.reconstruct(x));
    await vae.dispose();
    expect(Buffer.from(readFileSync(recon)).equals(Buffer.from(expected))).toBe(true);
    const lerp = join(out, 'lerp.png');
    expect((await run('interpolate', '--from', input, '--to', input, '--steps', '3', '--out', lerp, '--model', fx.dir, '--scale', '1')).code).toBe(0);
    const grid = decodePng(readFileSync(lerp));
    expect([grid.width, grid.height]).toEqual([3 * 16 + 4 * 2, 16 + 2 * 2]);
  });

  it('restyle on a conditional colour model writes one colour image per class', async () => {
    const input = join(out, 'photo-c.png');
    writeFileSync(input, photo());
    const file = join(out, 'restyle.png');
    const r = await run('restyle', '--in', input, '--from', '0', '--out', file, '--model', cfx.dir, '--scale', '1');
    expect(r.code).toBe(0);
    const bytes = readFileSync(file);
    expect(bytes[25]).toBe(2);
    expect(decodePng(bytes).width).toBe(3 * 16 + 4 * 2);
  });

  it('--model @vae/model-emoji loads the installed package from the current folder', async () => {
    const project = mkdtempSync(join(tmpdir(), 'vae-cli-project-'));
    const installed = join(project, 'node_modules', '@vae', 'model-emoji');
    mkdirSync(installed, { recursive: true });
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model-emoji');
    for (const f of ['package.json', 'index.js', 'index.cjs', 'index.d.ts', 'scripts']) cpSync(join(pkg, f), join(installed, f), { recursive: true });
    const b = spawnSync(process.execPath, [join(installed, 'scripts', 'copy-model.mjs')], { env: { ...process.env, VAE_EMOJI_MODEL_DIR: fx.dir }, encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    const file = join(out, 'emoji.png');
    const cwd = process.cwd();
    process.chdir(project);
    try {
      const r = await run('sample', '--n', '4', '--seed', '1', '--out', file, '--model', '@vae/model-emoji', '--scale', '1');
      expect(r.code, r.stderr).toBe(0);
      const missing = await run('sample', '--n', '1', '--out', file, '--model', '@vae/model-nothing');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`vae: --model @vae/model-nothing: cannot load the package from ${process.cwd()} (MODULE_NOT_FOUND); install it (npm i @vae/model-nothing) or pass the model's folder`);
    } finally {
      process.chdir(cwd);
    }
    const vae = await VAE.load(fx.dir, { device: 'cpu' });
    const expected = encodePng(tile(await vae.sample(4, { seed: 1 }), { cols: 2 }));
    await vae.dispose();
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(expected))).toBe(true);
  });
});
