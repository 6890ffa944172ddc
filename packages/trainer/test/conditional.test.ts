import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';
import { train, TrainOptionsError } from '../src/train/train.js';
import type { TrainOptions } from '../src/train/train.js';
import { evaluate } from '../src/train/evaluate.js';
import { DatasetError, idxFilesSpec, limitSplit, loadMnist } from '../src/data/datasets.js';
import { ConditionError, createVaeModel, oneHotLabels } from '../src/model/vae.js';
import { TrainStep, ADAM_DEFAULTS } from '../src/train/train-step.js';
import { selectBackend } from '../src/backend/select-backend.js';

const quiet = { log: () => {}, progress: null, plots: false, backend: 'cpu' as const };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'mlp', channels: [32], latent: 4, batch: 64, trainLimit: 256, testLimit: 64, seed: 3, conditional: true, ...quiet };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-cvae-'));
const losses = (h: { trainLoss: number; testLoss: number; trainKL: number }[]) => h.map((m) => [m.trainLoss, m.trainKL, m.testLoss]);

/** Writes an IDX image/label pair of `labels.length` random 28x28 images. */
function idxPair(dir: string, prefix: string, labels: number[]): [string, string] {
  const n = labels.length;
  const img = Buffer.alloc(16 + n * 784);
  img.writeUInt32BE(0x803, 0);
  img.writeUInt32BE(n, 4);
  img.writeUInt32BE(28, 8);
  img.writeUInt32BE(28, 12);
  for (let i = 16; i < img.length; i++) img[i] = (i * 2654435761) >>> 24;
  const lab = Buffer.alloc(8 + n);
  lab.writeUInt32BE(0x801, 0);
  lab.writeUInt32BE(n, 4);
  labels.forEach((l, i) => (lab[8 + i] = l));
  const [fi, fl] = [join(dir, `${prefix}-images`), join(dir, `${prefix}-labels`)];
  writeFileSync(fi, img);
  writeFileSync(fl, lab);
  return [fi, fl];
}

function idxDataset(trainLabels: number[], testLabels: number[]): { spec: string; trainLabels: string; testLabels: string } {
  const dir = tmp();
  const [ti, tl] = idxPair(dir, 'train', trainLabels);
  const [vi, vl] = idxPair(dir, 'test', testLabels);
  return { spec: idxFilesSpec({ trainImages: ti, trainLabels: tl, testImages: vi, testLabels: vl }), trainLabels: tl, testLabels: vl };
}

describe('vae-train --conditional', () => {
  it('stores a 10-class condition for mnist in the checkpoint, and resumes to the losses of an uninterrupted run', async () => {
    const straight = await train({ ...tiny, out: tmp(), epochs: 2 });
    expect(straight.spec.condition).toEqual({ kind: 'one-hot', classes: 10 });
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1 });
    const ck = await readCheckpoint(dir);
    expect(ck.header.arch.config.classes).toBe(10);
    expect(ck.header.arch.condition).toEqual({ kind: 'one-hot', classes: 10 });
    // --resume alone carries the condition: no flag has to be repeated.
    const resumed = await train({ out: dir, epochs: 2, resume: true, ...quiet });
    expect(resumed.spec.condition?.classes).toBe(10);
    expect(losses(resumed.history)).toEqual(losses(straight.history));
  });

  it('trains a conditional small and base as well as mlp (loss finite, heads widened by the 10 label columns)', async () => {
    for (const arch of ['small', 'base'] as const) {
      const r = await train({ ...tiny, arch, channels: undefined, latent: undefined, trainLimit: 64, testLimit: 32, out: tmp(), epochs: 1 });
      expect(r.spec.encoder.mu.inFeatures).toBe(buildArchSpec({ arch }).encoder.mu.inFeatures + 10);
      expect(Number.isFinite(r.history[0].testLoss)).toBe(true);
    }
  });

  it('refuses to resume an unconditional checkpoint as a conditional one, and the reverse', async () => {
    const plain = tmp();
    await train({ ...tiny, conditional: undefined, out: plain, epochs: 1 });
    const e1 = await train({ out: plain, epochs: 2, resume: true, conditional: true, ...quiet }).catch((e) => e);
    expect(e1).toBeInstanceOf(CheckpointError);
    expect(e1.message).toMatch(/checkpoint holds an unconditional model, but the options ask for --conditional/);
    const cond = tmp();
    await train({ ...tiny, out: cond, epochs: 1 });
    const e2 = await train({ out: cond, epochs: 2, resume: true, conditional: false, ...quiet }).catch((e) => e);
    expect(e2.message).toMatch(/checkpoint holds a conditional model \(10 classes\), but the options ask for an unconditional one/);
  });

  it('takes the class count of IDX files from their largest label + 1', async () => {
    const d = idxDataset([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 3, 4, 5], [0, 12, 5, 7]);
    const r = await train({ ...tiny, trainLimit: undefined, testLimit: undefined, dataset: d.spec, out: tmp(), epochs: 1 });
    expect(r.spec.condition?.classes).toBe(13);
  });

  it('feeds each training image its own label: the same images under other labels train differently', async () => {
    const labels = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3];
    const a = idxDataset(labels, [0, 1, 2, 3]);
    const b = idxDataset(labels.map((l) => 3 - l), [0, 1, 2, 3]);
    const run = (spec: string) => train({ ...tiny, batch: 8, trainLimit: undefined, testLimit: undefined, dataset: spec, out: tmp(), epochs: 1 });
    const [ra, rb] = [await run(a.spec), await run(b.spec)];
    expect(ra.history[0].trainLoss).not.toBe(rb.history[0].trainLoss);
  });

  it('rejects an IDX label at or above --classes K, naming the file and the index', async () => {
    const d = idxDataset([0, 1, 2, 1, 0, 2, 1, 0], [0, 1, 3, 1]);
    const e = await train({ ...tiny, trainLimit: undefined, testLimit: undefined, dataset: d.spec, classes: 3, out: tmp(), epochs: 1 }).catch((x) => x);
    expect(e.name).toBe('IdxError');
    expect(e.message).toContain(d.testLabels);
    expect(e.message).toMatch(/label 3 at index 2 is out of range; expected 0\.\.2 \(3 classes\)/);
  });

  it('rejects --classes that disagrees with mnist, and --classes without --conditional', async () => {
    const e = await train({ ...tiny, classes: 12, out: tmp(), epochs: 1 }).catch((x) => x);
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/--classes 12: mnist has 10 classes/);
    const e2 = await train({ ...tiny, conditional: undefined, classes: 10, out: tmp(), epochs: 1 }).catch((x) => x);
    expect(e2).toBeInstanceOf(TrainOptionsError);
    expect(e2.message).toMatch(/--classes 10 needs --conditional/);
  });

  it('writes a class grid and a restyle grid each epoch instead of unconditional samples', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1, plots: true });
    for (const f of ['class-grid.png', 'restyle.png', 'reconstructions.png', 'loss.png']) expect(existsSync(join(dir, 'plots', f))).toBe(true);
    expect(existsSync(join(dir, 'plots', 'samples.png'))).toBe(false);
  });
});

describe('conditional model maths', () => {
  it('conditions the step, the evaluation and the IWAE bound on each image\'s own label', async () => {
    await selectBackend('cpu');
    const spec = buildArchSpec({ arch: 'mlp', channels: [16], latent: 3, classes: 10 });
    const model = createVaeModel(spec, 5);
    const test = limitSplit((await loadMnist()).test, 40);
    const relabelled = { ...test, labels: test.labels.map((l) => (l + 1) % 10) };
    const opts = { recon: 'bernoulli' as const, seed: 9, iwSamples: 8 };
    const [own, other] = [await evaluate(model, test, opts), await evaluate(model, relabelled, opts)];
    // Same images and noise; only y differs, so any difference comes from the label reaching both networks.
    expect(own.loss).not.toBe(other.loss);
    expect(own.iwNll).not.toBe(other.iwNll);
    const step = new TrainStep(model, { lr: 1e-3, ...ADAM_DEFAULTS });
    const x = new Float32Array(4 * 784).fill(0.5);
    const noise = new Float32Array(4 * 3);
    await expect(step.step(x, 4, noise, 1)).rejects.toThrow(ConditionError);
    await expect(step.step(x, 4, noise, 1)).rejects.toThrow(/conditional on 10 classes; pass one-hot labels y \[N,10\]/);
    step.dispose();
    model.dispose();
  });

  it('oneHotLabels rejects a label outside 0..K-1 and an unconditional model refuses a label', () => {
    expect(() => oneHotLabels([0, 10], 10)).toThrow(/label 10 at index 1 is out of range; expected an integer in 0\.\.9/);
    const plain = createVaeModel(buildArchSpec({ arch: 'mlp', channels: [8], latent: 2 }), 1);
    const y = oneHotLabels([1], 10);
    expect(() => plain.decodeLogits(tf.zeros([1, 2]) as tf.Tensor2D, y)).toThrow(/unconditional; it takes no label/);
    y.dispose();
    plain.dispose();
  });
});
