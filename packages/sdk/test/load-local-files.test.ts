/**
 * Local model files (Node) are read only when they are regular files, and
 * never beyond the size model.json declares (or the 1 MiB cap on model.json
 * itself): a FIFO would block for ever, /dev/zero would fill memory, and a
 * graph much larger than declared used to be read whole before its length was
 * checked.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VAE, VAESourceError } from '../src/node.js';
import type { LoadProgress } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

const fx = fixtureModel();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the fixture folder, to damage. */
function copy(): string {
  const d = mkdtempSync(join(tmpdir(), 'vae-local-'));
  dirs.push(d);
  for (const f of ['model.json', 'encoder.onnx', 'decoder.onnx']) copyFileSync(join(fx.dir, f), join(d, f));
  return d;
}

async function fails(src: Parameters<typeof VAE.load>[0]): Promise<{ err: VAESourceError; ms: number }> {
  const t0 = performance.now();
  const err = await VAE.load(src, { device: 'cpu' }).then(
    (v) => (v.dispose(), new Error('loaded')),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VAESourceError);
  return { err: err as VAESourceError, ms: performance.now() - t0 };
}

describe('local files that are not regular files are refused', () => {
  it('a FIFO as model.json: refused at once instead of blocking for ever', { timeout: 10_000 }, async () => {
    const d = copy();
    rmSync(join(d, 'model.json'));
    execFileSync('mkfifo', [join(d, 'model.json')]);
    const { err, ms } = await fails(d);
    expect(err.message).toBe(`${d}/model.json is a FIFO, not a regular file; expected a folder with model.json, encoder.onnx and decoder.onnx`);
    expect(ms).toBeLessThan(1000);
  });

  it('/dev/zero as a graph: refused without reading from it', { timeout: 10_000 }, async () => {
    const { err } = await fails({ manifest: join(fx.dir, 'model.json'), encoder: '/dev/zero', decoder: join(fx.dir, 'decoder.onnx') });
    expect(err.message).toBe('/dev/zero is a character device, not a regular file; expected the encoder file');
  });

  it('a folder where a file should be', async () => {
    const { err } = await fails({ manifest: join(fx.dir, 'model.json'), encoder: fx.dir, decoder: join(fx.dir, 'decoder.onnx') });
    expect(err.message).toBe(`${fx.dir} is a directory, not a regular file; expected the encoder file`);
  });
});

describe('local reads are bounded by the declared size', () => {
  it('a graph larger than model.json declares is rejected from its size, without reading it', async () => {
    const d = copy();
    truncateSync(join(d, 'encoder.onnx'), 2 ** 31); // sparse 2 GiB: reading it would take seconds and 2 GiB of memory
    const { err, ms } = await fails(d);
    expect(err.message).toBe(`${d}/encoder.onnx is ${2 ** 31} bytes; expected at most ${fx.manifest.graphs.encoder.bytes} (as model.json declares): not read`);
    expect(ms).toBeLessThan(1000);
  });

  it('model.json over the 1 MiB cap is rejected without reading it', async () => {
    const d = copy();
    writeFileSync(join(d, 'model.json'), JSON.stringify({ ...fx.manifest, pad: ' '.repeat(2 << 20) }));
    const { err } = await fails(d);
    expect(err.message).toMatch(new RegExp(`^${d}/model\\.json is \\d+ bytes; expected at most 1048576 \\(the 1 MiB cap on model\\.json\\): not read$`));
  });

  it('a graph smaller than declared is still a truncated model', async () => {
    const d = copy();
    truncateSync(join(d, 'decoder.onnx'), 100);
    const err = await VAE.load(d).catch((e) => e);
    expect(err.name).toBe('VAEModelError');
    expect(err.message).toBe(`decoder.onnx is 100 bytes, expected ${fx.manifest.graphs.decoder.bytes} as model.json says (truncated?)`);
  });

  it('reports each local file once, when read', async () => {
    const events: LoadProgress[] = [];
    const v = await VAE.load(fx.dir, { device: 'cpu', onProgress: (p) => events.push(p) });
    await v.dispose();
    const m = fx.manifest.graphs;
    expect(events.map((e) => e.file).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'model.json']);
    expect(events.find((e) => e.file === 'encoder.onnx')).toEqual({ file: 'encoder.onnx', loaded: m.encoder.bytes, total: m.encoder.bytes });
  });
});
