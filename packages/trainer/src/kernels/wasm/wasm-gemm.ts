/**
 * Runtime side of the SIMD GEMM: instantiates the embedded module once on a
 * shared memory, hands out scratch regions of it, and runs jobs on the
 * kernel pool's threads.
 *
 * Kernels lay out their operands in the module's memory (an "arena" reused
 * from offset 0 by every call; tfjs runs kernels synchronously, one at a
 * time), run a job (parallel-jobs.ts) and copy the result out.
 */
import { setFlagsFromString } from 'node:v8';
import type { Conv2DInfo } from '../conv-geometry.js';
import { KernelPool } from '../kernel-pool.js';
import type { RawKernels } from '../parallel-jobs.js';
import { runJob } from '../parallel-jobs.js';
import { GEMM_FMA_WASM_BASE64, GEMM_WASM_BASE64 } from './gemm-wasm.js';

type ConvRowsFn = (
  x: number, H: number, W: number, ci: number, OH: number, OW: number, fh: number, fw: number,
  sh: number, sw: number, top: number, left: number, m0: number, m1: number, cols: number,
) => void;

type GemmFn = (
  M: number, N: number, K: number,
  a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number,
) => void;

/** The module's element-wise passes (byte pointers, `n` elements; see gemm-wat.mjs). */
export interface WasmElementwise {
  add_same(a: number, b: number, out: number, n: number): void;
  sub_same(a: number, b: number, out: number, n: number): void;
  mul_same(a: number, b: number, out: number, n: number): void;
  div_same(a: number, b: number, out: number, n: number): void;
  /** `out[r, c] = x[r, c] op b[c]` over rows of `C`; `mode` 0 add, 1 add then ReLU, 2 sub, 3 mul, 4 div. */
  channel_op(x: number, b: number, C: number, out: number, n: number, mode: number): void;
  /** One Adam step in place on `p`, `m`, `v` from `g` (see adam-update.ts); the scalars as float32. */
  adam(p: number, m: number, v: number, g: number, n: number,
    b1: number, c1: number, b2: number, c2: number, eps: number, step: number, bc2: number): void;
  /** `out = y > 0 ? dy : 0` (NaN where `y` is NaN). */
  relu_grad(dy: number, y: number, out: number, n: number): void;
  /** `dst[i] += src[i]`: float32 `src` into a float64 `dst` (8-byte aligned). */
  acc_f64(src: number, dst: number, n: number): void;
  /** `dst[i] = src[i]` rounded from float64 to float32. */
  f64_to_f32(src: number, dst: number, n: number): void;
}

/** The instantiated module. */
export interface WasmGemm {
  /** Element-wise passes on the same memory, for the element-wise kernels. */
  readonly ew: WasmElementwise;
  /**
   * Runs a job (see parallel-jobs.ts) of about `macs` multiply-adds: on the
   * kernel pool's threads when there are several and the job is large enough
   * to repay waking them, else on the calling thread. The result is the same
   * bit for bit either way.
   */
  run(job: readonly number[], macs: number): void;
  /** Threads a job may use; kernels reserve this many per-thread scratch regions. */
  readonly threads: number;
  /** Whether the micro-kernel uses relaxed SIMD's fused multiply-add. */
  readonly fma: boolean;
  /** `dst[i] += src[i]` for `n` float32 values at `src` into float64 values at `dst` (byte offsets, `dst` 8-byte aligned). */
  accumulateF64(src: number, dst: number, n: number): void;
  /** `dst[i] = src[i]`: `n` float64 values rounded to float32 (byte offsets). */
  roundF64(src: number, dst: number, n: number): void;
  /**
   * `C[M×N] (+)= A[M×K] · B[K×N]`, float32, row-major with leading
   * dimensions `lda`/`ldb`/`ldc` (elements); pointers are byte offsets.
   */
  gemm: GemmFn;
  /**
   * Reserves consecutive 16-byte-aligned regions of the given float counts
   * and returns their byte offsets plus a view of the whole memory, or `null`
   * when the memory cannot grow that far (32-bit WebAssembly tops out at
   * 4 GB; callers then use tfjs' kernel). Any view obtained earlier may be
   * detached by the growth this causes. The memory never shrinks: it stays
   * as large as the largest call so far.
   */
  arena(sizes: readonly number[]): { ptrs: number[]; heap: Float32Array } | null;
  /**
   * Rows `[m0, m1)` of the im2col matrix of the NHWC input at byte offset `x`,
   * written from byte offset `cols` (row `m0` first); see conv-geometry's im2col.
   */
  im2col(info: Conv2DInfo, x: number, cols: number, m0: number, m1: number): void;
  /** `dst = srcᵀ` for a row-major `src[rows×cols]`; byte offsets, non-overlapping. */
  transpose(rows: number, cols: number, src: number, dst: number): void;
  /** Adds rows `[m0, m1)` of a column matrix at `cols` back onto the NHWC tensor at `dx` (the adjoint of im2col). */
  col2im(info: Conv2DInfo, cols: number, dx: number, m0: number, m1: number): void;
}

/** Calls a row-range conv helper of the module with the geometry unpacked. */
function convRows(fn: ConvRowsFn, info: Conv2DInfo, x: number, cols: number, m0: number, m1: number): void {
  fn(x, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, m0, m1, cols);
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Jobs below this many multiply-adds stay on the calling thread: handing a
 * job to a spinning worker costs about a microsecond, a 2^18-MAC job takes
 * about 10 µs.
 */
const PARALLEL_MIN_MACS = 1 << 18;
let parallelMinMacs = PARALLEL_MIN_MACS;

/**
 * Overrides the size below which jobs stay on the calling thread (`undefined`
 * restores the default), so that specs can run tiny shapes on the pool.
 */
export function setParallelMinMacs(macs: number | undefined): void {
  parallelMinMacs = macs ?? PARALLEL_MIN_MACS;
}

/** The module's linear memory is capped at 4 GiB (32-bit WebAssembly); shared memories declare their maximum. */
const MAX_PAGES = 65536;

interface Loaded {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ex: RawKernels;
  fma: boolean;
}

let loaded: Loaded | null | undefined;
let pool: KernelPool | undefined;
let wantThreads = 1;
let cached: WasmGemm | null | undefined;

/**
 * Whether the engine runs relaxed SIMD. Node 22's V8 ships it; Node 20's
 * (V8 11.3) has it behind `--experimental-wasm-relaxed-simd`, which is turned
 * on here at run time (it only adds WebAssembly opcodes). `VAE_WASM_FMA=0`
 * keeps the mul + add kernel.
 */
function relaxedSimd(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (process.env.VAE_WASM_FMA === '0') return false;
  if (WebAssembly.validate(bytes)) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(bytes);
}

/**
 * The FMA variant where the engine runs relaxed SIMD (see {@link relaxedSimd}),
 * else the mul + add one (about 20% slower here); `null` without WebAssembly
 * SIMD or shared memory.
 */
function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  try {
    const fmaBytes = decodeBase64(GEMM_FMA_WASM_BASE64);
    const fma = relaxedSimd(fmaBytes);
    const module = new WebAssembly.Module(fma ? fmaBytes : decodeBase64(GEMM_WASM_BASE64));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as RawKernels;
    loaded = { module, memory, ex, fma };
  } catch {
    loaded = null;
  }
  return loaded;
}

/**
 * Sets how many threads (the caller plus `n - 1` workers) the WebAssembly
 * kernels use. Workers start on the first large job; a pool that cannot start
 * leaves the kernels on one thread, with a warning.
 */
export function setWasmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kernel threads must be a positive integer, got ${n}`);
  if (pool && pool.threads !== n) {
    pool.close();
    pool = undefined;
  }
  wantThreads = n;
}

/** The thread count set by {@link setWasmThreads} (default 1). */
export function wasmThreads(): number {
  return wantThreads;
}

function poolFor(l: Loaded): KernelPool | undefined {
  if (wantThreads === 1) return undefined;
  if (!pool) {
    try {
      pool = new KernelPool(l.module, l.memory, l.ex, wantThreads);
    } catch (e) {
      console.warn(`vae-train: running the kernels on one thread (${(e as Error).message})`);
      wantThreads = 1;
      return undefined;
    }
  }
  return pool;
}

/**
 * The SIMD GEMM, or `null` where the runtime lacks WebAssembly SIMD (then the
 * kernels use their pure-JS GEMM). Compiled synchronously: the module is
 * ~4 KB, under every engine's synchronous-compile limit.
 */
export function wasmGemm(): WasmGemm | null {
  if (cached !== undefined) return cached;
  const l = load();
  if (!l) {
    cached = null;
    return cached;
  }
  const { memory, ex } = l;
  let heap = new Float32Array(memory.buffer);
  cached = {
    ew: ex as unknown as WasmElementwise,
    fma: l.fma,
    get threads() {
      return wantThreads;
    },
    run(job, macs) {
      const p = macs >= parallelMinMacs ? poolFor(l) : undefined;
      if (p) p.run(job);
      else runJob(ex, job, 0, 1, 0);
    },
    gemm: ex.gemm,
    accumulateF64: (src, dst, n) => (ex as unknown as WasmElementwise).acc_f64(src, dst, n),
    roundF64: (src, dst, n) => (ex as unknown as WasmElementwise).f64_to_f32(src, dst, n),
    arena(sizes) {
      const ptrs: number[] = [];
      let end = 0;
      for (const n of sizes) {
        ptrs.push(end);
        end += (Math.ceil(n / 4) * 4) * 4;
      }
      const need = end - memory.buffer.byteLength;
      if (need > 0) {
        try {
          memory.grow(Math.ceil(need / 65536));
        } catch {
          return null;
        }
      }
      // A shared memory's buffer is not detached by growth, but the old
      // object keeps its old length.
      if (heap.length * 4 !== memory.buffer.byteLength) heap = new Float32Array(memory.buffer);
      return { ptrs, heap };
    },
    transpose: ex.transpose,
    im2col: (info, x, cols, m0, m1) => convRows(ex.im2col, info, x, cols, m0, m1),
    col2im: (info, cols, dx, m0, m1) => convRows(ex.col2im, info, dx, cols, m0, m1),
  };
  return cached;
}
