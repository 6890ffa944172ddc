import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, promises as fsp, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_FILE } from '@vae/format/checkpoint';
import type { ModelManifest } from '@vae/format';
import { parseManifest } from '@vae/format';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportErrorCode } from '../src/index.js';
import { buildExport, decodeModel, ExportError, exportCheckpoint, validateModelBytes } from '../src/index.js';
import type { FixtureOptions } from './fixtures.js';
import { fakeMetrics, makeCheckpoint, makeCheckpointBytes } from './fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vae-export-test-'));

function runDir(opts: FixtureOptions = {}, metrics = true): string {
  const dir = tmp();
  writeFileSync(join(dir, CHECKPOINT_FILE), makeCheckpointBytes(opts));
  if (metrics) writeFileSync(join(dir, 'metrics.jsonl'), [1, 2, 3].map((e) => JSON.stringify(fakeMetrics(e))).join('\n') + '\n{"torn');
  return dir;
}

async function expectFailure(run: () => Promise<unknown>, code: ExportErrorCode, message: RegExp, out: string) {
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExportError);
  expect((err as ExportError).code).toBe(code);
  expect((err as ExportError).message).toMatch(message);
  let left: string[] = [];
  try {
    left = readdirSync(out);
  } catch {
    // out does not exist: nothing written
  }
  expect(left).toEqual([]);
}

describe('exportCheckpoint', () => {
  it('writes encoder.onnx, decoder.onnx and a manifest that describes them', async () => {
    const out = join(tmp(), 'mnist');
    const lines: string[] = [];
    const r = await exportCheckpoint({ checkpoint: runDir(), out, onProgress: (l) => lines.push(l) });
    expect(readdirSync(out).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'model.json']);
    const m = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as ModelManifest;
    expect(m).toEqual(r.manifest);
    // What the exporter writes is what the SDK's validator accepts: one schema.
    expect(parseManifest(readFileSync(join(out, 'model.json')))).toEqual(m);
    for (const g of [m.graphs.encoder, m.graphs.decoder]) {
      const bytes = readFileSync(join(out, g.file));
      expect(g.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(g.bytes).toBe(bytes.length);
    }
    expect(m).toMatchObject({
      format: 'vae-onnx-model',
      formatVersion: 1,
      name: 'mnist',
      arch: 'small',
      latent: 32,
      imageShape: [1, 28, 28],
      dataset: 'mnist',
      precision: 'fp32',
      training: { epochs: 3, metrics: { testLoss: 115, testRecon: 95, testKL: 20, epoch: 3, trainSeconds: 37.5, steps: 1407 } },
      onnx: { opset: 17, irVersion: 8, producer: { name: '@vae/onnx-export', version: '0.1.0' } },
    });
    expect(m.archConfig).toMatchObject({ arch: 'small', latent: 32, channels: [8, 16, 32], kernel: 3 });
    expect(m.graphs.encoder.inputs).toEqual([{ name: 'x', shape: ['N', 1, 28, 28], dtype: 'float32' }]);
    expect(m.graphs.encoder.outputs).toEqual([
      { name: 'mu', shape: ['N', 32], dtype: 'float32' },
      { name: 'logvar', shape: ['N', 32], dtype: 'float32' },
    ]);
    expect(m.graphs.decoder.outputs.map((o) => o.name)).toEqual(['x', 'logits']);
    expect(Date.parse(m.createdAt)).toBeGreaterThan(0);
    // metadata_props repeats the key manifest fields
    const meta = Object.fromEntries(decodeModel(readFileSync(join(out, 'decoder.onnx'))).metadata_props!.map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({ 'vae.arch': 'small', 'vae.latent': '32', 'vae.dataset': 'mnist', 'vae.epochs': '3', 'vae.test_loss': '115', 'vae.precision': 'fp32', 'vae.graph': 'decoder', 'vae.image_shape': '[1,28,28]' });
    expect(lines.join('\n')).toMatch(/encoder: \d+ nodes.*valid[\s\S]*wrote .*model.json/);
  });

  it('falls back to the checkpoint metrics without metrics.jsonl; fp16 halves the files', async () => {
    const dir = runDir({ arch: 'mlp' }, false);
    const a = await exportCheckpoint({ checkpoint: dir, out: join(tmp(), 'a') });
    const b = await exportCheckpoint({ checkpoint: join(dir, CHECKPOINT_FILE), out: join(tmp(), 'b'), precision: 'fp16', opset: 21, name: 'half' });
    expect(a.manifest.training.metrics!.testLoss).toBe(115);
    expect(b.manifest).toMatchObject({ name: 'half', precision: 'fp16', onnx: { opset: 21, irVersion: 10 } });
    expect(b.manifest.graphs.decoder.outputs[0].dtype).toBe('float32');
    expect(b.manifest.graphs.decoder.bytes / a.manifest.graphs.decoder.bytes).toBeLessThan(0.52);
  });

  it('takes the test metrics from the checkpoint when metrics.jsonl is an epoch behind (a kill between the two writes)', async () => {
    const dir = runDir();
    writeFileSync(join(dir, 'metrics.jsonl'), [1, 2].map((e) => JSON.stringify(fakeMetrics(e))).join('\n') + '\n');
    const lines: string[] = [];
    const r = await exportCheckpoint({ checkpoint: dir, out: join(tmp(), 'm'), onProgress: (l) => lines.push(l) });
    expect(r.manifest.training.metrics).toMatchObject({ epoch: 3, testLoss: fakeMetrics(3).testLoss, trainSeconds: 37.5 });
    expect(lines.join('\n')).toContain(`${join(dir, 'metrics.jsonl')} ends at epoch 2, the checkpoint at epoch 3`);
  });

  it('refuses a mid-epoch checkpoint, whose weights no test metrics describe', () => {
    const position = { epoch: 3, batchesDone: 95, imagesSeen: 12160, sumRecon: 1e6, sumKl: 2e5, trainSeconds: 9.5, noiseRng: [1, 2, 3, 4, null] as [number, number, number, number, null] };
    const err = (() => {
      try {
        buildExport(makeCheckpoint({ position }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('checkpoint');
    expect((err as Error).message).toBe('the checkpoint was written mid-epoch (epoch 4, after 95 batches), so no test metrics describe its weights; finish the epoch with vae-train --resume, then export');
  });

  it("names a folder dataset by the folder's name, not the maintainer's absolute path", () => {
    for (const [stored, shown] of [
      ['/home/alice/data/my-digits', 'my-digits'],
      ['/home/alice/data/my-digits/', 'my-digits'],
      ['C:\\Users\\alice\\digits', 'digits'],
      ['mnist', 'mnist'],
    ]) {
      const { manifest, encoder } = buildExport(makeCheckpoint({ dataset: stored }), { createdAt: new Date(0) });
      expect(manifest.dataset, stored).toBe(shown);
      expect(Buffer.from(encoder).includes(Buffer.from('alice')), stored).toBe(false);
    }
  });

  it('buildExport refuses metrics whose last epoch is not the checkpoint\'s', () => {
    const ckpt = makeCheckpoint();
    let err: unknown;
    try {
      buildExport(ckpt, { metrics: [fakeMetrics(1), fakeMetrics(2)] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('checkpoint');
    expect((err as ExportError).message).toBe('the metrics given end at epoch 2 but the checkpoint holds epoch 3; they do not describe these weights');
  });

  it('a missing checkpoint', async () => {
    const out = join(tmp(), 'o');
    await expectFailure(() => exportCheckpoint({ checkpoint: join(tmp(), 'nope'), out }), 'checkpoint', /no checkpoint: path does not exist/, out);
    await expectFailure(() => exportCheckpoint({ checkpoint: tmp(), out }), 'checkpoint', /no checkpoint.vaeckpt in this directory/, out);
  });

  it('a corrupt or truncated checkpoint', async () => {
    const out = join(tmp(), 'o');
    const dir = runDir();
    const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(join(dir, CHECKPOINT_FILE), bytes);
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /file sha256 .* does not match the stored/, out);
    writeFileSync(join(dir, CHECKPOINT_FILE), bytes.subarray(0, 1000));
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /does not match the stored .*damaged or truncated/, out);
    writeFileSync(join(dir, CHECKPOINT_FILE), 'hello');
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /shorter than|magic/, out);
  });

  it('a checkpoint from another architecture version', async () => {
    const out = join(tmp(), 'o');
    const dir = runDir({ editSpec: (s) => void (s.archVersion = 99) });
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'arch-version', /header field arch\.archVersion: expected architecture version 1, got 99/, out);
  });

  it('an unsupported layer: a checkpoint file with one is refused by its schema, a spec with one by the translator', async () => {
    const out = join(tmp(), 'o');
    const editSpec = (s: Parameters<NonNullable<FixtureOptions['editSpec']>>[0]) => {
      s.decoder.splice(2, 0, { kind: 'batchNorm', name: 'decoder/bn', inChannels: 32, outChannels: 32, kernelSize: 1 } as never);
    };
    const dir = runDir({ editSpec });
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /header field arch\.decoder\[2\]\.kind: expected one of "conv2d", .*got "batchNorm"/, out);
    // In memory, past the file checks, the translator still names the layer it cannot translate.
    const ckpt = makeCheckpoint();
    editSpec(ckpt.header.arch);
    let err: unknown;
    try {
      buildExport(ckpt);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('unsupported-layer');
    expect((err as ExportError).message).toMatch(/decoder\/bn: kind "batchNorm" is not supported/);
  });

  it('NaN weights', async () => {
    const out = join(tmp(), 'o');
    const dir = runDir({ editParams: (p) => void (p.get('encoder/conv2/kernel')![10] = NaN) });
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'non-finite', /encoder\/conv2\/kernel has a non-finite value \(NaN\) at flat index 10/, out);
  });

  it('an output folder that is not writable', async () => {
    const base = tmp();
    writeFileSync(join(base, 'file'), 'x');
    const out = join(base, 'file', 'model');
    await expectFailure(() => exportCheckpoint({ checkpoint: runDir(), out }), 'output', /cannot write to output folder/, out);
    await expectFailure(() => exportCheckpoint({ checkpoint: runDir(), out: join(base, 'file') }), 'output', /not a directory/, join(base, 'nothing'));
  });

  it('a write that fails half-way leaves no partial export', async () => {
    const out = join(tmp(), 'o');
    mkdirSync(join(out, 'decoder.onnx'), { recursive: true }); // a folder where a graph file should go
    const err = await exportCheckpoint({ checkpoint: runDir(), out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('output');
    expect((err as ExportError).message).toMatch(/decoder.onnx exists and is not a regular file; nothing was changed/);
    expect(readdirSync(out)).toEqual(['decoder.onnx']); // only the obstacle: no encoder.onnx, no temp files
  });
});

/** The folder's files with their bytes. */
const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));

/** The export in `dir` is complete and self-consistent: manifest hashes match and both graphs validate. */
function expectLoadable(dir: string, precision: 'fp32' | 'fp16') {
  expect(readdirSync(dir).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'model.json']);
  const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelManifest;
  expect(m.precision).toBe(precision);
  for (const g of [m.graphs.encoder, m.graphs.decoder]) {
    const bytes = readFileSync(join(dir, g.file));
    expect(createHash('sha256').update(bytes).digest('hex'), g.file).toBe(g.sha256);
    expect(validateModelBytes(bytes).ok, g.file).toBe(true);
  }
}

describe('exportCheckpoint over an existing export replaces the three files all-or-nothing', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Makes the rename onto `target` fail once (the commit step of the file set). */
  function failRenameOnto(target: string) {
    const real = fsp.rename.bind(fsp);
    const calls: string[] = [];
    vi.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      calls.push(String(to));
      if (String(to) === target) throw Object.assign(new Error(`EIO: injected failure, rename onto ${target}`), { code: 'EIO' });
      return real(from, to);
    });
    return calls;
  }

  it.each([
    ['decoder.onnx', '2nd'],
    ['model.json', '3rd'],
  ])('a failure renaming %s (the %s rename) restores the old export, leaving no temp or backup files', async (file) => {
    const checkpoint = runDir();
    const out = join(tmp(), 'mnist');
    await exportCheckpoint({ checkpoint, out });
    expectLoadable(out, 'fp32');
    const before = snapshot(out);

    const calls = failRenameOnto(join(out, file));
    const err = await exportCheckpoint({ checkpoint, out, precision: 'fp16' }).catch((e: unknown) => e);
    expect(calls.filter((c) => !c.endsWith('.staged'))).toContain(join(out, 'encoder.onnx')); // the new encoder did replace the old one first
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('output');
    expect((err as ExportError).message).toMatch(/injected failure.*; the previous files were restored/);
    vi.restoreAllMocks();

    expect(snapshot(out)).toEqual(before); // byte for byte, and nothing else in the folder
    expectLoadable(out, 'fp32');
    // and a retry succeeds
    await exportCheckpoint({ checkpoint, out, precision: 'fp16' });
    expectLoadable(out, 'fp16');
  });

  it('a failure on a fresh folder leaves it empty', async () => {
    const out = join(tmp(), 'fresh');
    failRenameOnto(join(out, 'model.json'));
    const err = await exportCheckpoint({ checkpoint: runDir(), out }).catch((e: unknown) => e);
    expect((err as ExportError).code).toBe('output');
    expect(readdirSync(out)).toEqual([]);
  });

  it('a successful re-export replaces all three files and leaves no backups', async () => {
    const checkpoint = runDir();
    const out = join(tmp(), 'mnist');
    await exportCheckpoint({ checkpoint, out });
    await exportCheckpoint({ checkpoint, out, precision: 'fp16' });
    expectLoadable(out, 'fp16');
  });
});
