/**
 * Issue 8, point 6: every bad input gets a typed error that names what was
 * wrong and what was expected, instead of a raw TypeError, a silent zero or a
 * NaN image.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { ImageBatch } from '../src/node.js';
import { VAE, VAEInputError, VAEModelError, VAESourceError, encodePng, fromImageData, gaussianLatents, imagesFromPng, lerp, slerp, tile } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel();
const cores = availableParallelism();

async function cli(...argv: string[]) {
  const logs: string[] = [];
  const errors: string[] = [];
  const code = await main(argv, { log: (s) => logs.push(s), error: (s) => errors.push(s) });
  return { code, stdout: logs.join('\n'), stderr: errors.join('\n') };
}

/** Runs `f` and returns what it threw (synchronously or as a rejection). */
async function thrown(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

const digit: ImageBatch = { data: new Float32Array(784).fill(0.5), shape: [1, 1, 28, 28] };
const pixels = { data: new Uint8ClampedArray(8 * 8 * 4).fill(255), width: 8, height: 8 };

describe('typed errors for bad inputs', () => {
  let vae: VAE;
  beforeAll(async () => {
    vae = await VAE.load(fx.dir, { device: 'cpu' });
  });
  afterAll(() => vae?.dispose());

  it('VAE.load(123) is a VAESourceError naming the accepted sources, not "path.endsWith is not a function"', async () => {
    const e = await thrown(() => VAE.load(123 as never));
    expect(e).toBeInstanceOf(VAESourceError);
    expect(e.message).toMatch(/^VAE\.load: source must be a folder or URL string, a URL, \{ manifest, encoder, decoder \} \(bytes or URLs\), or omitted for the bundled model; got 123$/);
  });

  it('manifold(5, { range: 2 }) names the option and the expected pair', async () => {
    const e = await thrown(() => vae.manifold(5, { range: 2 as never }));
    expect(e).toBeInstanceOf(VAEInputError);
    expect(e.message).toBe('vae.manifold: option range must be a pair of finite numbers [a, b], got 2 (number)');
  });

  it('tile and encodePng of a bare Float32Array say an ImageBatch is expected', async () => {
    for (const [name, f] of [
      ['tile', () => tile(new Float32Array(784) as never)],
      ['encodePng', () => encodePng(new Float32Array(784) as never)],
    ] as const) {
      const e = await thrown(f);
      expect(e).toBeInstanceOf(VAEInputError);
      expect(e.message).toMatch(new RegExp(`^${name} expects an ImageBatch \\{ data: Float32Array, shape: \\[N, C, H, W\\] \\}.*got a Float32Array of length 784; wrap raw pixels as \\{ data, shape: \\[N, C, H, W\\] \\}$`));
    }
    const e = await thrown(() => tile({ data: new Float32Array(10), shape: [1, 1, 28, 28] }));
    expect(e.message).toBe('tile: shape [1, 1, 28, 28] needs 784 values but data has 10');
  });

  it('lerp and slerp of latents of different lengths throw instead of returning zeros', async () => {
    for (const [name, f] of [
      ['lerp', lerp],
      ['slerp', slerp],
    ] as const) {
      const e = await thrown(() => f(new Float32Array(3), new Float32Array(4), 0.5));
      expect(e).toBeInstanceOf(VAEInputError);
      expect(e.message).toBe(`${name}(a, b, t): a has 3 values and b has 4; expected two latents of the same length`);
    }
    expect((await thrown(() => lerp(new Float32Array(2), new Float32Array(2), NaN))).message).toMatch(/t must be a finite number/);
  });

  it('sample(4, { temperature: 1e308 }) is refused before latents overflow float32', async () => {
    const e = await thrown(() => vae.sample(4, { temperature: 1e308 }));
    expect(e).toBeInstanceOf(VAEInputError);
    expect(e.message).toMatch(/^temperature 1e\+308 would make latents overflow float32 .*; expected a temperature in \[0, 5e\+37\]/);
  });

  it('NaN from a graph is a VAEModelError naming the graph, not a NaN image', async () => {
    // Finite float32 latents of both signs: their products overflow to +∞ and −∞ inside the decoder, which sum to NaN.
    const z = Float32Array.from({ length: vae.latent }, (_, i) => (i % 2 ? 3e38 : -3e38));
    const e = await thrown(() => vae.decode(z));
    expect(e).toBeInstanceOf(VAEModelError);
    expect(e.message).toMatch(/^the decoder graph \(decoder\.onnx\) returned NaN in output "x" at index \d+ \(item 0\) from finite inputs; expected finite values/);
    // The shipped model overflows inside at the largest temperature the generator allows: an error, not a black PNG.
    const shipped = await VAE.load(undefined, { device: 'cpu' });
    const s = await thrown(() => shipped.sample(2, { seed: 1, temperature: 4e37 }));
    await shipped.dispose();
    expect(s).toBeInstanceOf(VAEModelError);
    expect(s.message).toMatch(/^the decoder graph \(decoder\.onnx\) returned NaN in output "x" at index \d+ \(item 1\)/);
  });

  it('unknown option keys are refused with the valid keys and the closest one', async () => {
    const load = await thrown(() => VAE.load(fx.dir, { devise: 'cuda' } as never));
    expect(load).toBeInstanceOf(VAEInputError);
    expect(load.message).toBe('VAE.load: unknown option "devise" (did you mean "device"?); valid options are device, dtype, threads, batchSize, wasm, signal, timeoutMs, onProgress, worker, cache, lazyEncoder');
    expect((await thrown(() => vae.sample(1, { sead: 1 } as never))).message).toBe('vae.sample: unknown option "sead" (did you mean "seed"?); valid options are seed, temperature, label');
    expect((await thrown(() => fromImageData(pixels, { invrt: true } as never))).message).toMatch(/^fromImageData: unknown option "invrt" \(did you mean "invert"\?\); valid options are prepare, invert, size, shape, background$/);
    expect((await thrown(() => gaussianLatents(1, 4, { temprature: 2 } as never))).message).toBe('gaussianLatents: unknown option "temprature" (did you mean "temperature"?); valid options are seed, temperature');
    expect((await thrown(() => tile(digit, { col: 2 } as never))).message).toMatch(/^tile: unknown option "col" \(did you mean "cols"\?\)/);
    expect((await thrown(() => vae.interpolate(digit, digit, { stpes: 3 } as never))).message).toMatch(/unknown option "stpes" \(did you mean "steps"\?\); valid options are steps, method, input, labels$/);
  });

  it('option values of the wrong type are refused, naming the key, the value and the type', async () => {
    const rec = await thrown(() => vae.reconstruct(digit, { sample: 'yes' } as never));
    expect(rec).toBeInstanceOf(VAEInputError);
    expect(rec.message).toBe('vae.reconstruct: option sample must be a boolean (true or false), got "yes" (string)');
    const inv = await thrown(() => fromImageData(pixels, { invert: 'never' } as never));
    expect(inv).toBeInstanceOf(VAEInputError);
    expect(inv.message).toBe(`fromImageData: option invert must be a boolean (true or false) or one of 'auto', got "never" (string)`);
    expect((await thrown(() => imagesFromPng(encodePng(digit), { prepare: 1 } as never))).message).toMatch(/option prepare must be a boolean/);
    expect((await thrown(() => VAE.load(fx.dir, { signal: 'stop' } as never))).message).toBe('VAE.load: option signal must be an AbortSignal, got "stop" (string)');
    expect((await thrown(() => VAE.load(fx.dir, { timeoutMs: -1 } as never))).message).toBe('VAE.load: option timeoutMs must be a positive number of milliseconds up to 2147483647, or Infinity, got -1 (number)');
    expect((await thrown(() => VAE.load(fx.dir, { onProgress: 5 } as never))).message).toBe('VAE.load: option onProgress must be a function, got 5 (number)');
    expect((await thrown(() => VAE.load(fx.dir, { device: 5 } as never))).message).toBe('VAE.load: option device must be a string, got 5 (number)');
    expect((await thrown(() => vae.sample(1, 'fast' as never))).message).toBe('vae.sample: options must be an object (or omitted), got "fast"');
  });

  it(`threads beyond 2 per core (${2 * cores} here) are refused, saying why`, async () => {
    const e = await thrown(() => VAE.load(fx.dir, { threads: 1000 }));
    expect(e).toBeInstanceOf(VAEInputError);
    expect(e.message).toBe(`threads must be a positive integer <= ${2 * cores}, got 1000 (2× the ${cores} cores here: more threads than cores only wait on each other and make every run slower)`);
    const ok = await VAE.load(fx.dir, { device: 'cpu', threads: 2 * cores });
    expect(ok.info.threads).toBe(2 * cores);
    await ok.dispose();
  });
});

describe('CLI errors are one line with a non-zero exit code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-bad-'));

  it('--out into a missing folder or onto a folder says so, before loading the model', async () => {
    const missing = await cli('sample', '--n', '4', '--seed', '1', '--model', fx.dir, '--out', '/nonexistent/dir/x.png');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('vae: cannot write --out /nonexistent/dir/x.png: folder /nonexistent/dir does not exist; create it first or pick another path');
    const folder = await cli('sample', '--n', '4', '--seed', '1', '--model', fx.dir, '--out', dir);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(`vae: cannot write --out ${dir}: it is a folder; expected a file path such as ${join(dir, 'samples.png')}`);
  });

  it('--temperature 1e308 exits 1 with a VAEInputError and writes no PNG', async () => {
    const file = join(dir, 'hot.png');
    const r = await cli('sample', '--n', '4', '--seed', '1', '--temperature', '1e308', '--model', fx.dir, '--device', 'cpu', '--out', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vae: VAEInputError: temperature 1e\+308 would make latents overflow float32/);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
  });

  it('--threads 1000 is a usage error naming the cap and the cores', async () => {
    const r = await cli('sample', '--n', '4', '--threads', '1000', '--model', fx.dir, '--out', join(dir, 't.png'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^vae: --threads must be in \\[1, ${2 * cores}\\] \\(2 per core on this ${cores}-core machine: more threads than cores only wait on each other and make every run slower\\), got 1000`));
  });

  it('reconstruct --raw skips the MNIST preparation', async () => {
    const input = join(dir, 'in.png');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(input, encodePng(digit));
    const r = await cli('reconstruct', '--in', input, '--raw', '--model', fx.dir, '--device', 'cpu', '--out', join(dir, 'r.png'));
    expect(r.code).toBe(0);
  });
});
