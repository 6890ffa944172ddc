#!/usr/bin/env node
// Training speed of one architecture (default `celeba`, 64x64x3 with
// BatchNorm) on the project's CPU path, with the time of every tfjs kernel the
// step runs, so that a kernel without a fast project implementation (see
// src/kernels) shows up by name, and the share of the step each kernel takes
// (the profile table in src/kernels/README.md comes from here).
//
//   nice -n 19 node packages/trainer/bench/step-profile.mjs [--arch celeba|small|base] [--batch 32] [--steps 5] [--warmup 2] [--size 64] [--no-peer]
//
// It bundles the trainer's sources (like train-bench.mjs) and times the real
// TrainStep on random images: wall and CPU images/s over the timed steps, then
// one profiled step (tf.profile) with its kernels summed by name. Then the
// PyTorch peer (torch_peer.py bench --arch celeba, one thread, OpenBLAS) runs
// the same batch, size and step counts, and the ratio is printed, per wall
// second and per CPU-second (the latter is steadier on a shared machine).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { values: opts } = parseArgs({
  options: {
    arch: { type: 'string', default: 'celeba' },
    threads: { type: 'string', default: String((await import('node:os')).availableParallelism()) },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    size: { type: 'string', default: '64' },
    'no-peer': { type: 'boolean', default: false },
  },
});
const [batch, steps, warmup, size] = [opts.batch, opts.steps, opts.warmup, opts.size].map(Number);
const arch = opts.arch;
if (!['small', 'base', 'celeba'].includes(arch)) {
  console.error(`--arch must be small, base or celeba, got ${JSON.stringify(arch)}`);
  process.exit(2);
}

const { bundleTrainer } = await import('./bundle-trainer.mjs');
// The trainer's API plus tfjs itself (the same instance) and the list of project kernels, for the profile.
const T = await bundleTrainer({
  cacheName: 'vae-bench-step-profile',
  contents: "export * from './src/index.ts'; export * as tf from '@tensorflow/tfjs-core'; export { FAST_CPU_KERNELS, PROJECT_CPU_KERNELS } from './src/kernels/register-fast-cpu-kernels.ts'; export { FUSED_OP_SCOPE } from './src/model/bias-relu.ts';",
});
const tf = T.tf;
const choice = await T.selectBackend('cpu', { threads: Number(opts.threads) });
// small and base are the 28x28 grey MNIST architectures; --size applies to celeba.
const spec = arch === 'celeba' ? T.buildArchSpec({ arch, imageShape: [size, size, 3] }) : T.buildArchSpec({ arch });
const [H, W, C] = spec.config.imageShape;
const model = T.createVaeModel(spec, 1);
const trainer = new T.TrainStep(model, { lr: 1e-3, ...T.ADAM_DEFAULTS });
const rng = new T.Rng(7);
const px = H * W * C;
const batches = Array.from({ length: 4 }, () => Float32Array.from({ length: batch * px }, () => rng.uniform()));
const latent = spec.config.latent;
let last;
for (let i = 0; i < warmup; i++) last = await trainer.step(batches[i % 4], batch, rng.normals(batch * latent), 1);
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) last = await trainer.step(batches[i % 4], batch, rng.normals(batch * latent), 1);
const secs = (performance.now() - t0) / 1000;
const cu = process.cpuUsage(c0);
const cpu = (cu.user + cu.system) / 1e6;
const tfjsRate = { wall: (steps * batch) / secs, cpu: (steps * batch) / cpu };
console.log(`${arch} ${H}x${W}x${C}, batch ${batch}, ${choice.name} backend (${choice.detail}), ${steps} timed steps after ${warmup}:`);
console.log(`  ${((steps * batch) / secs).toFixed(1)} images/s wall, ${((steps * batch) / cpu).toFixed(1)} images per CPU-second (loss ${last.objective.toFixed(1)})`);

{
  const fastNames = new Set([...T.FAST_CPU_KERNELS, ...T.PROJECT_CPU_KERNELS].map((k) => k.kernelName));
  const info = await tf.profile(() => trainer.step(batches[0], batch, rng.normals(batch * latent), 1));
  const byName = new Map();
  for (const k of info.kernels) {
    // A fused op's scope wraps kernels that are listed on their own.
    if (k.name.startsWith(T.FUSED_OP_SCOPE)) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : ((await k.kernelTimeMs)?.kernelMs ?? (await k.kernelTimeMs));
    const e = byName.get(k.name) ?? { ms: 0, calls: 0, fast: fastNames.has(k.name) };
    e.ms += Number(ms) || 0;
    e.calls++;
    byName.set(k.name, e);
  }
  const total = [...byName.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`  one profiled step, ${total.toFixed(0)} ms in kernels; by kernel (fast = a project kernel is registered):`);
  for (const [name, { ms, calls, fast }] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`    ${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${String(calls).padStart(4)} calls  ${fast ? 'fast' : 'tfjs'}`);
  }
}
trainer.dispose();
model.dispose();

if (!opts['no-peer']) {
  const python = process.env.VAE_BENCH_PYTHON ?? '/usr/bin/python3';
  const peer = spawnSync(python, [here('./torch_peer.py'), 'bench', '--arch', arch, ...(arch === 'celeba' ? ['--image-size', String(size)] : []), '--batch', String(batch),
    '--steps', String(steps), '--warmup', String(warmup), '--threads', '1'], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  if (peer.status !== 0) {
    console.error(`torch_peer.py bench failed (exit ${peer.status}); it needs Debian's python3-torch (sudo apt-get install python3-torch):\n${peer.stderr}`);
    process.exit(1);
  }
  const r = JSON.parse(peer.stdout.trim().split('\n').at(-1));
  console.log(`  ${r.framework} (1 thread): ${r.images_per_sec.toFixed(1)} images/s wall, ${r.images_per_cpu_sec.toFixed(1)} images per CPU-second`);
  console.log(`  ratio tfjs/pytorch: ${(tfjsRate.wall / r.images_per_sec).toFixed(2)} wall, ${(tfjsRate.cpu / r.images_per_cpu_sec).toFixed(2)} per CPU-second`);
}
