/**
 * The GEMM every project convolution and matmul kernel reduces to, with a
 * WebAssembly SIMD implementation (about 5 GMAC/s here, against ~0.15 for the
 * best plain-JS loop measured) and a pure-JS fallback of identical interface
 * for engines without WebAssembly SIMD.
 *
 * Operands live in one linear "heap" (the WebAssembly memory, or a JS
 * Float32Array for the fallback) so a kernel writes im2col data straight into
 * the place the GEMM reads it from.
 */
import type { Conv2DInfo } from './conv-geometry.js';
import { col2im, im2col } from './conv-geometry.js';
import type { RawKernels } from './parallel-jobs.js';
import { runJob } from './parallel-jobs.js';
import type { WasmGemm } from './wasm/wasm-gemm.js';
import { setWasmThreads, wasmGemm, wasmThreads } from './wasm/wasm-gemm.js';

/** Same contract as {@link WasmGemm} (less its element-wise passes): byte offsets into `heap`, leading dimensions in elements. */
export type Gemm = Omit<WasmGemm, 'ew'>;

/**
 * Pure-JS implementation of {@link Gemm}. Accumulates each output row in
 * float64 and rounds once, like tfjs' own kernels.
 */
export function createJsGemm(): Gemm {
  let heap = new Float32Array(1024);
  let row = new Float64Array(64);
  // The raw entry points jobs call, with the conv geometry unpacked as the
  // WebAssembly exports take it.
  const geometry = (H: number, W: number, ci: number, OH: number, OW: number, fh: number, fw: number,
    sh: number, sw: number, top: number, left: number): Conv2DInfo => ({
    inHeight: H, inWidth: W, inChannels: ci, outHeight: OH, outWidth: OW, filterHeight: fh, filterWidth: fw,
    strideHeight: sh, strideWidth: sw, padInfo: { top, left, bottom: 0, right: 0, type: 'EXPLICIT' },
  }) as unknown as Conv2DInfo;
  const raw: RawKernels = {
    gemm: (...args) => g.gemm(...args),
    transpose: (rows, cols, src, dst) => transposeInto(rows, cols, heap, src >> 2, heap, dst >> 2),
    im2col: (x, H, W, ci, OH, OW, fh, fw, sh, sw, top, left, m0, m1, cols) =>
      im2col(heap, x >> 2, geometry(H, W, ci, OH, OW, fh, fw, sh, sw, top, left), heap, cols >> 2, m0, m1),
    col2im: (dx, H, W, ci, OH, OW, fh, fw, sh, sw, top, left, m0, m1, cols) =>
      col2im(heap, cols >> 2, geometry(H, W, ci, OH, OW, fh, fw, sh, sw, top, left), heap, dx >> 2, m0, m1),
  };
  const f64 = (byteOffset: number, n: number) => new Float64Array(heap.buffer, byteOffset, n);
  const g: Gemm = {
    threads: 1,
    fma: false,
    accumulateF64(src, dst, n) {
      const d = f64(dst, n);
      const s = src >> 2;
      for (let i = 0; i < n; i++) d[i] += heap[s + i];
    },
    roundF64(src, dst, n) {
      heap.set(f64(src, n), dst >> 2);
    },
    run(job) {
      runJob(raw, job, 0, 1, 0);
    },
    arena(sizes) {
      const ptrs: number[] = [];
      let end = 0;
      for (const n of sizes) {
        ptrs.push(end * 4);
        end += Math.ceil(n / 4) * 4;
      }
      if (heap.length < end) {
        try {
          heap = new Float32Array(end);
        } catch {
          return null;
        }
      }
      return { ptrs, heap };
    },
    gemm(M, N, K, a, lda, b, ldb, c, ldc, accumulate) {
      const h = heap;
      if (row.length < N) row = new Float64Array(N);
      const acc = row;
      const a0 = a >> 2;
      const b0 = b >> 2;
      const c0 = c >> 2;
      for (let i = 0; i < M; i++) {
        const cOff = c0 + i * ldc;
        for (let j = 0; j < N; j++) acc[j] = accumulate ? h[cOff + j] : 0;
        const aOff = a0 + i * lda;
        for (let k = 0; k < K; k++) {
          const av = h[aOff + k];
          if (av === 0) continue;
          const bOff = b0 + k * ldb;
          for (let j = 0; j < N; j++) acc[j] += av * h[bOff + j];
        }
        for (let j = 0; j < N; j++) h[cOff + j] = acc[j];
      }
    },
    transpose(rows, cols, src, dst) {
      transposeInto(rows, cols, heap, src >> 2, heap, dst >> 2);
    },
    im2col(info, x, cols, m0, m1) {
      im2col(heap, x >> 2, info, heap, cols >> 2, m0, m1);
    },
    col2im(info, cols, dx, m0, m1) {
      col2im(heap, cols >> 2, info, heap, dx >> 2, m0, m1);
    },
  };
  return g;
}

let active: Gemm | undefined;

/**
 * Sets how many threads the WebAssembly kernels use (the calling thread plus
 * `n - 1` worker threads on the same shared memory); the trainer sets it from
 * `--threads`. Results do not depend on it: see parallel-jobs.ts.
 */
export function setKernelThreads(n: number): void {
  setWasmThreads(n);
}

/** The thread count the kernels use (1 until {@link setKernelThreads} says otherwise). */
export function kernelThreads(): number {
  return wasmThreads();
}

/** The GEMM the kernels use: WebAssembly SIMD where available, else pure JS. */
export function getGemm(): Gemm {
  active ??= wasmGemm() ?? createJsGemm();
  return active;
}

/**
 * Overrides the implementation {@link getGemm} returns (`undefined` restores
 * the default); lets the specs run every kernel on the pure-JS fallback too.
 */
export function setGemm(g: Gemm | undefined): void {
  active = g;
}

/**
 * Writes `srcᵀ` (for a row-major `src[rows×cols]` starting at `srcOff`) into `dst` at `dstOff`.
 *
 * Works in tiles of 64 source rows: a naive transpose of a tall matrix writes
 * each element a whole output row apart (100 KB for 25,000 rows), touching a
 * new cache line and often a new page per element; within a tile each output
 * row receives a contiguous run.
 */
export function transposeInto(
  rows: number, cols: number,
  src: Float32Array, srcOff: number,
  dst: Float32Array, dstOff: number,
): void {
  const TILE = 64;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c = 0; c < cols; c++) {
      let d = dstOff + c * rows + r0;
      let s = srcOff + r0 * cols + c;
      for (let r = r0; r < r1; r++, d++, s += cols) dst[d] = src[s];
    }
  }
}
