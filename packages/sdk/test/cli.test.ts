import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { decodePng, encodePng, VAE } from '../src/node.js';
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
    expect(unknown.stderr).toMatch(/unknown command "paint"; expected sample, interpolate, reconstruct or info/);
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
