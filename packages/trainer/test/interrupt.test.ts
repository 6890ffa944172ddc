import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainOptions } from '../src/train/train.js';
import { train } from '../src/train/train.js';
import { InterruptedError } from '../src/train/interrupt.js';
import { CheckpointError, encodeCheckpoint, readCheckpoint } from '@vae/format/checkpoint';
import { freshCli } from './helpers/fresh-cli.js';
import { stateHash } from './helpers/state-hash.js';

const quiet = { log: () => {}, plots: false, backend: 'cpu' as const };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'mlp', batch: 64, trainLimit: 320, testLimit: 100, seed: 7, ...quiet, progress: null };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-int-'));
const losses = (h: { trainLoss: number; trainKL: number; testLoss: number }[]) => h.map((m) => [m.trainLoss, m.trainKL, m.testLoss]);

/** A progress sink that aborts `ctl` once `images` of epoch `epoch` have been trained on. */
function abortAt(ctl: AbortController, epoch: number, images: number, reason = 'SIGINT') {
  return {
    isTTY: true,
    write(s: string) {
      const m = /epoch (\d+)\/\d+ .* (\d+)\/\d+ \|/.exec(s);
      if (m && Number(m[1]) === epoch && Number(m[2]) >= images && !ctl.signal.aborted) ctl.abort(reason);
    },
  };
}

describe('interrupting training', () => {
  it('stops mid-epoch within one step, saves the position, and resumes to the bit-identical run', async () => {
    const straightDir = tmp();
    const straight = await train({ ...tiny, out: straightDir, epochs: 2 });
    const dir = tmp();
    const ctl = new AbortController();
    const err = await train({ ...tiny, out: dir, epochs: 2, signal: ctl.signal, progress: abortAt(ctl, 2, 128) }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    // Aborted after 2 of epoch 2's 5 batches: the very next step is not taken.
    expect(err.saved).toEqual({ checkpointPath: join(dir, 'checkpoint.vaeckpt'), epoch: 1, batchesDone: 2, stepsPerEpoch: 5, step: 7 });
    expect(err.message).toMatch(/^interrupted by SIGINT: wrote .*checkpoint\.vaeckpt at epoch 2\/2 at batch 2\/5 \(step 7\): weights, Adam state, noise RNG state and position/);
    const mid = await readCheckpoint(dir);
    expect(mid.header.epoch).toBe(1);
    expect(mid.header.step).toBe(7);
    expect(mid.header.position).toMatchObject({ epoch: 1, batchesDone: 2, imagesSeen: 128 });
    const resumed = await train({ out: dir, epochs: 2, resume: true, ...quiet, progress: null });
    expect(losses(resumed.history)).toEqual(losses(straight.history));
    const end = await readCheckpoint(dir);
    expect(end.header.position).toBeUndefined();
    expect(stateHash(end)).toBe(stateHash(await readCheckpoint(straightDir)));
  }, 120_000);

  it('stopped during the epoch-end evaluation, keeps the trained epoch and evaluates it on resume', async () => {
    const straightDir = tmp();
    const straight = await train({ ...tiny, out: straightDir, epochs: 1 });
    const dir = tmp();
    const ctl = new AbortController();
    const err = await train({ ...tiny, out: dir, epochs: 1, signal: ctl.signal, progress: abortAt(ctl, 1, 320, 'SIGTERM') }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.reason).toBe('SIGTERM');
    expect(err.saved).toMatchObject({ epoch: 0, batchesDone: 5, step: 5 });
    expect((await readCheckpoint(dir)).header.position).toMatchObject({ batchesDone: 5, imagesSeen: 320 });
    const resumed = await train({ out: dir, epochs: 1, resume: true, ...quiet, progress: null });
    expect(losses(resumed.history)).toEqual(losses(straight.history));
    expect(stateHash(await readCheckpoint(dir))).toBe(stateHash(await readCheckpoint(straightDir)));
  }, 120_000);

  it('says truthfully that nothing was written when stopped before the first step', async () => {
    const dir = tmp();
    const ctl = new AbortController();
    ctl.abort('SIGINT');
    const err = await train({ ...tiny, out: dir, epochs: 1, signal: ctl.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.saved.checkpointPath).toBeNull();
    expect(err.message).toBe('interrupted by SIGINT: nothing was trained yet, so no checkpoint was written');
    await expect(readCheckpoint(dir)).rejects.toThrow(CheckpointError);
  });

  it('stopped again right after resuming mid-epoch, leaves the mid-epoch checkpoint as it was', async () => {
    const dir = tmp();
    const first = new AbortController();
    await train({ ...tiny, out: dir, epochs: 1, signal: first.signal, progress: abortAt(first, 1, 192) }).catch((e) => e);
    const file = join(dir, 'checkpoint.vaeckpt');
    const before = readFileSync(file);
    const again = new AbortController();
    again.abort('SIGINT');
    const err = await train({ out: dir, epochs: 1, resume: true, ...quiet, progress: null, signal: again.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.saved).toMatchObject({ checkpointPath: null, epoch: 0, batchesDone: 3, step: 3 });
    expect(err.message).toBe(`interrupted by SIGINT: ${file} already holds epoch 1/1 at batch 3/5 (step 3); nothing new to save`);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a mid-epoch position that does not fit the run, naming the field', async () => {
    const dir = tmp();
    const ctl = new AbortController();
    await train({ ...tiny, out: dir, epochs: 1, signal: ctl.signal, progress: abortAt(ctl, 1, 64) }).catch((e) => e);
    const ck = await readCheckpoint(dir);
    const { tensors, format: _f, formatVersion: _v, ...rest } = ck.header;
    const bad = { ...rest, position: { ...rest.position!, imagesSeen: 65 } };
    const file = join(dir, 'checkpoint.vaeckpt');
    writeFileSync(file, encodeCheckpoint(bad, tensors.map((t) => ({ ...t, data: ck.tensors.get(t.name)! }))));
    const err = await train({ out: dir, epochs: 1, resume: true, ...quiet, progress: null }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/position\.imagesSeen is 65; expected 64 \(1 batches of 64 from 320 images\)/);
  });
});

/** Spawns the CLI, sends `sig` once `trigger` matches its stderr, and times signal -> exit. */
async function signalChild(args: string[], trigger: RegExp, sig: NodeJS.Signals) {
  const cli = await freshCli();
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sentAt = 0;
  child.stdout.resume();
  child.stderr.on('data', (d) => {
    stderr += String(d);
    if (!sentAt && trigger.test(stderr)) {
      sentAt = performance.now();
      child.kill(sig);
    }
  });
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  expect(sentAt, `the child exited (${code}) before ${trigger} appeared:\n${stderr}`).toBeGreaterThan(0);
  return { code, stderr, latencyMs: performance.now() - sentAt };
}

describe('vae-train on SIGINT/SIGTERM (real child process, built from the sources)', () => {
  const args = ['--arch', 'mlp', '--batch', '50', '--train-limit', '3000', '--test-limit', '100', '--seed', '3', '--backend', 'cpu', '--no-plots'];

  it('SIGINT mid-epoch: exits 130 with a mid-epoch checkpoint, and --resume ends bit-identical to an uninterrupted run', async () => {
    const dir = tmp();
    const r = await signalChild([...args, '--epochs', '2', '--out', dir], /epoch 1\/2 .*\b[1-9]\d*%/, 'SIGINT');
    console.log(`training: SIGINT to exit ${r.latencyMs.toFixed(0)} ms`);
    expect(r.code, r.stderr).toBe(130);
    const mid = await readCheckpoint(dir);
    const pos = mid.header.position!;
    expect(pos.batchesDone).toBeGreaterThan(0);
    expect(pos.batchesDone).toBeLessThan(60);
    expect(r.stderr).toMatch(new RegExp(`interrupted by SIGINT: wrote \\S+checkpoint\\.vaeckpt at epoch 1/2 at batch ${pos.batchesDone}/60 \\(step ${mid.header.step}\\): weights, Adam state, noise RNG state and position in the epoch's data order; continue with --resume`));
    expect(r.stderr).not.toMatch(/last completed epoch/);
    expect(r.latencyMs).toBeLessThan(2000);

    const cli = await freshCli();
    const resumed = spawn(process.execPath, [cli, '--out', dir, '--resume', '--epochs', '2', '--no-plots', '--backend', 'cpu'], { stdio: 'ignore' });
    expect(await new Promise((res) => resumed.on('close', res))).toBe(0);
    const straightDir = tmp();
    const straight = await train({ arch: 'mlp', batch: 50, trainLimit: 3000, testLimit: 100, seed: 3, epochs: 2, out: straightDir, ...quiet, progress: null });
    const final = await readCheckpoint(dir);
    expect(losses(final.header.history)).toEqual(losses(straight.history));
    expect(stateHash(final)).toBe(stateHash(await readCheckpoint(straightDir)));
  }, 240_000);

  it('SIGTERM during a long --evaluate --iw-samples run: exits 143 within a second, saying nothing was saved', async () => {
    const dir = tmp();
    await train({ arch: 'mlp', batch: 50, trainLimit: 200, testLimit: 100, seed: 3, epochs: 1, out: dir, ...quiet, progress: null });
    const r = await signalChild(['--evaluate', '--out', dir, '--iw-samples', '5000', '--test-limit', '100', '--backend', 'cpu'], /evaluating 100\/100/, 'SIGTERM');
    console.log(`--evaluate --iw-samples 5000: SIGTERM to exit ${r.latencyMs.toFixed(0)} ms`);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/vae-train: IWAE evaluation interrupted by SIGTERM; nothing was saved/);
    expect(r.latencyMs).toBeLessThan(1000);
  }, 120_000);
});
