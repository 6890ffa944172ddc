import { describe, expect, it } from 'vitest';
import { assembleGemm } from './build-wasm.mjs';
import { GEMM_FMA_WASM_BASE64, GEMM_WASM_BASE64 } from './gemm-wasm.js';

describe('the embedded GEMM modules', () => {
  it('are exactly what build-wasm.mjs assembles from gemm-wat.mjs (regenerate them after editing the generator)', async () => {
    expect(Buffer.from(await assembleGemm()).toString('base64')).toBe(GEMM_WASM_BASE64);
    expect(Buffer.from(await assembleGemm({ fma: true })).toString('base64')).toBe(GEMM_FMA_WASM_BASE64);
  });

  it('differ only in the multiply-add: the FMA variant uses relaxed_madd, the other none', async () => {
    const { gemmWat } = await import('./gemm-wat.mjs');
    expect(gemmWat({ fma: true })).toContain('f32x4.relaxed_madd');
    expect(gemmWat()).not.toContain('relaxed');
  });
});
