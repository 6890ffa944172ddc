import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TrainOptions } from '../src/train/train.js';
import { TrainOptionsError, loadModel, train } from '../src/train/train.js';
import { evaluate } from '../src/train/evaluate.js';
import { binarizedTestSet } from '../src/data/binarize.js';
import { limitSplit, loadDataset } from '../src/data/datasets.js';
import { deriveSeed } from '../src/rng.js';
import { InterruptedError } from '../src/train/interrupt.js';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';
import { imageFolderSpec } from '../src/data/image-folder-spec.js';
import { freshCli } from './helpers/fresh-cli.js';
import { stateHash } from './helpers/state-hash.js';

// 48 MNIST images in batches of 16: 3 steps an epoch, so a run of 2 epochs has a mid-epoch point to stop at.
const quiet = { log: () => {}, plots: false, backend: 'cpu' as const, threads: 1 };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'mlp', batch: 16, trainLimit: 48, testLimit: 32, seed: 7, epochs: 2, ...quiet, progress: null };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-tech-'));
const losses = (h: { trainLoss: number; trainKL: number; testLoss: number }[]) => h.map((m) => [m.trainLoss, m.trainKL, m.testLoss]);
const PLAIN_TRAIN_KEYS = ['epochs', 'batch', 'lr', 'beta', 'klWarmup', 'seed', 'dataset', 'recon', 'trainLimit', 'testLimit', 'iwSamples'];

/** A progress sink that aborts `ctl` once `images` of epoch `epoch` have been trained on. */
function abortAt(ctl: AbortController, epoch: number, images: number) {
  return {
    isTTY: true,
    write(s: string) {
      const m = /epoch (\d+)\/\d+ .* (\d+)\/\d+ \|/.exec(s);
      if (m && Number(m[1]) === epoch && Number(m[2]) >= images && !ctl.signal.aborted) ctl.abort('SIGINT');
    },
  };
}

/** Trains `opts` straight, and again stopped after 1 batch of epoch 2 and resumed; both must end bit-identical. */
async function expectExactResume(opts: Partial<TrainOptions>): Promise<{ straight: Awaited<ReturnType<typeof train>>; dir: string }> {
  const straightDir = tmp();
  const straight = await train({ ...tiny, ...opts, out: straightDir });
  const dir = tmp();
  const ctl = new AbortController();
  const err = await train({ ...tiny, ...opts, out: dir, signal: ctl.signal, progress: abortAt(ctl, 2, 16) }).catch((e) => e);
  expect(err).toBeInstanceOf(InterruptedError);
  expect((await readCheckpoint(dir)).header.position).toMatchObject({ epoch: 1, batchesDone: 1 });
  // Only --out and --resume: every technique setting must come back from the checkpoint.
  const resumed = await train({ out: dir, resume: true, ...quiet, progress: null });
  expect(losses(resumed.history)).toEqual(losses(straight.history));
  expect(stateHash(await readCheckpoint(dir))).toBe(stateHash(await readCheckpoint(straightDir)));
  return { straight, dir };
}

async function plainHash(): Promise<string> {
  const dir = tmp();
  await train({ ...tiny, out: dir });
  return stateHash(await readCheckpoint(dir));
}

describe('--binarize', () => {
  it('dynamic: draws fresh bits every step, records the mode, and resumes mid-epoch bit-identically', async () => {
    const { straight, dir } = await expectExactResume({ binarize: 'dynamic' });
    expect((await readCheckpoint(dir)).header.train.binarize).toBe('dynamic');
    const plainDir = tmp();
    const plain = await train({ ...tiny, out: plainDir });
    expect(losses(straight.history)).not.toEqual(losses(plain.history));
  }, 120_000);

  it('static: one fixed draw of the training set, the same for the same seed, unlike dynamic draws', async () => {
    const a = await train({ ...tiny, out: tmp(), binarize: 'static' });
    const b = await train({ ...tiny, out: tmp(), binarize: 'static' });
    expect(losses(b.history)).toEqual(losses(a.history));
    const d = await train({ ...tiny, out: tmp(), binarize: 'dynamic' });
    expect(losses(d.history)[1][0]).not.toBe(losses(a.history)[1][0]);
    await expectExactResume({ binarize: 'static' });
  }, 120_000);

  it('measures every run on one fixed draw of the test set, whatever --seed, in training and in vae-train --evaluate', async () => {
    const dir = tmp();
    const run = await train({ ...tiny, epochs: 1, out: dir, binarize: 'dynamic', seed: 9 });
    const grey = limitSplit((await loadDataset('mnist')).test, 32);
    const bits = binarizedTestSet(grey);
    expect(bits.images.every((v) => v === 0 || v === 255)).toBe(true);
    expect(Array.from(bits.images)).not.toEqual(Array.from(grey.images));
    // The draw takes no seed: the same call gives the same bits, so runs of any --seed share one test set.
    expect(Array.from(binarizedTestSet(grey).images)).toEqual(Array.from(bits.images));
    const { model } = await loadModel(dir);
    try {
      // Training's epoch-1 evaluation used exactly these bits (and its own evaluation noise seed).
      const ev = await evaluate(model, bits, { recon: 'bernoulli', seed: deriveSeed(9, 0xe7a1, 0) });
      expect(ev.loss).toBe(run.history[0].testLoss);
      const cli = spawnSync(process.execPath, [await freshCli(), '--evaluate', '--out', dir, '--test-limit', '32', '--seed', '5', '--threads', '1', '--backend', 'cpu'], { encoding: 'utf8', timeout: 120_000 });
      expect(cli.status, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).loss).toBe((await evaluate(model, bits, { recon: 'bernoulli', seed: 5 })).loss);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('refuses --recon mse and RGB images with a TrainOptionsError naming the flag and what it needs', async () => {
    const err = await train({ ...tiny, out: tmp(), binarize: 'dynamic', recon: 'mse' }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainOptionsError);
    expect(err.message).toBe('--binarize dynamic needs --recon bernoulli (binary pixels have a Bernoulli likelihood), got --recon mse');
    const folder = tmp();
    mkdirSync(join(folder, 'imgs'));
    for (let i = 0; i < 4; i++) {
      const raw = Buffer.alloc(16 * 16 * 3, 40 * i);
      writeFileSync(join(folder, 'imgs', `${i}.png`), await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
    }
    const rgb = await train({ ...tiny, arch: 'celeba', imageSize: 16, out: tmp(), batch: 2, trainLimit: 2, dataset: imageFolderSpec({ dir: join(folder, 'imgs'), crop: null, background: '#ffffff', grey: false, testFraction: 0.5, labels: null }), cacheDir: join(folder, 'cache'), binarize: 'static' }).catch((e) => e);
    expect(rgb).toBeInstanceOf(TrainOptionsError);
    expect(rgb.message).toMatch(/^--binarize static needs single-channel \(grey\) images, but .* holds 3-channel images$/);
  }, 60_000);
});

describe('--free-bits', () => {
  it('changes what is optimised, is recorded, resumes exactly, and at 0 leaves the run and its header as they were', async () => {
    const { dir } = await expectExactResume({ freeBits: 0.5 });
    const ck = await readCheckpoint(dir);
    expect(ck.header.train.freeBits).toBe(0.5);
    const plain = await plainHash();
    expect(stateHash(ck)).not.toBe(plain);
    const zeroDir = tmp();
    await train({ ...tiny, out: zeroDir, freeBits: 0 });
    const zero = await readCheckpoint(zeroDir);
    expect(stateHash(zero)).toBe(plain);
    expect(Object.keys(zero.header.train)).toEqual(PLAIN_TRAIN_KEYS);
  }, 120_000);

  it('refuses a negative value, and free bits together with the IWAE objective', async () => {
    const neg = await train({ ...tiny, out: tmp(), freeBits: -1 }).catch((e) => e);
    expect(neg).toBeInstanceOf(TrainOptionsError);
    expect(neg.message).toBe('--free-bits must be a finite number of nats >= 0, got -1');
    const both = await train({ ...tiny, out: tmp(), freeBits: 0.5, iwTrain: 2 }).catch((e) => e);
    expect(both).toBeInstanceOf(TrainOptionsError);
    expect(both.message).toBe('--free-bits 0.5 floors the analytic KL of the ELBO, which --iw-train 2 does not optimise; use one of them');
  });
});

describe('--lr-schedule / --lr-warmup / --lr-min', () => {
  it('cosine with warm-up trains differently, is recorded, and resumes mid-epoch exactly', async () => {
    const { dir } = await expectExactResume({ lrSchedule: 'cosine', lrWarmup: 0.5, lrMin: 1e-4 });
    const ck = await readCheckpoint(dir);
    expect(ck.header.train).toMatchObject({ lrSchedule: 'cosine', lrWarmup: 0.5, lrMin: 1e-4 });
    // The header's optimizer keeps the base rate: the schedule is a function of it and the step.
    expect(ck.header.optimizer.lr).toBe(1e-3);
    expect(stateHash(ck)).not.toBe(await plainHash());
  }, 120_000);

  it('refuses to resume a cosine run with other epochs, and --lr-min without cosine', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1, lrSchedule: 'cosine' });
    const more = await train({ out: dir, resume: true, epochs: 2, ...quiet, progress: null }).catch((e) => e);
    expect(more).toBeInstanceOf(CheckpointError);
    expect(more.message).toMatch(/cannot resume with different settings \(epochs: checkpoint 1, options 2\)/);
    const floor = await train({ ...tiny, out: tmp(), lrMin: 1e-4 }).catch((e) => e);
    expect(floor).toBeInstanceOf(TrainOptionsError);
    expect(floor.message).toBe('--lr-min 0.0001 is the floor of --lr-schedule cosine, but the schedule is constant');
  });
});

describe('--iw-train', () => {
  it('K = 2 trains on the IWAE bound with 2 noise draws per image, is recorded, and resumes mid-epoch exactly', async () => {
    const { straight, dir } = await expectExactResume({ iwTrain: 2 });
    const ck = await readCheckpoint(dir);
    expect(ck.header.train.iwTrain).toBe(2);
    expect(straight.history.every((m) => Number.isFinite(m.trainLoss) && Number.isFinite(m.testLoss))).toBe(true);
    expect(stateHash(ck)).not.toBe(await plainHash());
  }, 120_000);

  it('K = 1 is exactly the ELBO run: same weights, same header', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, iwTrain: 1 });
    const ck = await readCheckpoint(dir);
    expect(stateHash(ck)).toBe(await plainHash());
    expect(Object.keys(ck.header.train)).toEqual(PLAIN_TRAIN_KEYS);
  }, 60_000);
});

describe('vae-train technique flags (real child process)', () => {
  it('documents the flags in --help, trains with them, and refuses a bad value naming the flag', async () => {
    const cli = await freshCli();
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    const help = run(['--help']);
    for (const f of ['--binarize dynamic|static', '--free-bits L', '--lr-schedule constant|cosine', '--lr-warmup E', '--lr-min X', '--iw-train K']) expect(help.stdout).toContain(f);
    const dir = join(tmp(), 'run');
    const ok = run(['--arch', 'mlp', '--batch', '16', '--train-limit', '32', '--test-limit', '16', '--epochs', '1', '--threads', '1', '--backend', 'cpu', '--no-plots', '--out', dir,
      '--binarize', 'dynamic', '--lr-schedule', 'cosine', '--lr-warmup', '0.5', '--lr-min', '0.0001', '--iw-train', '2']);
    expect(ok.status, ok.stderr).toBe(0);
    expect((await readCheckpoint(dir)).header.train).toMatchObject({ binarize: 'dynamic', lrSchedule: 'cosine', lrWarmup: 0.5, lrMin: 1e-4, iwTrain: 2 });
    const bad = run(['--out', join(tmp(), 'run'), '--binarize', 'always']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('vae-train: TrainOptionsError: --binarize "always": expected dynamic or static\n');
    const badL = run(['--out', join(tmp(), 'run'), '--free-bits', '-1']);
    expect(badL.status).toBe(2);
    expect(badL.stderr).toBe('vae-train: TrainOptionsError: --free-bits expects a decimal number >= 0, got "-1"\n');
    const badS = run(['--out', join(tmp(), 'run'), '--lr-schedule', 'step']);
    expect(badS.status).toBe(2);
    expect(badS.stderr).toBe('vae-train: TrainOptionsError: --lr-schedule "step": expected constant or cosine\n');
    const badK = run(['--out', join(tmp(), 'run'), '--iw-train', '0']);
    expect(badK.status).toBe(2);
    expect(badK.stderr).toBe('vae-train: TrainOptionsError: --iw-train expects a decimal integer in [1, 100000], got "0"\n');
  }, 180_000);
});
