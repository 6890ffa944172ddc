/** Assembles the SIMD GEMM's WebAssembly text (see build-wasm.mjs). */
export function assembleGemm(): Promise<Uint8Array>;
