import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_FILE } from '@vae/trainer/checkpoint';
import type { ModelManifest } from '@vae/sdk';
import { describe, expect, it } from 'vitest';
import type { ExportErrorCode } from '../src/index.js';
import { decodeModel, ExportError, exportCheckpoint } from '../src/index.js';
import type { FixtureOptions } from './fixtures.js';
import { fakeMetrics, makeCheckpointBytes } from './fixtures.js';

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
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /sha256 .* does not match/, out);
    writeFileSync(join(dir, CHECKPOINT_FILE), bytes.subarray(0, 1000));
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /truncated|bytes/, out);
    writeFileSync(join(dir, CHECKPOINT_FILE), 'hello');
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'checkpoint', /shorter than|magic/, out);
  });

  it('a checkpoint from another architecture version', async () => {
    const out = join(tmp(), 'o');
    const dir = runDir({ editSpec: (s) => void (s.archVersion = 99) });
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'arch-version', /architecture version 99, expected 1/, out);
  });

  it('an unsupported layer', async () => {
    const out = join(tmp(), 'o');
    // A layer kind the exporter does not know; its tensors are present so the checkpoint itself is valid.
    const dir = runDir({
      editSpec: (s) => {
        s.decoder.splice(2, 0, { kind: 'batchNorm', name: 'decoder/bn', inChannels: 32, outChannels: 32, kernelSize: 1 } as never);
      },
      editParams: (p) => {
        p.set('decoder/bn/kernel', new Float32Array(32 * 32));
        p.set('decoder/bn/bias', new Float32Array(32));
      },
    });
    await expectFailure(() => exportCheckpoint({ checkpoint: dir, out }), 'unsupported-layer', /decoder\/bn: kind "batchNorm" is not supported/, out);
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
    mkdirSync(join(out, 'decoder.onnx'), { recursive: true }); // renaming a file over a folder fails
    const err = await exportCheckpoint({ checkpoint: runDir(), out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('output');
    expect((err as ExportError).message).toMatch(/removed the 1 file\(s\) already written/);
    expect(readdirSync(out)).toEqual(['decoder.onnx']); // only the obstacle: no encoder.onnx, no temp files
  });
});
