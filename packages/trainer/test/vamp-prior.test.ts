import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VAMP_PSEUDO_INPUTS, buildArchSpec } from '@vae/format';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';
import type { TrainOptions } from '../src/train/train.js';
import { TrainOptionsError, loadModel, train } from '../src/train/train.js';
import { initParams } from '../src/model/vae.js';
import { evaluate } from '../src/train/evaluate.js';
import { limitSplit, loadDataset } from '../src/data/datasets.js';
import { InterruptedError } from '../src/train/interrupt.js';
import { freshCli } from './helpers/fresh-cli.js';
import { stateHash } from './helpers/state-hash.js';

// 48 MNIST images in batches of 16 on the small conv arch: 3 steps an epoch.
const quiet = { log: () => {}, plots: false, backend: 'cpu' as const, threads: 1, progress: null };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'small', batch: 16, trainLimit: 48, testLimit: 32, seed: 7, epochs: 1, prior: 'vamp', vampComponents: 5, ...quiet };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-vamp-'));

const pseudoOf = async (dir: string) => (await readCheckpoint(dir)).tensors.get(VAMP_PSEUDO_INPUTS)!;

describe('--prior vamp (trainer)', () => {
  it('trains, records the prior in the checkpoint, moves the pseudo-inputs, and resumes', async () => {
    const dir = tmp();
    // With plots: the sample grid draws from the mixture.
    const first = await train({ ...tiny, out: dir, plots: true });
    expect(existsSync(join(dir, 'plots', 'samples.png'))).toBe(true);
    const ckpt = await readCheckpoint(dir);
    expect(ckpt.header.arch.config.prior).toEqual({ kind: 'vamp', components: 5 });
    expect(ckpt.header.tensors.find((t) => t.name === VAMP_PSEUDO_INPUTS)?.shape).toEqual([5, 28, 28, 1]);
    // Adam state for the pseudo-inputs, like any weight.
    expect(ckpt.tensors.get(`${VAMP_PSEUDO_INPUTS}/m`)?.length).toBe(5 * 784);
    const init = initParams(ckpt.header.arch, 7).get(VAMP_PSEUDO_INPUTS)!;
    const after1 = await pseudoOf(dir);
    let moved = 0;
    for (let i = 0; i < init.length; i++) moved = Math.max(moved, Math.abs(after1[i] - init[i]));
    // Three Adam steps at lr 1e-3 move a weight by up to about 3e-3.
    expect(moved).toBeGreaterThan(1e-4);
    const m = first.history[0];
    expect(Number.isFinite(m.testKL) && Number.isFinite(m.trainKL)).toBe(true);
    // evaluate() runs on a vamp checkpoint (its KL and IWAE maths are checked by hand in src/model/vamp-prior.test.ts and test/parity/vamp-prior-e2e.test.ts).
    const { model } = await loadModel(dir);
    try {
      const test = limitSplit((await loadDataset('mnist')).test, 32);
      const ev = await evaluate(model, test, { recon: 'bernoulli', seed: 5, iwSamples: 8 });
      // IWAE with k = 8 bounds log p(x) at least as tightly as the ELBO estimate, up to Monte-Carlo noise.
      expect(ev.iwNll).toBeLessThan(ev.loss + 5);
    } finally {
      model.dispose();
    }
    // Resume: only --out, --resume and more epochs; the prior comes back from the checkpoint.
    const second = await train({ out: dir, resume: true, epochs: 2, ...quiet });
    expect(second.history).toHaveLength(2);
    expect((await readCheckpoint(dir)).header.arch.config.prior).toEqual({ kind: 'vamp', components: 5 });
    const after2 = await pseudoOf(dir);
    expect(after2).not.toEqual(after1);
  }, 180_000);

  it('resumes mid-epoch bit-identically to an uninterrupted run', async () => {
    const opts = { ...tiny, epochs: 2 };
    const straightDir = tmp();
    await train({ ...opts, out: straightDir });
    const dir = tmp();
    const ctl = new AbortController();
    const sink = {
      isTTY: true,
      write(s: string) {
        const m = /epoch (\d+)\/\d+ .* (\d+)\/\d+ \|/.exec(s);
        if (m && Number(m[1]) === 2 && Number(m[2]) >= 16 && !ctl.signal.aborted) ctl.abort('SIGINT');
      },
    };
    const err = await train({ ...opts, out: dir, signal: ctl.signal, progress: sink }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    await train({ out: dir, resume: true, ...quiet });
    expect(stateHash(await readCheckpoint(dir))).toBe(stateHash(await readCheckpoint(straightDir)));
  }, 180_000);

  it('keeps a standard-prior checkpoint free of any prior field or weight', async () => {
    const dir = tmp();
    await train({ ...tiny, prior: undefined, vampComponents: undefined, out: dir });
    const ckpt = await readCheckpoint(dir);
    expect('prior' in ckpt.header.arch.config).toBe(false);
    expect(ckpt.tensors.has(VAMP_PSEUDO_INPUTS)).toBe(false);
    // --prior standard is the same run as no --prior.
    const std = tmp();
    await train({ ...tiny, prior: 'standard', vampComponents: undefined, out: std });
    expect(stateHash(await readCheckpoint(std))).toBe(stateHash(ckpt));
  }, 180_000);

  it('refuses --free-bits, a changed prior on resume and --vamp-components without --prior vamp, with typed errors', async () => {
    const fb = await train({ ...tiny, out: tmp(), freeBits: 0.5 }).catch((e) => e);
    expect(fb).toBeInstanceOf(TrainOptionsError);
    expect(fb.message).toMatch(/^--free-bits 0.5 floors a per-dimension analytic KL, which the VampPrior's Monte-Carlo KL/);
    const k = await train({ ...tiny, prior: undefined, out: tmp() }).catch((e) => e);
    expect(k).toBeInstanceOf(TrainOptionsError);
    expect(k.message).toBe('--vamp-components 5 sizes the VampPrior; it needs --prior vamp');
    const bad = await train({ ...tiny, prior: 'flow' as never, out: tmp() }).catch((e) => e);
    expect(bad).toBeInstanceOf(TrainOptionsError);
    expect(bad.message).toBe('--prior "flow": expected standard or vamp');
    const dir = tmp();
    await train({ ...tiny, out: dir });
    const change = await train({ out: dir, resume: true, epochs: 2, prior: 'standard', ...quiet }).catch((e) => e);
    expect(change).toBeInstanceOf(CheckpointError);
    expect(change.message).toMatch(/checkpoint's model has a VampPrior \(5 components\), but the options ask for --prior standard/);
    const kChange = await train({ out: dir, resume: true, epochs: 2, vampComponents: 6, ...quiet }).catch((e) => e);
    expect(kChange).toBeInstanceOf(CheckpointError);
    expect(kChange.message).toMatch(/checkpoint's VampPrior has 5 components, but the options ask for --vamp-components 6/);
  }, 180_000);

  it('vae-train --prior vamp --vamp-components K trains from the command line and says so in --help', async () => {
    const cli = await freshCli();
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    const help = run(['--help']);
    expect(help.stdout).toContain('--prior standard|vamp');
    expect(help.stdout).toContain('--vamp-components K       the VampPrior\'s pseudo-inputs (default 100; 1..4096)');
    const dir = join(tmp(), 'run');
    const ok = run(['--arch', 'mlp', '--batch', '16', '--train-limit', '32', '--test-limit', '16', '--epochs', '1', '--threads', '1', '--backend', 'cpu', '--no-plots', '--out', dir, '--prior', 'vamp', '--vamp-components', '3', '--iw-train', '2']);
    expect(ok.status, ok.stderr).toBe(0);
    const h = (await readCheckpoint(dir)).header;
    expect(h.arch.config.prior).toEqual({ kind: 'vamp', components: 3 });
    expect(h.train.iwTrain).toBe(2);
    const celeba = run(['--arch', 'celeba', '--prior', 'vamp', '--out', join(tmp(), 'c'), '--threads', '1']);
    expect(celeba.status).toBe(2);
    expect(celeba.stderr).toMatch(/ArchConfigError: prior "vamp" is not supported on the celeba arch/);
    expect(buildArchSpec({ arch: 'small' }).config.prior).toBeUndefined();
  }, 240_000);
});
