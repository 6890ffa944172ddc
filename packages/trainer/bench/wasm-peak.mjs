#!/usr/bin/env node
// WebAssembly SIMD's peak on one core of this machine, with and without
// fused multiply-add: the ceiling the project's GEMM kernels can reach, which
// bench:train compares its GFLOP/s with.
//
//   node packages/trainer/bench/wasm-peak.mjs      (pnpm bench:wasm-peak)
//
// A loop of CHAINS independent f32x4 accumulators, each updated once per
// iteration with `c = c + x * y` (f32x4.mul then f32x4.add) or with
// `f32x4.relaxed_madd` (relaxed SIMD; Node 20 has it behind
// --experimental-wasm-relaxed-simd, which this script turns on). Twelve
// chains hide the add latency; x and y stay in registers, so nothing but the
// arithmetic is timed. Each of 4 lanes does 2 FLOPs per update.
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const CHAINS = 12;

function peakWat(fma) {
  const locals = Array.from({ length: CHAINS }, (_, i) => `(local $c${i} v128)`).join(' ');
  const body = Array.from({ length: CHAINS }, (_, i) => fma
    ? `(local.set $c${i} (f32x4.relaxed_madd (local.get $x) (local.get $y) (local.get $c${i})))`
    : `(local.set $c${i} (f32x4.add (local.get $c${i}) (f32x4.mul (local.get $x) (local.get $y))))`).join('\n      ');
  // The sum of the chains is returned so the engine cannot drop the loop.
  const sum = Array.from({ length: CHAINS }, (_, i) => `(local.get $c${i})`).reduce((a, b) => `(f32x4.add ${a} ${b})`);
  return `(module (func (export "run") (param $n i32) (result f32) (local $x v128) (local $y v128) ${locals}
    (local.set $x (f32x4.splat (f32.const 1.0001))) (local.set $y (f32x4.splat (f32.const 0.9999)))
    (block $e (loop $l (br_if $e (i32.eqz (local.get $n)))
      ${body}
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (f32x4.extract_lane 0 ${sum})))`;
}

/**
 * GFLOP/s of one core: best of `rounds` runs of `iterations` loop iterations.
 * `fma` is null where the engine has no relaxed SIMD.
 * @returns {Promise<{ mulAdd: number, fma: number | null }>}
 */
export async function measureWasmPeak({ iterations = 2e7, rounds = 9 } = {}) {
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Newer engines ship relaxed SIMD and may not know the flag.
  }
  const wabt = await wabtInit();
  const features = { simd: true, relaxed_simd: true };
  const rate = (fma) => {
    const mod = wabt.parseWat('peak.wat', peakWat(fma), features);
    mod.validate(features);
    const bytes = mod.toBinary({}).buffer;
    mod.destroy();
    if (!WebAssembly.validate(bytes)) return null;
    const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports.run;
    run(1e5);
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      run(iterations);
      best = Math.min(best, performance.now() - t0);
    }
    return (iterations * CHAINS * 4 * 2) / (best / 1000) / 1e9;
  };
  return { mulAdd: rate(false), fma: rate(true) };
}

/**
 * The native reference: PyTorch's sgemm (2048², OpenBLAS when installed) on
 * one thread, best of 5, in GFLOP/s; null without PyTorch.
 */
export function measureNativeSgemm(python = process.env.VAE_BENCH_PYTHON ?? '/usr/bin/python3') {
  const code = `
import time, torch
torch.set_num_threads(1)
a = torch.randn(2048, 2048); b = torch.randn(2048, 2048)
torch.mm(a, b)
best = min((lambda t0: (torch.mm(a, b), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5))
print(2 * 2048 ** 3 / best / 1e9)`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const p = await measureWasmPeak();
  console.log(`WebAssembly SIMD peak, one core, ${CHAINS} independent f32x4 chains, best of 9 runs:`);
  console.log(`  f32x4.mul + f32x4.add: ${p.mulAdd.toFixed(1)} GFLOP/s`);
  console.log(`  f32x4.relaxed_madd:    ${p.fma === null ? 'unavailable (no relaxed SIMD)' : `${p.fma.toFixed(1)} GFLOP/s`}`);
  const native = measureNativeSgemm();
  if (native === null) console.log('  native sgemm: PyTorch not importable (sudo apt-get install python3-torch libopenblas0-pthread)');
  else console.log(`  native sgemm (PyTorch torch.mm 2048x2048, 1 thread, OPENBLAS_NUM_THREADS=1): ${native.toFixed(1)} GFLOP/s; WebAssembly's peak is ${(100 * (p.fma ?? p.mulAdd) / native).toFixed(0)}% of it`);
}
