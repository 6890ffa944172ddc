/**
 * Node entry point of `@vae/sdk`: installs the Node platform (onnxruntime-node,
 * with onnxruntime-web's wasm build as its fallback; local file reading; the
 * bundled model), then re-exports the core plus the
 * PNG helpers. `import '@vae/sdk'` resolves here under Node.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { VAE, tile, encodePng } from '@vae/sdk';
 *
 * const vae = await VAE.load();
 * await writeFile('samples.png', encodePng(tile(await vae.sample(64, { seed: 1 }), 8)));
 * ```
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBackend } from './backends/onnx-node.js';
import { toImageData as coreToImageData } from './images.js';
import type { ImageDataLike } from './images.js';
import { readRegularFile } from '@vae/format/node';
import { installPlatform } from './platform.js';
import type { BundledModelName } from './source/bundled.js';
import { bundledList, DEFAULT_MODEL, isBundledName } from './source/bundled.js';
import { VAEInputError } from './errors.js';
import type { ImageBatch } from './tensors.js';

/**
 * Folder of a model shipped in the package: `'mnist'` (the default, what
 * `VAE.load()` loads) or `'mnist-cvae'` (conditional). The build copies the
 * repository's `models/<name>` to `<package>/models/<name>`; `dist/` and `src/`
 * are both one level below the package root, so the same relative path works
 * from the ESM build, the CJS build (tsup shims `import.meta.url`) and the
 * sources. Inside the monorepo before a build, the repository copy is used.
 *
 * @throws {@link VAEInputError} for a name that is not a bundled model (the message lists them)
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { join } from 'node:path';
 * import { bundledModelDir, parseManifest } from '@vae/sdk';
 * const dir = bundledModelDir();                                  // …/node_modules/@vae/sdk/models/mnist
 * const m = parseManifest(await readFile(join(bundledModelDir('mnist-cvae'), 'model.json'), 'utf8'));
 * console.log(m.condition?.names);                                // ['0', …, '9']
 * ```
 */
export function bundledModelDir(name: BundledModelName = DEFAULT_MODEL): string {
  if (!isBundledName(name)) throw new VAEInputError(`bundledModelDir: ${JSON.stringify(name)} is not a bundled model; expected one of ${bundledList()}`);
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', 'models', name), resolve(here, '..', '..', '..', 'models', name)];
  return candidates.find((d) => existsSync(join(d, 'model.json'))) ?? candidates[0];
}

installPlatform({
  name: 'node',
  backend: nodeBackend,
  stringsArePaths: true,
  readFile: readRegularFile,
  defaultModel: bundledModelDir,
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  cores: availableParallelism,
});

export * from './index.js';
/**
 * {@link toImageData} typed for Node: there is no `ImageData` global here, so
 * it returns the plain `{ data, width, height }` object even when the program
 * compiles with DOM typings.
 *
 * @example
 * ```ts
 * const { data, width, height } = toImageData(await vae.sample(1, { seed: 1 })); // RGBA, 28×28
 * ```
 */
export const toImageData: (images: ImageBatch, index?: number) => ImageDataLike = coreToImageData;
export { encodePng, decodePng, imagesFromPng } from './node/png.js';
export { CUDA_INSTALL_HINT } from './backends/onnx-node.js';
