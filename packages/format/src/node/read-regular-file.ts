/**
 * The one bounded file read behind every file that comes from outside: model
 * graphs and manifests (SDK), `.onnx` files for `vae-export --check`,
 * checkpoints and IDX data. `fs.readFile` on `/dev/zero` grows without end and
 * on a FIFO blocks a libuv thread for good; only a regular file has a size to
 * trust, and that size is checked against the caller's bound before anything
 * is allocated.
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Why {@link readRegularFile} refused a path: `ENOTREG` (not a regular file;
 * `kind` says what it is) or `EFBIG` (over the bound: `size`, or undefined when
 * the file grew while being read). Failures of the system calls themselves
 * (`ENOENT`, `EACCES`, …) come through as Node's own errors.
 */
export class FileReadRefusedError extends Error {
  override readonly name = 'FileReadRefusedError';
  constructor(
    readonly path: string,
    readonly code: 'ENOTREG' | 'EFBIG',
    /** What the path is when `code` is `ENOTREG`, e.g. `"a FIFO"`. */
    readonly kind: string | undefined,
    /** The file's size when `code` is `EFBIG`; undefined when it grew while being read. */
    readonly size: number | undefined,
  ) {
    super(code === 'ENOTREG' ? `${path} is ${kind}` : size === undefined ? `${path} grew while being read` : `${path} is ${size} bytes`);
  }
}

/** What a non-regular file is, for messages: `"a FIFO"`, `"a directory"`, … */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Reads a whole regular file of at most `maxBytes`.
 *
 * @throws {@link FileReadRefusedError} for anything but a regular file, or a
 * larger one (before reading any of it); Node's errors for a missing or
 * unreadable path
 *
 * @example
 * ```ts
 * import { readRegularFile } from '@vae/format/node';
 * const bytes = await readRegularFile('models/mnist/model.json', 1 << 20);
 * ```
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array> {
  // O_NONBLOCK: opening a FIFO that has no writer would otherwise block.
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    // fstat of the open descriptor: the file checked is the file read, even if the path is swapped meanwhile.
    const st = await fh.stat();
    if (!st.isFile()) throw new FileReadRefusedError(path, 'ENOTREG', fileKind(st), undefined);
    if (st.size > maxBytes) throw new FileReadRefusedError(path, 'EFBIG', undefined, st.size);
    const buf = new Uint8Array(st.size);
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await fh.read(buf, at, buf.length - at, at);
      if (!bytesRead) break;
      at += bytesRead;
    }
    // Still more after `size` bytes: the file grew since fstat, so its size is no longer known.
    if ((await fh.read(new Uint8Array(1), 0, 1, at)).bytesRead) throw new FileReadRefusedError(path, 'EFBIG', undefined, undefined);
    return at === buf.length ? buf : buf.subarray(0, at);
  } finally {
    await fh.close().catch(() => {});
  }
}
