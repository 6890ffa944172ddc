/**
 * Runtime side of the SIMD GEMM: instantiates the embedded module once and
 * hands out scratch regions of its linear memory.
 *
 * Kernels lay out their operands in the module's memory (an "arena" reused
 * from offset 0 by every call; tfjs runs kernels synchronously, one at a
 * time), call {@link WasmGemm.gemm} and copy the result out.
 */
import type { Conv2DInfo } from '../conv-geometry.js';
import { GEMM_WASM_BASE64 } from './gemm-wasm.js';

type ConvRowsFn = (
  x: number, H: number, W: number, ci: number, OH: number, OW: number, fh: number, fw: number,
  sh: number, sw: number, top: number, left: number, m0: number, m1: number, cols: number,
) => void;

type GemmFn = (
  M: number, N: number, K: number,
  a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number,
) => void;

/** The instantiated module. */
export interface WasmGemm {
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

let cached: WasmGemm | null | undefined;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The SIMD GEMM, or `null` where the runtime lacks WebAssembly SIMD (then the
 * kernels use their pure-JS GEMM). Compiled synchronously: the module is
 * ~2 KB, under every engine's synchronous-compile limit.
 */
export function wasmGemm(): WasmGemm | null {
  if (cached !== undefined) return cached;
  try {
    const module = new WebAssembly.Module(decodeBase64(GEMM_WASM_BASE64));
    const instance = new WebAssembly.Instance(module, {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const gemm = instance.exports.gemm as GemmFn;
    const im2colFn = instance.exports.im2col as ConvRowsFn;
    const col2imFn = instance.exports.col2im as ConvRowsFn;
    let heap = new Float32Array(memory.buffer);
    cached = {
      gemm,
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
        if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
        return { ptrs, heap };
      },
      transpose: instance.exports.transpose as WasmGemm['transpose'],
      im2col: (info, x, cols, m0, m1) => convRows(im2colFn, info, x, cols, m0, m1),
      col2im: (info, cols, dx, m0, m1) => convRows(col2imFn, info, dx, cols, m0, m1),
    };
  } catch {
    cached = null;
  }
  return cached;
}
