/**
 * Node's local file read for model files: only regular files, and never more
 * than the caller's bound. The core maps the codes thrown here to
 * VAESourceErrors (source/read-local.ts).
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const coded = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

/**
 * Reads a regular file of at most `maxBytes`. Throws `code: 'ENOTREG'` (with
 * `kind`) for anything else (a FIFO, `/dev/zero`, a directory) and
 * `code: 'EFBIG'` (with `size`) for a larger file, before reading any of it.
 */
export async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  // O_NONBLOCK: opening a FIFO that has no writer would otherwise block a libuv thread for good.
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    // fstat of the open descriptor: the file checked is the file read, even if the path is swapped meanwhile.
    const st = await fh.stat();
    if (!st.isFile()) throw coded(`${path} is ${kindOf(st)}`, { code: 'ENOTREG', kind: kindOf(st) });
    if (st.size > maxBytes) throw coded(`${path} is ${st.size} bytes`, { code: 'EFBIG', size: st.size });
    const buf = new Uint8Array(st.size);
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await fh.read(buf, at, buf.length - at, at);
      if (!bytesRead) break;
      at += bytesRead;
    }
    // Still more after `size` bytes: the file grew since fstat; its size is no longer known.
    if ((await fh.read(new Uint8Array(1), 0, 1, at)).bytesRead) throw coded(`${path} grew while being read`, { code: 'EFBIG', size: undefined });
    return at === buf.length ? buf : buf.slice(0, at);
  } finally {
    await fh.close();
  }
}
