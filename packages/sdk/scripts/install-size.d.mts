/** Types of install-size.mjs, for the packed-install test. */

/** One install of the packed SDK into a fresh folder. */
export interface Install {
  /** The app folder (its node_modules holds the install). */
  dir: string;
  /** npm's exit status. */
  status: number | null;
  /** Wall time of `npm i`, ms. */
  ms: number;
  /** `du -sk` of node_modules. */
  kib: number;
  /** Whether onnxruntime-node (optional) landed in node_modules. */
  onnxruntimeNode: boolean;
  /** npm's stdout and stderr. */
  log: string;
}
/** Packs the built package; returns the tarball's path. */
export function packSdk(dest?: string): string;
/** A clean environment: PATH, a private HOME and npm cache. */
export function cleanEnv(home: string): Record<string, string>;
/** Installs the tarball with plain `npm i` (plus flags) into `root/name`. */
export function installPacked(tarball: string, o: { root: string; home: string; flags?: string[]; name?: string }): Install;
/** The installs the README quotes. */
export const VARIANTS: readonly { cmd: string; flags: string[] }[];
