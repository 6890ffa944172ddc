/**
 * Runtime side of the SIMD GEMM: instantiates the embedded module once and
 * hands out scratch regions of its linear memory.
 *
 * Kernels lay out their operands in the module's memory (an "arena" reused
 * from offset 0 by every call; tfjs runs kernels synchronously, one at a
 * time), call {@link WasmGemm.gemm} and copy the result out.
 */
import { GEMM_WASM_BASE64 } from './gemm-wasm.js';

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
   * and returns their byte offsets plus a view of the whole memory. Any view
   * obtained earlier may be detached by the growth this causes.
   */
  arena(sizes: readonly number[]): { ptrs: number[]; heap: Float32Array };
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
        if (need > 0) memory.grow(Math.ceil(need / 65536));
        if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
        return { ptrs, heap };
      },
    };
  } catch {
    cached = null;
  }
  return cached;
}
