/** Reading a local model file (Node) through the platform hook, bounded, with typed errors. */
import { VAESourceError } from '../errors.js';
import { platform } from '../platform.js';

/**
 * Reads at most `maxBytes` of a regular file. `expected` says what the file
 * should be (for messages); `bound` says where `maxBytes` comes from.
 */
export async function readLocal(path: string, maxBytes: number, expected: string, bound: string): Promise<Uint8Array> {
  if (!platform.readFile) throw new VAESourceError(`cannot read ${path}: this platform reads no local files; expected a URL or bytes`);
  try {
    return await platform.readFile(path, maxBytes);
  } catch (e) {
    const err = e as { code?: string; kind?: string; size?: number; message?: string };
    if (err.code === 'ENOENT') throw new VAESourceError(`model file not found: ${path}; expected ${expected}`, { cause: e });
    if (err.code === 'ENOTREG') throw new VAESourceError(`${path} is ${err.kind}, not a regular file; expected ${expected}`, { cause: e });
    if (err.code === 'EFBIG') {
      throw new VAESourceError(`${path} is ${err.size === undefined ? 'growing' : `${err.size} bytes`}; expected at most ${maxBytes} (${bound}): not read`, { cause: e });
    }
    throw new VAESourceError(`cannot read ${path}: ${err.message ?? String(e)}`, { cause: e });
  }
}
