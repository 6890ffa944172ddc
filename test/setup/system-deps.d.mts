/** Debian packages the tests need, and how each is probed. */
export declare const REQUIREMENTS: ReadonlyArray<{ pkg: string; why: string; present: () => boolean }>;
/** What to do about missing packages: nothing, install them (root), or stop with the exact command. */
export declare function plan(
  missing: string[],
  host: { isRoot: boolean; hasApt: boolean },
): { action: 'none' } | { action: 'install'; command: string[] } | { action: 'stop'; message: string };
