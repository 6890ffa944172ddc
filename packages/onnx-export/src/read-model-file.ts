/**
 * Reads a file for `vae-export --check` with its size bounded before anything
 * is allocated. `fs.readFile` on `/dev/zero` grew to 7 GB, and on a FIFO it
 * blocks until a writer comes; only regular files have a size to trust.
 */
import { FileReadRefusedError, readRegularFile } from '@vae/format/node';

/**
 * The largest file `--check` reads: protobuf caps one message at 2 GiB, so a
 * bigger `.onnx` file cannot be valid (large models keep weights in external data).
 */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

/** What {@link readModelFile} found: the bytes, or why there are none (for a person). */
export type ModelFileRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/**
 * Reads a whole regular file of at most `maxBytes`. Never throws: a missing
 * file, a device, a FIFO or an oversized file comes back as a reason.
 */
export async function readModelFile(path: string, maxBytes: number = MAX_MODEL_FILE_BYTES): Promise<ModelFileRead> {
  try {
    return { ok: true, bytes: await readRegularFile(path, maxBytes) };
  } catch (e) {
    if (e instanceof FileReadRefusedError) {
      if (e.code === 'ENOTREG') return { ok: false, reason: `not a regular file (${e.kind}); --check reads .onnx files only` };
      return { ok: false, reason: e.size === undefined ? 'grew while being read; --check reads files that stay put' : `${e.size} bytes, over the ${maxBytes}-byte limit of one protobuf message` };
    }
    return { ok: false, reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
}
