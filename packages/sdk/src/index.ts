/**
 * `@vae/sdk` platform-free core. The `node` and `browser` entry points
 * re-export everything here after registering their ONNX Runtime backend; the
 * core itself imports no runtime and no platform module.
 *
 * @example
 * ```ts
 * import { VAE, tile } from '@vae/sdk';
 * const vae = await VAE.load();
 * const grid = tile(await vae.sample(64, { seed: 1 }), 8);
 * ```
 *
 * @packageDocumentation
 */
export type {
  ModelManifest,
  ManifestCondition,
  ManifestDType,
  ManifestGraph,
  ManifestMetrics,
  ManifestValueInfo,
  ManifestPrior,
  ManifestFloat32Matrix,
} from './manifest.js';
export { MANIFEST_FORMAT_VERSION } from './manifest.js';
export { VAE } from './vae.js';
export type { LoadOptions, VAEInfo, VAEPrior, VAECondition, SampleOptions, SampleResult, PathResult, InterpolateOptions, ManifoldOptions, DecodeOptions, EncodeOptions, ReconstructOptions, RestyleOptions, RestyleResult } from './vae.js';
export type { LabelInput } from './condition.js';
export { VAEError, VAEInputError, VAEModelError, VAEDeviceError, VAESourceError, VAEDisposedError } from './errors.js';
export type { VAEErrorCode, DeviceFailure } from './errors.js';
export type { Device, ConcreteDevice, WasmOptions } from './backends/types.js';
export { DEVICE_TO_EXECUTION_PROVIDER } from './backends/registry.js';
export { env } from './env.js';
export type { SdkEnv } from './env.js';
export type { ModelSource, ModelBytes, ModelUrls, LoadProgress } from './source/types.js';
export { BUNDLED_MODELS } from './source/bundled.js';
export type { BundledModelName } from './source/bundled.js';
export { parseManifest } from './manifest.js';
export type { ImageBatch, LatentBatch, ImagesInput, LatentsInput } from './tensors.js';
export { imageAt } from './tensors.js';
export { tile, toGray8, toPixels8, toImageData, fromImageData } from './images.js';
export type { TileOptions, ImageDataLike, ImageDataOut, FromPixelsOptions } from './images.js';
export { lerp, slerp } from './interpolate.js';
export { gaussianLatents, Xoshiro128, fillGaussian, MAX_SEED } from './random.js';
export type { LatentSampleOptions } from './random.js';
export { negativeElbo } from './elbo.js';
export type { ElboResult, ElboOptions } from './elbo.js';
