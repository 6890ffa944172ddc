/**
 * The uint8 cache of a prepared image folder, as the PyTorch peer reads it:
 * `<cacheRoot>/<key>/images.u8` (N*H*W*C bytes, NHWC, in `index.json` order)
 * and `index.json`. The directory is built under a temporary name and renamed
 * into place, so a reader sees a whole cache or none.
 */
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `index.json` of a cache directory. */
export interface CacheIndex {
  version: 1;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Image paths relative to the folder, `/`-separated. */
  files: string[];
  labels?: number[];
  classNames?: string[];
}

/** A cache entry read back: its index and its pixels. */
export interface CachedImages {
  index: CacheIndex;
  images: Uint8Array;
}

/** Where caches live unless `--cache-dir` says otherwise. */
export function defaultCacheRoot(): string {
  return join(homedir(), '.cache', 'vae', 'images');
}

/** Largest `index.json` read (256 MiB). */
const MAX_INDEX_BYTES = 2 ** 28;
/** Chunk of a read or write: Node refuses a single read of 2 GiB or more. */
const CHUNK = 2 ** 26;

function validIndex(v: unknown, bytes: number): v is CacheIndex {
  const o = v as CacheIndex;
  const dim = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 1;
  if (typeof o !== 'object' || o === null || o.version !== 1 || !dim(o.height) || !dim(o.width) || !dim(o.channels) || !Number.isSafeInteger(o.count) || o.count < 0) return false;
  if (o.count * o.height * o.width * o.channels !== bytes) return false;
  if (!Array.isArray(o.files) || o.files.length !== o.count || !o.files.every((f) => typeof f === 'string')) return false;
  // Labels index classNames; a damaged cache must not wrap into other classes when stored as uint8.
  if ((o.labels === undefined) !== (o.classNames === undefined)) return false;
  if (o.classNames !== undefined && (!Array.isArray(o.classNames) || o.classNames.length > 256 || !o.classNames.every((n) => typeof n === 'string'))) return false;
  const k = o.classNames?.length ?? 0;
  if (o.labels !== undefined && (!Array.isArray(o.labels) || o.labels.length !== o.count || !o.labels.every((l) => Number.isInteger(l) && l >= 0 && l < k))) return false;
  return true;
}

/**
 * Reads a cache entry; null when it is absent or damaged (wrong size, bad
 * index), so that the caller decodes the folder again.
 * `maxBytes` bounds the allocation before it is made.
 */
export async function readCache(dir: string, maxBytes: number): Promise<CachedImages | null> {
  let index: unknown;
  let size: number;
  try {
    const st = await fs.stat(join(dir, 'index.json'));
    if (st.size > MAX_INDEX_BYTES) return null;
    index = JSON.parse(await fs.readFile(join(dir, 'index.json'), 'utf8'));
    size = (await fs.stat(join(dir, 'images.u8'))).size;
  } catch {
    return null;
  }
  if (size > maxBytes || !validIndex(index, size)) return null;
  const images = new Uint8Array(size);
  const fh = await fs.open(join(dir, 'images.u8'), 'r');
  try {
    for (let off = 0; off < size; ) {
      const { bytesRead } = await fh.read(images, off, Math.min(CHUNK, size - off), off);
      if (bytesRead === 0) return null;
      off += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { index, images };
}

/** Writes a cache entry atomically (temporary directory, then rename); a concurrent writer of the same key wins harmlessly. */
export async function writeCache(dir: string, index: CacheIndex, images: Uint8Array): Promise<void> {
  const tmp = `${dir}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.mkdir(tmp, { recursive: true });
  try {
    const fh = await fs.open(join(tmp, 'images.u8'), 'w');
    try {
      for (let off = 0; off < images.length; off += CHUNK) await fh.write(images, off, Math.min(CHUNK, images.length - off));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.writeFile(join(tmp, 'index.json'), `${JSON.stringify(index)}\n`);
    // A damaged entry under the same key is replaced: it was refused by readCache.
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    // Another process renamed the same (deterministic) content into place first.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await readCache(dir, images.length)) !== null) return;
    throw e;
  }
}
