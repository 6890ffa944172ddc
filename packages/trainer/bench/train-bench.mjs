#!/usr/bin/env node
// `pnpm bench:train`: training speed of the VAE at batch 128 on the project's
// CPU path (tfjs `cpu` backend + the kernels in src/kernels, one Node thread)
// against the PyTorch peer (bench/torch_peer.py, same architecture, loss,
// batch size and Adam 1e-3), in the same run, for each of --arch (default
// small and base).
//
// It runs the trainer's real code (TrainStep, createVaeModel, selectBackend),
// bundled from packages/trainer/src at start-up.
//
// Fair by construction, and the output says so:
// - PyTorch's BLAS is read from the peer process itself (the libblas.so.3 it
//   has mapped, blas-verdict.mjs); on the reference BLAS the bench prints no
//   ratio and exits 3 with the apt-get line for OpenBLAS;
// - the peer runs with OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1 and gets
//   its threads from torch.set_num_threads(--torch-threads, default: the cores
//   available); the project's kernels get --threads (default: the cores
//   available too): the main thread plus worker threads on one shared
//   WebAssembly memory;
// - both sides draw their reparameterisation noise inside the timed steps;
// - both do the same --warmup steps once, in one long-lived process each,
//   then --rounds timed rounds of --steps steps, interleaved (project, PyTorch,
//   project, ...), and each side's best round counts, so a burst of load from
//   other processes on this shared machine does not decide the ratio.
//
// Options: --arch a,b (default small,base,celeba), --steps N (default 40),
//          --warmup N (default 5), --rounds N (default 5), --batch N (128),
//          --threads N, --torch-threads N, --min-ratio R (exit 1 if a ratio
//          falls below R).
//
// Both sides also report images per CPU-second (process CPU time), which is
// less sensitive to other processes than wall time. The project's GFLOP/s
// (trainingFlops: the GEMM work of a step) is set against WebAssembly SIMD's
// peak on this machine, measured in the same run (wasm-peak.mjs), per thread.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Debian's interpreter, which has python3-torch; the python3 on PATH may be
// another one without it. VAE_BENCH_PYTHON overrides (e.g. to check the
// missing-torch message).
const PYTHON = process.env.VAE_BENCH_PYTHON ?? '/usr/bin/python3';
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// The architectures the bench knows. Adding one is one line: its input shape
// comes from buildArchSpec's imageShape (MNIST when it is 28x28x1, random
// pixels otherwise), and torch_peer.py builds its PyTorch twin from the same
// config.
const ARCHS = ['small', 'base', 'celeba'];
// A celeba step (64x64x3) costs about 100 small ones: a tenth of the steps per
// round keeps its rounds as long as the others' and the whole bench in minutes.
const STEP_SCALE = { small: 1, base: 1, celeba: 0.1 };

const { values: opts } = parseArgs({
  options: {
    arch: { type: 'string', default: ARCHS.join(',') },
    steps: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
    batch: { type: 'string', default: '128' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'torch-threads': { type: 'string', default: String(availableParallelism()) },
    'min-ratio': { type: 'string' },
  },
});
const positive = (name) => {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(opts[name])}`);
    process.exit(2);
  }
  return v;
};
const stepsPerRound = positive('steps');
const warmup = positive('warmup');
const batch = positive('batch');
const rounds = positive('rounds');
const torchThreads = positive('torch-threads');
const threads = positive('threads');
const archs = opts.arch.split(',').map((a) => a.trim()).filter(Boolean);
for (const a of archs) {
  if (!ARCHS.includes(a)) {
    console.error(`--arch ${a} is not benchmarked (expected a comma-separated list of ${ARCHS.join(', ')})`);
    process.exit(2);
  }
}

// 1. The peer must exist and run on an optimised BLAS: a missing PyTorch is an
// error with a fix, never a skip, and a ratio against the reference BLAS is
// never printed.
const { judgeBlas, BLAS_REFUSED_EXIT } = await import('./blas-verdict.mjs');
const { peerEnv, startPeer } = await import('./peer-process.mjs');
const probe = spawnSync(PYTHON, [here('./torch_peer.py'), 'blas', '--threads', String(torchThreads)], { encoding: 'utf8', env: peerEnv() });
if (probe.status !== 0) {
  console.error(`bench:train needs PyTorch for ${PYTHON} (the peer it is compared with), and it is not importable:`);
  console.error((probe.stderr || probe.error?.message || '').trim().split('\n').at(-1));
  console.error('Install it with:  sudo apt-get install python3-torch');
  process.exit(2);
}
const runtime = JSON.parse(probe.stdout.trim().split('\n').at(-1));
const blas = judgeBlas(runtime.blas);
console.log(`PyTorch BLAS (read from the peer's /proc/self/maps after a matmul): ${blas.name}`);
if (!blas.ok) {
  console.error(`bench:train: ${blas.message}`);
  process.exit(BLAS_REFUSED_EXIT);
}

// 2. The trainer's real training step, on the project's CPU path. Bundled
// from the TypeScript sources with esbuild, so the bench always measures the
// code in the tree (no stale dist/) and needs no separate build step.
const { bundleTrainer } = await import('./bundle-trainer.mjs');
const T = await bundleTrainer({ cacheName: 'vae-bench' });
const choice = await T.selectBackend('cpu', { threads });
const { measureWasmPeak } = await import('./wasm-peak.mjs');
// Measured before and after the rounds, the higher kept: a burst of load from
// other processes during one measurement must not lower the ceiling (and so
// flatter the fraction of it the kernels reach).
const peakRuns = [await measureWasmPeak()];
const bestPeak = () => ({
  mulAdd: Math.max(...peakRuns.map((p) => p.mulAdd)),
  fma: peakRuns[0].fma === null ? null : Math.max(...peakRuns.map((p) => p.fma)),
});
// The kernels' own multiply-add decides which peak applies.
const usesFma = choice.detail.includes('FMA');
const kernelPeak = () => (usesFma ? { name: 'f32x4.relaxed_madd', gflops: bestPeak().fma } : { name: 'f32x4.mul + add', gflops: bestPeak().mulAdd });
let mnist;

/** Eight fixed batches, cycled: real MNIST for 28x28x1, uniform [0, 1) pixels of the arch's shape otherwise. */
async function benchBatches(spec, rng) {
  const [h, w, c] = spec.config.imageShape;
  if (h === 28 && w === 28 && c === 1) {
    mnist ??= await T.loadMnist();
    return Array.from({ length: 8 }, () => {
      const idx = Array.from({ length: batch }, () => Math.floor(rng.uniform() * mnist.train.count));
      return T.gather(mnist.train, idx).x;
    });
  }
  return Array.from({ length: 8 }, () => Float32Array.from({ length: batch * h * w * c }, () => rng.uniform()));
}

/** One arch: the same warm-up on both sides, then interleaved timed rounds; each side's best round. */
async function benchArch(arch) {
  const spec = T.buildArchSpec({ arch });
  const steps = Math.max(2, Math.round(stepsPerRound * STEP_SCALE[arch]));
  const latent = spec.config.latent;
  const peer = startPeer(PYTHON, [here('./torch_peer.py'), 'serve', '--arch-config', JSON.stringify(spec.config),
    '--batch', String(batch), '--threads', String(torchThreads)]);
  try {
    const hello = await peer.next();
    const peerBlas = judgeBlas(hello.blas);
    if (!peerBlas.ok) {
      console.error(`bench:train (${arch} peer): ${peerBlas.message}`);
      process.exit(BLAS_REFUSED_EXIT);
    }
    const model = T.createVaeModel(spec, 1);
    const trainer = new T.TrainStep(model, { lr: 1e-3, ...T.ADAM_DEFAULTS });
    const rng = new T.Rng(7);
    const batches = await benchBatches(spec, rng);
    let last;
    let done = 0;
    // The noise is drawn inside every timed step, as PyTorch's randn_like is.
    const run = async (n) => {
      for (let i = 0; i < n; i++, done++) last = await trainer.step(batches[done % 8], batch, rng.normals(batch * latent), 1);
    };
    await run(warmup);
    await peer.request(`warmup ${warmup}`);
    const tfjsRound = async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run(steps);
      const secs = (performance.now() - t0) / 1000;
      const cu = process.cpuUsage(c0);
      const cpu = (cu.user + cu.system) / 1e6;
      return { rate: (steps * batch) / secs, cpuRate: (steps * batch) / cpu };
    };
    const best = (a, b) => (!a || b.rate > a.rate ? b : a);
    let tj;
    let pt;
    // Alternate the two (never both at once: they would share the cores).
    for (let r = 0; r < rounds; r++) {
      const t = await tfjsRound();
      tj = best(tj, t);
      const p = await peer.request(`round ${steps}`);
      pt = best(pt, { rate: p.images_per_sec, cpuRate: p.images_per_cpu_sec, loss: p.last_loss });
      console.log(`  ${arch} round ${r + 1}/${rounds}: project ${t.rate.toFixed(0)} images/s, PyTorch ${p.images_per_sec.toFixed(0)} images/s`);
    }
    trainer.dispose();
    model.dispose();
    return { arch, spec, hello, tj, pt, tfjsLoss: last.objective, done, steps };
  } finally {
    await peer.close();
  }
}

// 3. The table, a row as each arch finishes.
console.log(`batch ${batch}, Adam 1e-3, noise drawn inside each timed step on both sides;`);
console.log(`both sides: ${warmup} warm-up step${warmup === 1 ? '' : 's'} once, then ${rounds} interleaved rounds of ${stepsPerRound} steps (celeba: a tenth, at least 2), best round of each kept`);
console.log(`  project: tfjs ${choice.name} + ${choice.detail} (--threads: the main thread plus worker threads on one WebAssembly memory)`);
console.log(`  WebAssembly SIMD peak, one core (wasm-peak.mjs, measured before and after the rounds, the higher kept); the kernels use ${kernelPeak().name}`);
console.log(`  PyTorch: ${runtime.framework}, ${runtime.threads} thread${runtime.threads === 1 ? '' : 's'} (torch.set_num_threads), OPENBLAS_NUM_THREADS=${runtime.env.OPENBLAS_NUM_THREADS}, OMP_NUM_THREADS=${runtime.env.OMP_NUM_THREADS}, BLAS ${blas.name}`);
const fmt = (x) => x.toFixed(0).padStart(6);
const table = ['| arch | image | project images/s (per CPU-s) | PyTorch images/s (per CPU-s) | ratio project/PyTorch (per CPU-s) |', '|---|---|---:|---:|---:|'];
let belowMin = false;
const results = [];
for (const arch of archs) {
  const r = await benchArch(arch);
  results.push(r);
  const ratio = r.tj.rate / r.pt.rate;
  if (opts['min-ratio'] !== undefined && ratio < Number(opts['min-ratio'])) belowMin = true;
  table.push(`| ${r.arch} | ${r.spec.config.imageShape.join('x')} | ${fmt(r.tj.rate)} (${fmt(r.tj.cpuRate)}) | ${fmt(r.pt.rate)} (${fmt(r.pt.cpuRate)}) | ${ratio.toFixed(2)} (${(r.tj.cpuRate / r.pt.cpuRate).toFixed(2)}) |`);
  // Both sides train from their own random init on the same kind of batches;
  // the losses only show that both are really training, not a comparison.
  console.log(`  (sanity, ${r.arch}: project loss ${r.tfjsLoss.toFixed(1)}, PyTorch ${r.pt.loss.toFixed(1)}, after ${r.done} steps each)`);
  console.log(table.at(-1));
}
peakRuns.push(await measureWasmPeak());
const p = bestPeak();
console.log(`\nWebAssembly SIMD peak, one core: ${p.mulAdd.toFixed(1)} GFLOP/s with f32x4.mul + add, ${p.fma === null ? 'no relaxed SIMD' : `${p.fma.toFixed(1)} with f32x4.relaxed_madd`} (runs: ${peakRuns.map((q) => `${q.mulAdd.toFixed(1)}/${q.fma?.toFixed(1) ?? '-'}`).join(', ')})`);
const flopsTable = ['| arch | MFLOP per training image | project GFLOP/s | of the WebAssembly peak (' + kernelPeak().name + ', x ' + threads + ' threads) |', '|---|---:|---:|---:|'];
for (const r of results) {
  const mflop = T.trainingFlops(r.spec).flops / 1e6;
  const gflops = (r.tj.rate * mflop) / 1000;
  flopsTable.push(`| ${r.arch} | ${mflop.toFixed(1)} | ${gflops.toFixed(1)} | ${(100 * gflops / (kernelPeak().gflops * threads)).toFixed(0)}% |`);
}
console.log(`\n${table.join('\n')}\n\n${flopsTable.join('\n')}`);
if (belowMin) {
  console.error(`a ratio is below --min-ratio ${opts['min-ratio']}`);
  process.exit(1);
}
