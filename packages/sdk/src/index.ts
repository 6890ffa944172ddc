/**
 * `@vae/sdk` platform-free core. The `node` and `web` entry points re-export
 * everything here after registering their ONNX Runtime backend.
 *
 * @packageDocumentation
 */
export type {
  ModelManifest,
  ManifestDType,
  ManifestGraph,
  ManifestMetrics,
  ManifestValueInfo,
} from './manifest.js';
export { MANIFEST_FORMAT_VERSION } from './manifest.js';
