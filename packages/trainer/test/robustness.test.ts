import * as tf from '@tensorflow/tfjs-core';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { createVaeModel } from '../src/model/vae.js';
import { NonFiniteLossError, TrainStep, ADAM_DEFAULTS } from '../src/train/train-step.js';
import { selectBackend } from '../src/backend/select-backend.js';
import { readCheckpoint } from '@vae/format/checkpoint';
import { train } from '../src/train/train.js';
import { freshCli } from './helpers/fresh-cli.js';

// The CLI is bundled from the sources for these tests: a stale dist/ would test old code.
let cli: string;
beforeAll(async () => {
  cli = await freshCli();
}, 60_000);

describe('training robustness', () => {
  it('stops on a NaN loss with a clear message and leaves the weights untouched', async () => {
    await selectBackend('cpu');
    const model = createVaeModel(buildArchSpec({ arch: 'mlp', latent: 4 }), 1);
    const step = new TrainStep(model, { lr: 1e-3, ...ADAM_DEFAULTS });
    const before = await model.readParams();
    const x = new Float32Array(2 * 784).fill(0.5);
    x[3] = Number.NaN;
    const err = await step.step(x, 2, new Float32Array(8), 1).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err.message).toMatch(/loss became NaN.*last checkpoint is untouched/);
    const after = await model.readParams();
    for (const [k, v] of before) expect(after.get(k)).toEqual(v);
    expect(step.iterations).toBe(0);
    step.dispose();
    model.dispose();
  });

  it('resumes after kill -9 mid-epoch, losing at most that epoch, and ends where an uninterrupted run ends', async () => {
    const args = ['--arch', 'mlp', '--batch', '50', '--train-limit', '3000', '--test-limit', '100', '--seed', '3', '--backend', 'cpu', '--no-plots'];
    const dir = mkdtempSync(join(tmpdir(), 'vae-kill-'));
    const child = spawn(process.execPath, [cli, ...args, '--epochs', '3', '--out', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    // Kill once epoch 1 is checkpointed and epoch 2 is under way.
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += String(d);
        if (/epoch 2\/3 .*\b[1-9]\d*%/.test(stderr) && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code) => (child.killed ? resolve() : reject(new Error(`child exited ${code} before it could be killed:\n${stderr}`))));
    });
    await new Promise((r) => child.on('close', r));
    const afterKill = await readCheckpoint(dir);
    expect(afterKill.header.epoch).toBe(1);

    const resumed = spawn(process.execPath, [cli, '--out', dir, '--resume', '--epochs', '3', '--no-plots', '--backend', 'cpu'], { stdio: 'inherit' });
    expect(await new Promise((r) => resumed.on('close', r))).toBe(0);
    const final = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

    const straight = await train({
      out: mkdtempSync(join(tmpdir(), 'vae-straight-')),
      arch: 'mlp', batch: 50, trainLimit: 3000, testLimit: 100, seed: 3, epochs: 3, backend: 'cpu', plots: false, log: () => {}, progress: null,
    });
    expect(final.map((m) => [m.trainLoss, m.testLoss])).toEqual(straight.history.map((m) => [m.trainLoss, m.testLoss]));
  }, 240_000);

  it('exits with a usage error naming the bad flag value', async () => {
    const child = spawn(process.execPath, [cli, '--arch', 'huge', '--out', '/tmp/x'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(2);
    expect(err).toMatch(/--arch "huge": expected small, base, mlp or celeba/);
  });
});

describe('webgpu backend (SwiftShader)', () => {
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  it('takes one step on webgpu with the same loss as on cpu from the same weights and batch', async () => {
    expect(existsSync(icd), `${icd} missing: apt-get install chromium (SwiftShader's Vulkan driver)`).toBe(true);
    process.env.VK_ICD_FILENAMES = icd;
    const spec = buildArchSpec({ arch: 'small' });
    const x = Float32Array.from({ length: 8 * 784 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    const noise = Float32Array.from({ length: 8 * 32 }, (_, i) => Math.sin(i));
    const run = async () => {
      const model = createVaeModel(spec, 11);
      const step = new TrainStep(model, { lr: 1e-3, ...ADAM_DEFAULTS });
      const a = await step.step(x, 8, noise, 1);
      const b = await step.step(x, 8, noise, 1);
      step.dispose();
      model.dispose();
      return [a.objective, b.objective];
    };
    const gpu = await selectBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const onGpu = await run();
    await selectBackend('cpu');
    const onCpu = await run();
    const diffs = onGpu.map((v, i) => Math.abs(v - onCpu[i]));
    console.log(`webgpu (${gpu.detail}) vs cpu one-step loss: ${onGpu[0]} vs ${onCpu[0]} (|d| ${diffs[0].toExponential(2)}), after one Adam step |d| ${diffs[1].toExponential(2)}`);
    expect(diffs[0]).toBeLessThanOrEqual(1e-4);
    expect(diffs[1]).toBeLessThanOrEqual(1e-4);
  }, 180_000);
});
