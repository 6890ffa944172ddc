/**
 * The units of work the GEMM kernels hand to the kernel pool: a job is a
 * short list of integers (its kind, the conv geometry and byte offsets into
 * the shared memory), cut into chunks, and {@link runJob} does one chunk.
 *
 * Every chunk writes its own rows of the result, and no chunking changes the
 * order in which any output element is summed, so one, two or eight threads
 * give bit-identical results (a spec checks it):
 * - `gemmRows` and `convForward` split the output rows;
 * - `convBackpropInput` splits whole images, so the col2im scatters of two
 *   chunks never touch the same input pixel;
 * - `convBackpropFilter` (a sum over pixels) gives each fixed 256-pixel
 *   reduction block its own partial `dW`; the caller adds the partials in
 *   block order.
 *
 * `runJob` is also the body of the worker threads: kernel-pool.ts embeds its
 * source text in the worker, so it must stay self-contained (no imports, no
 * helpers, no closures).
 */

/** The kernel entry points a job calls: the WebAssembly module's exports, or the pure-JS fallback's. */
export interface RawKernels {
  gemm(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  im2col(x: number, H: number, W: number, ci: number, OH: number, OW: number, fh: number, fw: number,
    sh: number, sw: number, top: number, left: number, m0: number, m1: number, cols: number): void;
  col2im(dx: number, H: number, W: number, ci: number, OH: number, OW: number, fh: number, fw: number,
    sh: number, sw: number, top: number, left: number, m0: number, m1: number, cols: number): void;
  transpose(rows: number, cols: number, src: number, dst: number): void;
}

/** Job kinds (the first integer of a job). */
export const JOB = Object.freeze({
  /** `[1, M, N, K, a, lda, b, ldb, c, ldc, accumulate]`: `C (+)= A · B`, rows split. */
  gemmRows: 1,
  /** `[2, geometry×11, M, K, N, MB, x, cols, colsStride, w, out]`: `out = im2col(x) · w`, pixel rows split. */
  convForward: 2,
  /** `[3, geometry×11, M, K, N, MB, dy, cols, colsStride, wT, dx, pixelsPerImage]`: `dx += col2im(dy · wᵀ)`, images split. */
  convBackpropInput: 3,
  /**
   * `[4, geometry×11, M, K, N, MB, x, cols, colsStride, colsT, dy, part, block, j0, j1]`:
   * for reduction blocks `j` in `[j0, j1)` of `block` pixels, `part[j - j0] = im2col(x)ᵀ · dy` over the block's pixels.
   */
  convBackpropFilter: 4,
});

/** Most integers a job has (the pool's argument slots). */
export const JOB_SLOTS = 32;


/**
 * Chunk `c` of `C` of job `a` (see {@link JOB}). The pool's threads claim
 * chunks one at a time, so a thread that wakes late only takes what is left.
 * Geometry is `H, W, ci, OH, OW, fh, fw, sh, sw, top, left` in `a[1..11]`;
 * `slot` picks the thread's own scratch region for columns.
 */
export function runJob(ex: RawKernels, a: ArrayLike<number>, c: number, C: number, slot: number): void {
  const kind = a[0];
  if (kind === 1) {
    const M = a[1]; const N = a[2]; const K = a[3]; const lda = a[5]; const ldc = a[9];
    // Units of the micro-kernel's 4 rows, so no chunk ends on a ragged edge.
    const units = Math.ceil(M / 4);
    const m0 = Math.min(M, 4 * Math.floor((c * units) / C));
    const m1 = Math.min(M, 4 * Math.floor(((c + 1) * units) / C));
    if (m1 > m0) ex.gemm(m1 - m0, N, K, a[4] + 4 * m0 * lda, lda, a[6], a[7], a[8] + 4 * m0 * ldc, ldc, a[10]);
    return;
  }
  const H = a[1]; const W = a[2]; const ci = a[3]; const OH = a[4]; const OW = a[5]; const fh = a[6]; const fw = a[7];
  const sh = a[8]; const sw = a[9]; const top = a[10]; const left = a[11];
  const M = a[12]; const K = a[13]; const N = a[14]; const MB = a[15];
  const cols = a[17] + slot * a[18];
  if (kind === 2) {
    // Units of whole im2col blocks.
    const units = Math.ceil(M / MB);
    const end = Math.min(M, MB * Math.floor(((c + 1) * units) / C));
    for (let m0 = MB * Math.floor((c * units) / C); m0 < end; m0 += MB) {
      const m1 = Math.min(end, m0 + MB);
      ex.im2col(a[16], H, W, ci, OH, OW, fh, fw, sh, sw, top, left, m0, m1, cols);
      ex.gemm(m1 - m0, N, K, cols, K, a[19], N, a[20] + 4 * m0 * N, N, 0);
    }
  } else if (kind === 3) {
    // Units of whole images: their col2im scatters never overlap.
    const ppi = a[21];
    const images = M / ppi;
    const end = ppi * Math.floor(((c + 1) * images) / C);
    for (let m0 = ppi * Math.floor((c * images) / C); m0 < end; m0 += MB) {
      const m1 = Math.min(end, m0 + MB);
      ex.gemm(m1 - m0, K, N, a[16] + 4 * m0 * N, N, a[19], K, cols, K, 0);
      ex.col2im(a[20], H, W, ci, OH, OW, fh, fw, sh, sw, top, left, m0, m1, cols);
    }
  } else if (kind === 4) {
    // Units of reduction blocks, each with its own partial dW.
    const colsT = a[19] + slot * a[18];
    const block = a[22];
    const j0 = a[23];
    const blocks = a[24] - j0;
    const jEnd = j0 + Math.floor(((c + 1) * blocks) / C);
    for (let j = j0 + Math.floor((c * blocks) / C); j < jEnd; j++) {
      const part = a[21] + 4 * (j - j0) * K * N;
      const r1 = Math.min(M, (j + 1) * block);
      for (let m0 = j * block; m0 < r1; m0 += MB) {
        const m1 = Math.min(r1, m0 + MB);
        ex.im2col(a[16], H, W, ci, OH, OW, fh, fw, sh, sw, top, left, m0, m1, cols);
        // With the block of columns transposed (cheap: it is in cache) the
        // GEMM streams dy's rows, which are only N wide and stay in L1,
        // instead of re-reading the column block from L2 for every group of
        // output rows (that ran at a third of the speed).
        ex.transpose(m1 - m0, K, cols, colsT);
        ex.gemm(K, N, m1 - m0, colsT, m1 - m0, a[20] + 4 * m0 * N, N, part, N, m0 === j * block ? 0 : 1);
      }
    }
  } else {
    throw new Error(`unknown kernel job kind ${kind}`);
  }
}
