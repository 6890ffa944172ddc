/**
 * End to end on a real conditional trainer run: `train({ conditional: true })`
 * writes a CVAE checkpoint, `vae-export --class-names` turns it into graphs
 * with a y input and a manifest with `condition`, and the files on disk
 * reproduce the checkpoint's tfjs forward pass with labels on ONNX Runtime.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parseManifest } from '@vae/format';
import { loadMnist, loadModel, oneHotLabels, train } from '@vae/trainer';
import { runCli } from '@vae/onnx-export';
import { expect, it } from 'vitest';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, runCpu } from './harness.js';

it('vae-export --class-names on a real vae-train --conditional checkpoint: y inputs, condition entry, and ORT matches tfjs with labels', async () => {
  const run = mkdtempSync(join(tmpdir(), 'vae-cvae-e2e-run-'));
  await train({ out: run, arch: 'small', conditional: true, epochs: 1, batch: 64, trainLimit: 256, testLimit: 128, backend: 'cpu', plots: false, log: () => {}, progress: null, command: 'vae-train --arch small --conditional --epochs 1 --train-limit 256' });
  const out = join(mkdtempSync(join(tmpdir(), 'vae-cvae-e2e-models-')), 'mnist-cvae');
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  let stdout = '';
  const code = await runCli(['--checkpoint', run, '--out', out, '--class-names', names.join(',')], { stdout: (t) => void (stdout += t), stderr: (t) => void (stdout += t) });
  console.log(stdout);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^exported mnist-cvae: small, latent 32, conditional on 10 classes, fp32/m);

  const manifest = parseManifest(readFileSync(join(out, 'model.json')));
  expect(manifest.condition).toEqual({ type: 'class', classes: 10, names });
  expect(manifest.graphs.encoder.inputs).toEqual([
    { name: 'x', shape: ['N', 1, 28, 28], dtype: 'float32' },
    { name: 'y', shape: ['N', 10], dtype: 'float32' },
  ]);
  expect(manifest.graphs.decoder.inputs).toEqual([
    { name: 'z', shape: ['N', 32], dtype: 'float32' },
    { name: 'y', shape: ['N', 10], dtype: 'float32' },
  ]);
  const enc = new Uint8Array(readFileSync(join(out, 'encoder.onnx')));
  const dec = new Uint8Array(readFileSync(join(out, 'decoder.onnx')));

  const { model } = await loadModel(run);
  const n = 16;
  const mnist = await loadMnist();
  const images = Float32Array.from(mnist.test.images.subarray(0, n * 784), (v) => v / 255);
  const labels = Array.from(mnist.test.labels.subarray(0, n));
  const yT = oneHotLabels(labels, 10);
  const y = { data: (await yT.data()) as Float32Array, dims: [n, 10] };
  const { mu, logvar } = model.encode(tf.tensor4d(images, [n, 28, 28, 1]), yT);
  const logits = model.decodeLogits(mu, yT);
  const x = tf.sigmoid(logits);
  const [e] = await runCpu(enc, [{ x: nhwcToNchw(images, [n, 28, 28, 1]), y }]);
  const [d] = await runCpu(dec, [{ z: e.mu, y }]);
  const diffs = {
    mu: maxAbsDiff(e.mu.data, (await mu.data()) as Float32Array),
    logvar: maxAbsDiff(e.logvar.data, (await logvar.data()) as Float32Array),
    logits: maxAbsDiff(nchwToNhwc(d.logits), (await logits.data()) as Float32Array),
    x: maxAbsDiff(nchwToNhwc(d.x), (await x.data()) as Float32Array),
  };
  console.log(`conditional e2e (trained CVAE checkpoint -> files on disk -> ort cpu) max diffs: ${JSON.stringify(diffs)}`);
  // The unconditional e2e test's tolerances.
  expect(diffs.mu).toBeLessThanOrEqual(1e-5);
  expect(diffs.logvar).toBeLessThanOrEqual(1e-5);
  expect(diffs.logits).toBeLessThanOrEqual(1e-4);
  expect(diffs.x).toBeLessThanOrEqual(1e-5);
  model.dispose();
});
