/** What torch_peer.py's blas_report finds in the PyTorch process. */
export interface BlasReport {
  mapped?: string[];
  openblasConfig?: string | null;
  openblasThreads?: number | null;
  torchBlasInfo?: string | null;
}
/** Whether a speed ratio against this BLAS may be printed, and its name. */
export type BlasVerdict =
  | { ok: true; name: string; library: string | null }
  | { ok: false; name: string; library: string | null; message: string };
/** The command that gives Debian's PyTorch an optimised BLAS. */
export declare const OPENBLAS_INSTALL: string;
/** Exit code of a bench that refuses to compare against PyTorch's BLAS. */
export declare const BLAS_REFUSED_EXIT: number;
/** Names the BLAS behind PyTorch and decides whether a ratio may be reported. */
export declare function judgeBlas(report: BlasReport): BlasVerdict;
