/**
 * Writes into the run directory, atomically, and turns a failed write into an
 * error that names the file: Node's own `ENOSPC: no space left on device,
 * write` names neither the file nor what to do.
 */
import { writeFileAtomic } from '@vae/format/checkpoint';

/** A file of the run directory (checkpoint, metrics, plot) could not be written. */
export class RunWriteError extends Error {
  override name = 'RunWriteError';
  constructor(
    /** The file that was being written. */
    readonly path: string,
    /** The system error code, e.g. `ENOSPC`. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full; free some space',
  EDQUOT: 'the disk quota is exhausted; free some space',
  EACCES: 'permission denied; choose a writable --out',
  EROFS: 'the file system is read-only; choose a writable --out',
};

/**
 * {@link writeFileAtomic} that reports failures as {@link RunWriteError}. The
 * atomic write leaves the previous version of the file in place on failure,
 * which the message says.
 */
export async function writeRunFile(path: string, bytes: Uint8Array | string, what: string): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code && HINTS[code] ? `${HINTS[code]}, then continue with --resume` : 'fix the cause, then continue with --resume';
    throw new RunWriteError(path, code, `cannot write the ${what} ${path} (${(e as Error).message}); the previous ${what}, if any, is intact; ${hint}`);
  }
}
