/**
 * `model.json` as the SDK sees it: the schema and validator the exporter
 * shares (the workspace's contracts package, inlined into this build),
 * re-exported with the validator's errors turned into {@link VAEModelError}.
 */
import type { ModelManifest } from '@vae/format';
import { ManifestError, parseManifest as parseManifestFormat } from '@vae/format';
import { VAEModelError } from './errors.js';

export type { ManifestCondition, ManifestDType, ManifestFloat32Matrix, ManifestGraph, ManifestMetrics, ManifestPrior, ManifestValueInfo, ModelManifest } from '@vae/format';
export { MANIFEST_FORMAT_VERSION } from '@vae/format';

/**
 * Parses and structurally validates `model.json` (format, version, shapes,
 * graph file names); the graphs themselves are checked when a model loads.
 *
 * @throws {@link VAEModelError} naming the first field that is missing or wrong
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { parseManifest } from '@vae/sdk';
 * const m = parseManifest(await readFile('models/mnist/model.json', 'utf8'));
 * console.log(m.arch, m.latent, m.training.epochs, m.training.metrics?.testLoss);
 * ```
 */
export function parseManifest(input: ModelManifest | string | Uint8Array): ModelManifest {
  try {
    return parseManifestFormat(input);
  } catch (e) {
    // Same message, the SDK's type: callers catch VAEError subclasses only.
    if (e instanceof ManifestError) throw new VAEModelError(e.message, { cause: e.cause ?? e });
    throw e;
  }
}
