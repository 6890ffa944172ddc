import { describe, expect, it } from 'vitest';
import { BLAS_REFUSED_EXIT, judgeBlas, OPENBLAS_INSTALL } from '../bench/blas-verdict.mjs';

// Paths as /proc/self/maps shows them on Debian bookworm: the real targets of
// the libblas.so.3 alternative.
const OPENBLAS = [
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
];
const REFERENCE = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';
const CONFIG = 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64';

describe('judgeBlas: which BLAS PyTorch runs on, and whether a ratio may be printed', () => {
  it('accepts Debian OpenBLAS and names its version, thread count and the libblas.so.3 torch resolved', () => {
    const v = judgeBlas({ mapped: OPENBLAS, openblasConfig: CONFIG, openblasThreads: 1, torchBlasInfo: 'generic' });
    expect(v).toEqual({ ok: true, name: `OpenBLAS 0.3.21, 1 OpenBLAS thread (${OPENBLAS[2]})`, library: OPENBLAS[2] });
  });

  it('refuses the reference BLAS even though torch.__config__ says only "generic", with the apt-get line for OpenBLAS', () => {
    const v = judgeBlas({ mapped: [REFERENCE], openblasConfig: null, openblasThreads: null, torchBlasInfo: 'generic' });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.name).toBe(`the reference BLAS (${REFERENCE})`);
    expect(v.message).toContain(`PyTorch is running on the reference (Netlib) BLAS, ${REFERENCE}; a speed ratio against it would flatter the project, so none is reported.`);
    expect(v.message).toContain(`\n  ${OPENBLAS_INSTALL}`);
    expect(OPENBLAS_INSTALL).toBe('sudo apt-get install libopenblas0-pthread');
    expect(BLAS_REFUSED_EXIT).toBe(3);
  });

  it('refuses when libblas.so.3 is the reference BLAS although another library mapped an OpenBLAS beside it', () => {
    const v = judgeBlas({ mapped: [REFERENCE, OPENBLAS[1]], openblasConfig: CONFIG, openblasThreads: 1, torchBlasInfo: 'generic' });
    expect(v.ok).toBe(false);
    expect(v.library).toBe(REFERENCE);
  });

  it('accepts a torch with its BLAS linked in (nothing mapped) when BLAS_INFO names an optimised one', () => {
    expect(judgeBlas({ mapped: [], torchBlasInfo: 'mkl' })).toEqual({
      ok: true,
      name: 'mkl (linked into torch: torch.__config__ BLAS_INFO=mkl, no BLAS library mapped)',
      library: null,
    });
  });

  it('refuses an unknown BLAS: nothing mapped and BLAS_INFO=generic', () => {
    const v = judgeBlas({ mapped: [], torchBlasInfo: 'generic' });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.name).toBe('an unknown BLAS');
    expect(v.message).toContain('PyTorch is running on an unknown BLAS (no BLAS library mapped in the process, torch.__config__ says BLAS_INFO=generic)');
    expect(v.message).toContain(OPENBLAS_INSTALL);
  });
});
