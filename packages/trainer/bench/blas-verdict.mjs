// Which BLAS PyTorch really runs on, and whether a speed ratio against it may
// be printed. Debian's python3-torch is built with BLAS_INFO=generic: it calls
// whatever `libblas.so.3` the alternatives system points at, and without an
// optimised one that is the Netlib reference BLAS, 3-4x slower. A ratio against
// that peer flatters the project, so the benches refuse to print one.
//
// The facts come from the peer process itself (torch_peer.py's blas_report:
// the BLAS-like shared objects mapped in /proc/self/maps after a matmul, the
// OpenBLAS build string when one is loaded, and torch's own BLAS_INFO); the
// decision is made here so that it can be unit-tested without PyTorch.

/** The command that gives Debian's PyTorch an optimised BLAS. */
export const OPENBLAS_INSTALL = 'sudo apt-get install libopenblas0-pthread';

/** Exit code of a bench that refuses to compare against PyTorch's BLAS. */
export const BLAS_REFUSED_EXIT = 3;

const base = (p) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Names the BLAS behind PyTorch and decides whether a ratio may be reported.
 *
 * `libblas.so.3` is the SONAME torch links against, and only one object of
 * that SONAME can be loaded in a process, so when it is mapped its real path
 * (the alternatives target) is the BLAS torch calls, whatever else (an
 * OpenBLAS loaded by numpy, say) is mapped beside it. Only when no
 * `libblas.so*` is mapped (a torch with its BLAS linked in, such as a pip
 * build with MKL) do the other libraries, then torch's BLAS_INFO, decide.
 *
 * @param {{ mapped?: string[], openblasConfig?: string | null, openblasThreads?: number | null, torchBlasInfo?: string | null }} report
 * @returns {{ ok: true, name: string, library: string | null } | { ok: false, name: string, library: string | null, message: string }}
 */
export function judgeBlas(report) {
  const mapped = report.mapped ?? [];
  const refuse = (name, library, why) => ({
    ok: false,
    name,
    library,
    message:
      `PyTorch is running on ${why}; a speed ratio against it would flatter the project, so none is reported.\n` +
      `Install OpenBLAS (the alternatives system then points libblas.so.3 at it, and the same torch binary uses it):\n  ${OPENBLAS_INSTALL}`,
  });
  const openblasName = () => {
    const version = /OpenBLAS\s+(\S+)/.exec(report.openblasConfig ?? '')?.[1];
    const threads = report.openblasThreads == null ? '' : `, ${report.openblasThreads} OpenBLAS thread${report.openblasThreads === 1 ? '' : 's'}`;
    return `OpenBLAS${version ? ` ${version}` : ''}${threads}`;
  };
  const kind = (p) => (/openblas/i.test(p) ? 'openblas' : /mkl/i.test(p) ? 'mkl' : /blis/i.test(p) ? 'blis' : /atlas/i.test(p) ? 'atlas' : null);
  const optimised = { openblas: openblasName, mkl: () => 'Intel MKL', blis: () => 'BLIS', atlas: () => 'ATLAS' };

  const libblas = mapped.find((p) => /^libblas\.so/.test(base(p)));
  if (libblas) {
    const k = kind(libblas);
    if (k) return { ok: true, name: `${optimised[k]()} (${libblas})`, library: libblas };
    return refuse(`the reference BLAS (${libblas})`, libblas, `the reference (Netlib) BLAS, ${libblas}`);
  }
  const other = mapped.find((p) => kind(p));
  if (other) return { ok: true, name: `${optimised[kind(other)]()} (${other})`, library: other };
  const info = (report.torchBlasInfo ?? '').trim();
  if (info && info !== 'generic') return { ok: true, name: `${info} (linked into torch: torch.__config__ BLAS_INFO=${info}, no BLAS library mapped)`, library: null };
  return refuse('an unknown BLAS', null, `an unknown BLAS (no BLAS library mapped in the process, torch.__config__ says BLAS_INFO=${info || 'nothing'})`);
}
