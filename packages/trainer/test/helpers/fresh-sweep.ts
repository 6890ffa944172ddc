/**
 * Builds `vae-sweep` from the sources for tests, as fresh-cli.ts does for
 * vae-train: the sweep finds `cli.js` and `sweep-parent-watch.js` beside its
 * own file, so all three are bundled into one folder.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForTest } from './fresh-cli.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

let cached: Promise<string> | undefined;

/** Bundles vae-sweep, vae-train and the parent-watch preload (once per test file); returns the path of `sweep.js`. */
export function freshSweep(): Promise<string> {
  cached ??= bundleForTest('vae-test-sweep-', {
    cli: join(src, 'cli.ts'),
    sweep: join(src, 'sweep', 'sweep-cli.ts'),
    'sweep-parent-watch': join(src, 'sweep', 'parent-watch.ts'),
  }).then((dir) => join(dir, 'sweep.js'));
  return cached;
}
