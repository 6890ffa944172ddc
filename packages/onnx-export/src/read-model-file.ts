/**
 * Reads a file for `vae-export --check` with its size bounded before anything
 * is allocated. `fs.readFile` on `/dev/zero` grew to 7 GB, and on a FIFO it
 * blocks until a writer comes; only regular files have a size to trust.
 */
import { constants, promises as fs } from 'node:fs';
import type { Stats } from 'node:fs';

/**
 * The largest file `--check` reads: protobuf caps one message at 2 GiB, so a
 * bigger `.onnx` file cannot be valid (large models keep weights in external data).
 */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

/** What {@link readModelFile} found: the bytes, or why there are none (for a person). */
export type ModelFileRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

function refuse(st: Stats, maxBytes: number): string | null {
  if (!st.isFile()) return `not a regular file (${kind(st)}); --check reads .onnx files only`;
  if (st.size > maxBytes) return `${st.size} bytes, over the ${maxBytes}-byte limit of one protobuf message`;
  return null;
}

/**
 * Reads a whole regular file of at most `maxBytes`. Never throws: a missing
 * file, a device, a FIFO or an oversized file comes back as a reason.
 */
export async function readModelFile(path: string, maxBytes: number = MAX_MODEL_FILE_BYTES): Promise<ModelFileRead> {
  const code = (e: unknown) => `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  let st: Stats;
  try {
    st = await fs.stat(path);
  } catch (e) {
    return { ok: false, reason: code(e) };
  }
  const before = refuse(st, maxBytes);
  if (before) return { ok: false, reason: before };
  let fh: fs.FileHandle;
  try {
    // O_NONBLOCK: if the path is swapped for a FIFO after the stat, open must not wait for a writer.
    fh = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, reason: code(e) };
  }
  try {
    const st2 = await fh.stat(); // the file actually opened, not whatever the path named a moment ago
    const after = refuse(st2, maxBytes);
    if (after) return { ok: false, reason: after };
    const bytes = new Uint8Array(st2.size);
    let off = 0;
    while (off < bytes.length) {
      const { bytesRead } = await fh.read(bytes, off, bytes.length - off, off);
      if (bytesRead === 0) break; // shrank while reading: what is there is what gets checked
      off += bytesRead;
    }
    return { ok: true, bytes: off === bytes.length ? bytes : bytes.subarray(0, off) };
  } catch (e) {
    return { ok: false, reason: code(e) };
  } finally {
    await fh.close().catch(() => {});
  }
}
