/**
 * End to end on a real trainer run: `train()` writes checkpoint.vaeckpt and
 * metrics.jsonl, `vae-export` turns them into models/<name>, and the files on
 * disk reproduce the checkpoint's tfjs forward pass on ONNX Runtime.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelManifest } from '@vae/sdk';
import { loadMnist, loadModel, train } from '@vae/trainer';
import { runCli } from '@vae/onnx-export';
import { expect, it } from 'vitest';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, runCpu } from './harness.js';

it('vae-export --checkpoint RUN --out models/mnist works on a real trainer checkpoint', async () => {
  const run = mkdtempSync(join(tmpdir(), 'vae-e2e-run-'));
  await train({ out: run, arch: 'small', epochs: 1, batch: 64, trainLimit: 256, testLimit: 128, backend: 'cpu', plots: false, log: () => {}, progress: null, command: 'vae-train --arch small --epochs 1 --train-limit 256' });
  const out = join(mkdtempSync(join(tmpdir(), 'vae-e2e-models-')), 'mnist');
  let stdout = '';
  const code = await runCli(['--checkpoint', run, '--out', out], { stdout: (t) => void (stdout += t), stderr: (t) => void (stdout += t) });
  console.log(stdout);
  expect(code).toBe(0);

  const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as ModelManifest;
  const lastEpoch = JSON.parse(readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!);
  expect(manifest).toMatchObject({ name: 'mnist', arch: 'small', latent: 32, dataset: 'mnist', training: { epochs: 1 } });
  expect(manifest.training.metrics!.testLoss).toBe(lastEpoch.testLoss);
  expect(manifest.training.command).toMatch(/^vae-train --arch small/);
  const enc = new Uint8Array(readFileSync(join(out, 'encoder.onnx')));
  const dec = new Uint8Array(readFileSync(join(out, 'decoder.onnx')));
  expect(createHash('sha256').update(enc).digest('hex')).toBe(manifest.graphs.encoder.sha256);

  const { model } = await loadModel(run);
  const n = 16;
  const images = Float32Array.from((await loadMnist()).test.images.subarray(0, n * 784), (v) => v / 255);
  const { mu, logvar } = model.encode(tf.tensor4d(images, [n, 28, 28, 1]));
  const logits = model.decodeLogits(mu);
  const x = tf.sigmoid(logits);
  const [e] = await runCpu(enc, [{ x: nhwcToNchw(images, [n, 28, 28, 1]) }]);
  const [d] = await runCpu(dec, [{ z: e.mu }]);
  const diffs = {
    mu: maxAbsDiff(e.mu.data, (await mu.data()) as Float32Array),
    logvar: maxAbsDiff(e.logvar.data, (await logvar.data()) as Float32Array),
    logits: maxAbsDiff(nchwToNhwc(d.logits), (await logits.data()) as Float32Array),
    x: maxAbsDiff(nchwToNhwc(d.x), (await x.data()) as Float32Array),
  };
  console.log(`e2e (trained checkpoint -> files on disk -> ort cpu) max diffs: ${JSON.stringify(diffs)}`);
  expect(diffs.mu).toBeLessThanOrEqual(1e-5);
  expect(diffs.logvar).toBeLessThanOrEqual(1e-5);
  expect(diffs.logits).toBeLessThanOrEqual(1e-4);
  expect(diffs.x).toBeLessThanOrEqual(1e-5);
  model.dispose();
});

it.each([13, 17, 19, 21])('ONNX Runtime runs the opset %i export with the same results as opset 17', async (opset) => {
  const { buildExport } = await import('@vae/onnx-export');
  const { makeCheckpoint } = await import('../../packages/onnx-export/test/fixtures.js');
  const ckpt = makeCheckpoint({ arch: 'small', seed: 3 });
  const a = buildExport(ckpt, { opset: 17 });
  const b = buildExport(ckpt, { opset });
  expect(b.manifest.onnx.opset).toBe(opset);
  const z = { data: Float32Array.from({ length: 4 * 32 }, (_, i) => Math.sin(i)), dims: [4, 32] };
  const [[da], [db]] = await Promise.all([runCpu(a.decoder, [{ z }]), runCpu(b.decoder, [{ z }])]);
  expect(maxAbsDiff(da.x.data, db.x.data)).toBeLessThanOrEqual(1e-6);
  const img = { data: Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 7) / 7), dims: [2, 1, 28, 28] };
  const [[ea], [eb]] = await Promise.all([runCpu(a.encoder, [{ x: img }]), runCpu(b.encoder, [{ x: img }])]);
  expect(maxAbsDiff(ea.mu.data, eb.mu.data)).toBeLessThanOrEqual(1e-6);
});
