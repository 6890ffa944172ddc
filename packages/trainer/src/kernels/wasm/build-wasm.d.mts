/** Assembles the SIMD GEMM's WebAssembly text (see build-wasm.mjs); `fma` selects the relaxed-SIMD variant. */
export function assembleGemm(options?: { fma?: boolean }): Promise<Uint8Array>;
