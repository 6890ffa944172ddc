/**
 * Keeps two sweeps out of one folder, and a rerun out of a run folder whose
 * orphaned child (its sweep was SIGKILLed) is still writing its last
 * checkpoint. Both are pid files checked with signal 0.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@vae/format/checkpoint';
import { SweepDirError } from './sweep-errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(path: string): Promise<number | null> {
  try {
    const text = (await fs.readFile(path, 'utf8')).slice(0, 32).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/** File in the sweep folder holding the running sweep's pid. */
export const SWEEP_LOCK = 'sweep.lock';

/** Takes the sweep folder's lock (a stale one, of a dead process, is replaced); returns its release. */
export async function lockSweepDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, SWEEP_LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await fs.open(path, 'wx');
      await h.write(`${process.pid}\n`);
      await h.close();
      return () => fs.rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = await readPid(path);
      if (pid !== null && pid !== process.pid && alive(pid)) {
        throw new SweepDirError(`${dir} is in use by another vae-sweep (pid ${pid}); expected one sweep per folder: wait for it, or stop it`);
      }
      await fs.rm(path, { force: true });
    }
  }
  throw new SweepDirError(`cannot take the lock ${path}; expected to create it exclusively`);
}

/** File in a run folder holding the pid of its vae-train child. */
export const CHILD_PID = 'sweep-child.pid';

/** Records the pid of the child training in `runDir`. */
export async function recordChild(runDir: string, pid: number): Promise<void> {
  await writeFileAtomic(join(runDir, CHILD_PID), `${pid}\n`);
}

/**
 * Waits while a child recorded in `runDir` still runs: after a SIGKILLed
 * sweep it is stopping on its own and writing its checkpoint, which the
 * rerun must read, not race.
 */
export async function waitForOrphan(runDir: string, log: (l: string) => void, timeoutMs = 120_000): Promise<void> {
  const pid = await readPid(join(runDir, CHILD_PID));
  if (pid === null || !alive(pid)) return;
  log(`waiting for vae-train (pid ${pid}) of an interrupted sweep to finish writing ${runDir}`);
  const until = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > until) throw new SweepDirError(`vae-train (pid ${pid}) still runs in ${runDir} after ${timeoutMs / 1000} s; expected it to stop once its sweep died: stop it, then rerun`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Forgets the child of `runDir` once it has exited, so a later pid reuse is never waited for. */
export async function clearChild(runDir: string): Promise<void> {
  await fs.rm(join(runDir, CHILD_PID), { force: true });
}
