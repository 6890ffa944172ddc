/**
 * Dense single-precision matrix products over `Float32Array`, the arithmetic
 * core that every project convolution and matmul kernel reduces to.
 *
 * All matrices are row-major and tightly packed. Accumulation happens in JS
 * numbers (float64) and is rounded to float32 once on store, like tfjs' own
 * CPU kernels, so results agree with tfjs within float32 rounding.
 */

/**
 * `C[M×N] = A[M×K] · B[K×N]` (or `+=` when `accumulate`).
 *
 * Loop order i-k-j keeps the innermost loop on contiguous rows of B and C.
 * The output row is accumulated in a float64 scratch row, so C is only
 * rounded once, and zeros in A (ReLU outputs, padding) skip a whole row of B.
 */
export function gemmNN(
  M: number, N: number, K: number,
  A: Float32Array, B: Float32Array, C: Float32Array, accumulate = false,
): void {
  const acc = scratchRow(N);
  for (let i = 0; i < M; i++) {
    const cOff = i * N;
    if (accumulate) for (let j = 0; j < N; j++) acc[j] = C[cOff + j];
    else acc.fill(0, 0, N);
    const aOff = i * K;
    for (let k = 0; k < K; k++) {
      const a = A[aOff + k];
      if (a === 0) continue;
      const bOff = k * N;
      for (let j = 0; j < N; j++) acc[j] += a * B[bOff + j];
    }
    for (let j = 0; j < N; j++) C[cOff + j] = acc[j];
  }
}

/**
 * `C[K×N] = Aᵀ · B` for `A[M×K]`, `B[M×N]` (or `+=` when `accumulate`): the
 * reduction over the long M axis that filter gradients need (`colsᵀ · dy`).
 *
 * Accumulates into a float64 copy of C (which is small: filter-sized) so the
 * sum over M is not rounded to float32 at every step.
 */
export function gemmTN(
  M: number, N: number, K: number,
  A: Float32Array, B: Float32Array, C: Float32Array, accumulate = false,
): void {
  const acc = scratchAcc(K * N);
  if (accumulate) for (let t = 0; t < K * N; t++) acc[t] = C[t];
  else acc.fill(0, 0, K * N);
  for (let m = 0; m < M; m++) {
    const aOff = m * K;
    const bOff = m * N;
    for (let k = 0; k < K; k++) {
      const a = A[aOff + k];
      if (a === 0) continue;
      const cOff = k * N;
      for (let j = 0; j < N; j++) acc[cOff + j] += a * B[bOff + j];
    }
  }
  for (let t = 0; t < K * N; t++) C[t] = acc[t];
}

/** Returns `Aᵀ` for a row-major `A[rows×cols]`, written into `out` if given. */
export function transpose(rows: number, cols: number, A: Float32Array, out?: Float32Array): Float32Array {
  const T = out ?? new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let c = 0; c < cols; c++) T[c * rows + r] = A[off + c];
  }
  return T;
}

// Reused float64 scratch: kernels run synchronously, one at a time, so one
// buffer per role suffices and hot paths never allocate.
let rowBuf = new Float64Array(64);
let accBuf = new Float64Array(4096);

function scratchRow(n: number): Float64Array {
  if (rowBuf.length < n) rowBuf = new Float64Array(n);
  return rowBuf;
}

function scratchAcc(n: number): Float64Array {
  if (accBuf.length < n) accBuf = new Float64Array(n);
  return accBuf;
}
