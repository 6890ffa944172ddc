import { describe, expect, it } from 'vitest';
import { assembleGemm } from './build-wasm.mjs';
import { GEMM_WASM_BASE64 } from './gemm-wasm.js';

describe('the embedded GEMM module', () => {
  it('is exactly what build-wasm.mjs assembles from gemm-wat.mjs (regenerate it after editing the generator)', async () => {
    const bytes = await assembleGemm();
    expect(Buffer.from(bytes).toString('base64')).toBe(GEMM_WASM_BASE64);
  });
});
