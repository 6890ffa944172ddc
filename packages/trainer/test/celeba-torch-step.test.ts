/**
 * The trainer's celeba step against PyTorch's (bench/torch_peer.py step): the
 * same weights in both, the eval-mode forward pass (running statistics), the
 * training-mode losses (batch statistics) and the running statistics after one
 * step must agree, so BatchNorm means what `BatchNormSpec` says it means.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { initParams, oneHotLabels, vaeModelFromParams } from '../src/model/vae.js';
import { bernoulliNll, gaussianKl } from '../src/model/loss.js';
import { Rng } from '../src/rng.js';
import { TrainStep } from '../src/train/train-step.js';

const PYTHON = '/usr/bin/python3';
const peer = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'torch_peer.py');
const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** max |a - b| relative to max(1, max |b|). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

describe.each([0, 3])('celeba step against PyTorch (classes %i)', (classes) => {
  it('agrees on eval-mode logits, training losses, BatchNorm and conv gradients and the updated running statistics', async () => {
    const spec = buildArchSpec({ arch: 'celeba', latent: 3, channels: [4, 8], imageShape: [8, 8, 3], ...(classes ? { classes } : {}) });
    const params = initParams(spec, 9);
    const rng = new Rng(21);
    // Running statistics and affine weights away from their initial values, so the eval path is really tested.
    for (const [name, v] of params) {
      if (!name.includes('/bn/')) continue;
      for (let i = 0; i < v.length; i++) {
        const u = rng.uniform();
        v[i] = name.endsWith('/mean') ? u - 0.5 : name.endsWith('/variance') ? 0.5 + u : name.endsWith('/gamma') ? 0.5 + u : u - 0.5;
      }
    }
    const n = 6;
    const x = Float32Array.from({ length: n * 8 * 8 * 3 }, () => rng.uniform());
    const noise = rng.normals(n * 3);
    const labels = Array.from({ length: n }, (_, i) => i % 3);

    const model = vaeModelFromParams(spec, params);
    const y = classes ? oneHotLabels(labels, classes) : undefined;
    const evalLogits = tf.tidy(() => model.decodeLogits(model.encode(tf.tensor4d(x, [n, 8, 8, 3]), y).mu, y).dataSync());
    // The step's gradients, from the same loss in training mode (the pass's running-stat updates are dropped).
    const pass = { updates: new Map<string, tf.Tensor>() };
    const gradNames = [...model.params.keys()].filter((k) => /encoder\/conv\d\/kernel$|\/bn\/(gamma|beta)$/.test(k));
    const { grads } = tf.variableGrads(() => {
      const xT = tf.tensor4d(x, [n, 8, 8, 3]);
      const { mu, logvar } = model.encode(xT, y, pass);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.tensor2d(noise, [n, 3]))) as tf.Tensor2D;
      return tf.add(tf.mean(bernoulliNll(model.decodeLogits(z, y, pass), xT)), tf.mean(gaussianKl(mu, logvar))) as tf.Scalar;
    }, gradNames.map((k) => model.params.get(k)!));
    const gradients = new Map(gradNames.map((k) => [k, grads[model.params.get(k)!.name].dataSync()]));
    tf.dispose([...Object.values(grads), ...pass.updates.values()]);
    const stepper = new TrainStep(model, ADAM);
    const losses = await stepper.step(x, n, noise, 1, classes ? labels : undefined);
    const after = await model.readParams();

    const file = join(mkdtempSync(join(tmpdir(), 'vae-torch-step-')), 'job.json');
    writeFileSync(file, JSON.stringify({ config: spec.config, params: Object.fromEntries([...params].map(([k, v]) => [k, Array.from(v)])), n, x: Array.from(x), noise: Array.from(noise), labels, lr: ADAM.lr }));
    const r = spawnSync(PYTHON, [peer, 'step', '--arch', 'celeba', '--weights', file], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
    if (r.status !== 0) throw new Error(`torch_peer.py step failed (exit ${r.status}); it needs Debian's python3-torch (sudo apt-get install python3-torch):\n${r.stderr}`);
    const torch = JSON.parse(r.stdout);

    // Both sides run float32; one step here differs by about 1e-7, and a biased running variance by 2e-5.
    expect(relDiff(evalLogits, torch.evalLogits)).toBeLessThan(1e-6);
    expect(relDiff([losses.recon, losses.kl, losses.objective], [torch.recon, torch.kl, torch.objective])).toBeLessThan(1e-6);
    const stats = Object.keys(torch.runningStats);
    expect(stats.sort()).toEqual([...after.keys()].filter((k) => /\/bn\/(mean|variance)$/.test(k)).sort());
    for (const name of stats) expect(relDiff(after.get(name)!, torch.runningStats[name])).toBeLessThan(1e-6);
    // BatchNorm's backward (through batch mean and variance) against autograd's; about 4e-7 apart here.
    expect(Object.keys(torch.grads).sort()).toEqual([...gradNames].sort());
    for (const name of gradNames) expect(relDiff(gradients.get(name)!, torch.grads[name]), name).toBeLessThan(2e-6);
    stepper.dispose();
    model.dispose();
    y?.dispose();
  }, 60_000);
});
