import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Checkpoint } from './format.js';
import { CHECKPOINT_FILE, CheckpointError, decodeCheckpoint } from './format.js';
import { FileReadRefusedError, readRegularFile } from '../node/read-regular-file.js';

/**
 * Writes `bytes` to `path` atomically: a sibling temp file is written and
 * fsynced, then renamed over the target, so readers see the old or the new
 * file, never a torn one.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Resolves a run directory or a checkpoint file path to the file path. */
export async function resolveCheckpointPath(dirOrFile: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(dirOrFile);
  } catch {
    throw new CheckpointError('missing', `no checkpoint: path does not exist`, dirOrFile);
  }
  const file = st.isDirectory() ? join(dirOrFile, CHECKPOINT_FILE) : dirOrFile;
  try {
    await fs.access(file);
  } catch {
    throw new CheckpointError('missing', `no ${CHECKPOINT_FILE} in this directory; train with --out pointing here first`, dirOrFile);
  }
  return file;
}

/** Largest checkpoint read (Node reads at most 2 GiB into one buffer); the base arch with Adam state is about 5 MB. */
export const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

/** Reads and verifies a checkpoint from a run directory or file. */
export async function readCheckpoint(dirOrFile: string): Promise<Checkpoint> {
  const file = await resolveCheckpointPath(dirOrFile);
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(file, MAX_CHECKPOINT_BYTES);
  } catch (e) {
    if (!(e instanceof FileReadRefusedError)) throw new CheckpointError('missing', `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
    if (e.code === 'ENOTREG') throw new CheckpointError('missing', 'is not a regular file', file);
    throw new CheckpointError('bad-header', e.size === undefined ? 'grew while being read' : `is ${e.size} bytes, over the ${MAX_CHECKPOINT_BYTES}-byte limit`, file);
  }
  return decodeCheckpoint(bytes, file);
}
