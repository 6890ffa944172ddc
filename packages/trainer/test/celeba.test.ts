/**
 * The `celeba` architecture in the trainer (the seed's BatchNorm ConvVAE) at
 * tiny sizes: BatchNorm's running statistics are state that a training step
 * moves and Adam never touches, they travel in the checkpoint, a resume stays
 * bit-identical, and sizes that do not fit the architecture are refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArchConfigError, buildArchSpec } from '@vae/format';
import { readCheckpoint } from '@vae/format/checkpoint';
import { IDX_NAMES } from '../src/data/datasets.js';
import { createVaeModel, initParams, oneHotLabels } from '../src/model/vae.js';
import { NonFiniteLossError, TrainStep } from '../src/train/train-step.js';
import { checkBatchNormBatches } from '../src/train/check-batch-norm-batches.js';
import type { TrainOptions } from '../src/train/train.js';
import { TrainOptionsError, loadModel, train } from '../src/train/train.js';
import { InterruptedError } from '../src/train/interrupt.js';
import { freshCli } from './helpers/fresh-cli.js';
import { idx } from './helpers/idx-bytes.js';
import { stateHash } from './helpers/state-hash.js';

const quiet = { log: () => {}, progress: null, plots: false, backend: 'cpu' as const };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-celeba-'));
const losses = (h: { trainLoss: number; trainKL: number; testLoss: number }[]) => h.map((m) => [m.trainLoss, m.trainKL, m.testLoss]);
const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** A 28x28 grey IDX data set (40 train, 12 test images, 3 classes); IDX data are 28x28 until image folders land. */
function writeDataset(size = 28): string {
  const dir = join(tmp(), 'data');
  mkdirSync(dir, { recursive: true });
  let s = 3;
  const byte = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  for (const [split, n] of [['train', 40], ['test', 12]] as const) {
    writeFileSync(join(dir, IDX_NAMES[split][0]), idx([n, size, size], Uint8Array.from({ length: n * size * size }, byte)));
    writeFileSync(join(dir, IDX_NAMES[split][1]), idx([n], Uint8Array.from({ length: n }, (_, i) => i % 3)));
  }
  return dir;
}

const tiny = (dataset: string): Omit<TrainOptions, 'out'> => ({ arch: 'celeba', latent: 4, channels: [4, 8], batch: 8, seed: 11, dataset, ...quiet });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('celeba model and TrainStep', () => {
  const spec = buildArchSpec({ arch: 'celeba', latent: 3, channels: [4, 8], imageShape: [8, 8, 3] });
  const n = 5;
  const x = Float32Array.from({ length: n * 8 * 8 * 3 }, (_, i) => (Math.sin(i * 1.7) + 1) / 2);
  const noise = Float32Array.from({ length: n * 3 }, (_, i) => Math.cos(i + 0.5));

  it('keeps BatchNorm running statistics out of Adam: non-trainable variables with no moments', async () => {
    const model = createVaeModel(spec, 2);
    const stepper = new TrainStep(model, ADAM);
    const state = [...model.params.keys()].filter((k) => /\/bn\/(mean|variance)$/.test(k));
    expect(state).toHaveLength(2 * 3); // conv1, conv2 and deconv1 (the last deconv has no BatchNorm)
    for (const k of model.params.keys()) expect(model.params.get(k)!.trainable).toBe(!state.includes(k));
    await stepper.step(x, n, noise, 1);
    const slots = (await stepper.getState()).slots;
    expect([...slots.keys()].filter((k) => k.includes('/bn/'))).toEqual(
      [...model.params.keys()].filter((k) => /\/bn\/(gamma|beta)$/.test(k)).flatMap((k) => [`${k}/m`, `${k}/v`]),
    );
    stepper.dispose();
    model.dispose();
  });

  it('moves the first layer running statistics to 0.9 * init + 0.1 * the batch mean and unbiased variance of conv1', async () => {
    const init = initParams(spec, 2);
    const model = createVaeModel(spec, 2);
    const stepper = new TrainStep(model, ADAM);
    // conv1 + bias written out independently of the model, on the initial weights.
    const v = tf.tidy(() =>
      tf.add(tf.conv2d(tf.tensor4d(x, [n, 8, 8, 3]), tf.tensor4d(init.get('encoder/conv1/kernel')!, [4, 4, 3, 4]), 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), tf.tensor1d(init.get('encoder/conv1/bias')!)),
    );
    const vals = Array.from(v.dataSync());
    const count = vals.length / 4;
    const mean = [0, 1, 2, 3].map((c) => vals.filter((_, i) => i % 4 === c).reduce((a, b) => a + b, 0) / count);
    const unbiased = [0, 1, 2, 3].map((c) => vals.filter((_, i) => i % 4 === c).reduce((a, b) => a + (b - mean[c]) ** 2, 0) / (count - 1));
    await stepper.step(x, n, noise, 1);
    const got = await model.readParams();
    [...got.get('encoder/conv1/bn/mean')!].forEach((g, c) => expect(g).toBeCloseTo(0.1 * mean[c], 6));
    [...got.get('encoder/conv1/bn/variance')!].forEach((g, c) => expect(g).toBeCloseTo(0.9 + 0.1 * unbiased[c], 5));
    stepper.dispose();
    model.dispose();
  });

  it('evaluates with the running statistics: an image encodes the same alone as in a batch', () => {
    const model = createVaeModel(spec, 4);
    const all = tf.tensor4d(x, [n, 8, 8, 3]);
    const first = tf.slice(all, [0, 0, 0, 0], [2, 8, 8, 3]) as tf.Tensor4D;
    const batchMu = Array.from(model.encode(all).mu.dataSync().slice(0, 6));
    Array.from(model.encode(first).mu.dataSync()).forEach((m, i) => expect(m).toBeCloseTo(batchMu[i], 6));
    // Training mode normalises by the batch: the same two images then encode differently.
    const pass = { updates: new Map<string, tf.Tensor>() };
    const trainMu = Array.from(model.encode(first, undefined, pass).mu.dataSync());
    expect(trainMu.some((m, i) => Math.abs(m - batchMu[i]) > 1e-3)).toBe(true);
    tf.dispose([...pass.updates.values()]);
    model.dispose();
  });

  it('a conditional celeba takes one-hot labels in encoder and decoder and trains', async () => {
    const cond = buildArchSpec({ ...spec.config, classes: 3 });
    const model = createVaeModel(cond, 6);
    const stepper = new TrainStep(model, ADAM);
    const r = await stepper.step(x, n, noise, 1, [0, 1, 2, 0, 1]);
    expect(Number.isFinite(r.objective)).toBe(true);
    const y = oneHotLabels([2], 3);
    expect(model.decodeLogits(tf.zeros([1, 3]) as tf.Tensor2D, y).shape).toEqual([1, 8, 8, 3]);
    stepper.dispose();
    model.dispose();
  });
});

describe('celeba training runs (two stages on 28x28 grey IDX data)', () => {
  it('stores BatchNorm state in the checkpoint params, not the optimizer, and loadModel restores it', async () => {
    const out = join(tmp(), 'run');
    const r = await train({ ...tiny(writeDataset()), out, epochs: 1 });
    expect(r.spec.config).toMatchObject({ arch: 'celeba', imageShape: [28, 28, 1], channels: [4, 8] });
    const ckpt = await readCheckpoint(out);
    const group = (name: string) => ckpt.header.tensors.find((t) => t.name === name)?.group;
    expect(group('encoder/conv1/bn/mean')).toBe('params');
    expect(group('decoder/deconv1/bn/variance')).toBe('params');
    expect(ckpt.header.tensors.some((t) => t.name.startsWith('encoder/conv1/bn/mean/'))).toBe(false);
    const saved = ckpt.tensors.get('encoder/conv1/bn/mean')!;
    // 5 steps have moved it away from its initial zeros.
    expect(saved.some((v) => v !== 0)).toBe(true);
    const { model } = await loadModel(out);
    const restored = await model.readParams();
    for (const name of ['encoder/conv1/bn/mean', 'encoder/conv2/bn/variance', 'decoder/deconv1/bn/mean']) {
      expect(Array.from(restored.get(name)!)).toEqual(Array.from(ckpt.tensors.get(name)!));
    }
    model.dispose();
  }, 120_000);

  it('resumes after an interrupt mid-epoch to the bit-identical run, BatchNorm state included', async () => {
    const data = writeDataset();
    const straightDir = join(tmp(), 'run');
    const straight = await train({ ...tiny(data), out: straightDir, epochs: 2 });
    const dir = join(tmp(), 'run');
    const ctl = new AbortController();
    const sink = {
      isTTY: true,
      write(s: string) {
        const m = /epoch (\d+)\/\d+ .* (\d+)\/\d+ \|/.exec(s);
        if (m && Number(m[1]) === 2 && Number(m[2]) >= 16 && !ctl.signal.aborted) ctl.abort('SIGINT');
      },
    };
    const err = await train({ ...tiny(data), out: dir, epochs: 2, signal: ctl.signal, progress: sink }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((await readCheckpoint(dir)).header.position).toMatchObject({ epoch: 1, batchesDone: 2 });
    const resumed = await train({ ...quiet, out: dir, epochs: 2, resume: true });
    expect(losses(resumed.history)).toEqual(losses(straight.history));
    expect(stateHash(await readCheckpoint(dir))).toBe(stateHash(await readCheckpoint(straightDir)));
  }, 180_000);

  it('trains a conditional celeba on the data labels and resumes it to the uninterrupted losses', async () => {
    const data = writeDataset();
    const straight = await train({ ...tiny(data), out: join(tmp(), 'run'), epochs: 2, conditional: true });
    expect(straight.spec.condition?.classes).toBe(3);
    const dir = join(tmp(), 'run');
    await train({ ...tiny(data), out: dir, epochs: 1, conditional: true });
    const resumed = await train({ ...quiet, out: dir, epochs: 2, resume: true });
    expect(losses(resumed.history)).toEqual(losses(straight.history));
  }, 180_000);

  it('refuses a data set whose image size is not a multiple of 2^stages with the ArchConfigError', async () => {
    const err = await train({ ...tiny(writeDataset()), channels: [4, 8, 8], out: join(tmp(), 'run'), epochs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ArchConfigError);
    expect(err.message).toBe('celeba with 3 conv stages needs an image size that is a multiple of 8, got 28x28');
  });

  it('refuses an --image-size the data do not have, naming both sizes', async () => {
    const data = writeDataset();
    const err = await train({ ...tiny(data), imageSize: 32, out: join(tmp(), 'run'), epochs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainOptionsError);
    expect(err.message).toBe(`--image-size 32 asks for 32x32 images, but ${data} holds 28x28 images`);
  });
});

describe('vae-train --arch celeba', () => {
  let cli: string;
  beforeAll(async () => {
    cli = await freshCli();
  }, 60_000);
  const vaeTrain = (args: string[]) =>
    spawnSync(process.execPath, [cli, '--backend', 'cpu', '--no-plots', '--out', join(tmp(), 'run'), ...args], { encoding: 'utf8', timeout: 120_000 });

  it('--image-size that is not a multiple of 16: exit 2 with the ArchConfigError, before loading data', () => {
    const r = vaeTrain(['--arch', 'celeba', '--image-size', '40', '--dataset', '/nonexistent']);
    expect(r.stderr).toBe('vae-train: ArchConfigError: celeba with 4 conv stages needs an image size that is a multiple of 16, got 40x40\n');
    expect(r.status).toBe(2);
  });

  it('on 28x28 MNIST: exit 2 with the ArchConfigError message, not a crash', () => {
    const r = vaeTrain(['--arch', 'celeba', '--dataset', 'mnist', '--epochs', '1']);
    expect(r.stderr).toContain('vae-train: ArchConfigError: celeba with 4 conv stages needs an image size that is a multiple of 16, got 28x28\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(2);
  });

  it('--arch with an unknown name lists celeba among the choices', () => {
    const r = vaeTrain(['--arch', 'celebb']);
    expect(r.stderr).toBe('vae-train: TrainOptionsError: --arch "celebb": expected small, base, mlp or celeba\n');
    expect(r.status).toBe(2);
  });
});

describe('checkBatchNormBatches', () => {
  // Four stages on 16x16 images end at a 1x1 map, where one image gives BatchNorm a single value per channel.
  const spec = buildArchSpec({ arch: 'celeba', latent: 2, channels: [2, 2, 2, 2], imageShape: [16, 16, 3] });

  it('refuses settings whose last training batch is a single image at a 1x1 BatchNorm map, naming layer and batch', () => {
    const run = () => checkBatchNormBatches(spec, 33, 8);
    expect(run).toThrow(TrainOptionsError);
    expect(run).toThrow("encoder/conv4's BatchNorm sees a 1x1 map, so a training batch of 1 image gives it 1 value per channel and no variance (33 training images in batches of 8); change --batch or --train-limit so that no batch holds a single image");
  });

  it('accepts batches of two or more images, and single images at larger maps', () => {
    expect(() => checkBatchNormBatches(spec, 34, 8)).not.toThrow();
    expect(() => checkBatchNormBatches(buildArchSpec({ arch: 'celeba', latent: 2, channels: [2, 2], imageShape: [16, 16, 3] }), 1, 8)).not.toThrow();
  });

  it('a non-finite batch leaves the running statistics untouched', async () => {
    const small = buildArchSpec({ arch: 'celeba', latent: 2, channels: [2, 2], imageShape: [8, 8, 3] });
    const model = createVaeModel(small, 1);
    const stepper = new TrainStep(model, ADAM);
    const before = Array.from((await model.readParams()).get('encoder/conv1/bn/variance')!);
    const bad = new Float32Array(2 * 8 * 8 * 3).fill(Number.NaN);
    await expect(stepper.step(bad, 2, new Float32Array(4), 1)).rejects.toThrow(NonFiniteLossError);
    expect(Array.from((await model.readParams()).get('encoder/conv1/bn/variance')!)).toEqual(before);
    stepper.dispose();
    model.dispose();
  });
});
