/** The GEMM module's WebAssembly text (see gemm-wat.mjs); `fma` uses relaxed SIMD's fused multiply-add. */
export function gemmWat(options?: { fma?: boolean }): string;
