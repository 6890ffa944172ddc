/**
 * Runs jobs at most `width` at a time, in order. After the first failure no
 * new job starts, the running ones finish, and that failure is thrown: a
 * half-killed pool would leave children writing with nobody watching.
 */

/** Calls `job(item, index)` for each item, `width` at a time, until `stop()` says so. */
export async function runPool<T>(items: readonly T[], width: number, job: (item: T, index: number) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure && !stop()) {
      const i = next++;
      try {
        await job(items[i], i);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}
