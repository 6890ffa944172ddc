/**
 * Builds `vae-sweep` from the sources for tests, as fresh-cli.ts does for
 * vae-train: the sweep finds `cli.js` and `sweep-parent-watch.js` beside its
 * own file, so all three are bundled into one folder (with a package.json
 * saying ESM, since they end in .js as in dist/).
 */
import { build } from 'esbuild';
import { formatFromSource } from '../../bench/format-from-source.mjs';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Same bundling rule as tsup.config.ts: tfjs is bundled, every other package stays external.
const BUNDLED = /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgpu)/;

let cached: Promise<string> | undefined;

/** Bundles vae-sweep, vae-train and the parent-watch preload (once per test file); returns the path of `sweep.js`. */
export function freshSweep(): Promise<string> {
  cached ??= (async () => {
    const base = join(pkgRoot, 'node_modules', '.cache');
    mkdirSync(base, { recursive: true });
    for (const d of readdirSync(base)) {
      const p = join(base, d);
      if (d.startsWith('vae-test-sweep-') && Date.now() - statSync(p).mtimeMs > 30 * 60_000) rmSync(p, { recursive: true, force: true });
    }
    const dir = mkdtempSync(join(base, 'vae-test-sweep-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    await build({
      entryPoints: { cli: join(pkgRoot, 'src', 'cli.ts'), sweep: join(pkgRoot, 'src', 'sweep', 'sweep-cli.ts'), 'sweep-parent-watch': join(pkgRoot, 'src', 'sweep', 'parent-watch.ts') },
      outdir: dir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      // tfjs marks its packages side-effect free, but registering the cpu backend is a side effect.
      ignoreAnnotations: true,
      banner: { js: "import { createRequire as __vaeCreateRequire } from 'node:module'; const require = __vaeCreateRequire(import.meta.url);" },
      plugins: [
        formatFromSource,
        {
          name: 'external-packages',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) =>
              BUNDLED.test(args.path) || args.importer.includes('/node_modules/') ? undefined : { path: args.path, external: true },
            );
          },
        },
      ],
    });
    return join(dir, 'sweep.js');
  })();
  return cached;
}
