/**
 * Where a run folder stands, read from its checkpoint: a run whose
 * checkpoint has all its epochs and no mid-epoch position is finished; one
 * with a checkpoint short of that is continued with `--resume`; one without
 * (never started, or stopped before its first checkpoint) starts afresh.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, readCheckpoint } from '@vae/format/checkpoint';

/** What the sweep does with a run folder. */
export type RunState = { kind: 'finished'; epochs: number; createdAt: string; step: number } | { kind: 'unfinished'; epoch: number; epochs: number } | { kind: 'fresh' };

/** Reads `dir`'s checkpoint header (the format's integrity checks included) to tell how far the run got. */
export async function runState(dir: string): Promise<RunState> {
  try {
    await fs.access(join(dir, CHECKPOINT_FILE));
  } catch {
    return { kind: 'fresh' };
  }
  const { header } = await readCheckpoint(dir);
  const epochs = header.train.epochs;
  if (header.epoch >= epochs && !header.position) return { kind: 'finished', epochs, createdAt: header.createdAt, step: header.step };
  return { kind: 'unfinished', epoch: header.epoch, epochs };
}
