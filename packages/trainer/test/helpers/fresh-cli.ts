/**
 * Builds `src/cli.ts` into a fresh bundle for tests that need a real child
 * process, so they always run the code under test and never a stale `dist/`.
 */
import { build } from 'esbuild';
import { formatFromSource } from '../../bench/format-from-source.mjs';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Same bundling rule as tsup.config.ts: tfjs is bundled (its Node CJS entry
// lacks the gradient registry), every other package the trainer imports stays external.
const BUNDLED = /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgpu)/;

/**
 * Bundles `entryPoints` (output name → source path) from the sources into a
 * fresh folder `node_modules/.cache/<prefix>XXXXXX`, with a package.json saying
 * ESM so that the `.js` outputs load as modules, and returns the folder.
 */
export async function bundleForTest(prefix: string, entryPoints: Record<string, string>): Promise<string> {
  // Inside the package's node_modules so that the external packages resolve from the bundle.
  const base = join(pkgRoot, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  // vitest may end a worker without an 'exit' event, so bundles of earlier runs are swept here.
  for (const d of readdirSync(base)) {
    const p = join(base, d);
    if (d.startsWith(prefix) && Date.now() - statSync(p).mtimeMs > 30 * 60_000) rmSync(p, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  await build({
    entryPoints,
    outdir: dir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // tfjs marks its packages side-effect free, but registering the cpu backend is a side effect.
    ignoreAnnotations: true,
    banner: { js: "import { createRequire as __vaeCreateRequire } from 'node:module'; const require = __vaeCreateRequire(import.meta.url);" },
    // The workspace's contracts package is built from its sources too: its dist/ can be as stale as ours.
    plugins: [
      formatFromSource,
      {
        name: 'external-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            // Only the trainer's own imports stay external; what bundled tfjs imports is bundled with it.
            BUNDLED.test(args.path) || args.importer.includes('/node_modules/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return dir;
}

let cached: Promise<string> | undefined;

/** Bundles the CLI from the sources (once per test file) and returns the path of its `.js`. */
export function freshCli(): Promise<string> {
  cached ??= bundleForTest('vae-test-cli-', { cli: join(pkgRoot, 'src', 'cli.ts') }).then((dir) => join(dir, 'cli.js'));
  return cached;
}
