/**
 * `@vae/format`: what the trainer, the ONNX exporter and the SDK agree on, with
 * no runtime dependency and no platform module, so the SDK's browser bundle can
 * inline it. The checkpoint file codec, which needs Node, is the separate
 * `@vae/format/checkpoint` entry.
 *
 * @example
 * ```ts
 * import { buildArchSpec, GRAPH_IO, parseManifest } from '@vae/format';
 * const spec = buildArchSpec({ arch: 'small' });   // the layers every package builds from
 * const feeds = { [GRAPH_IO.z]: z };                // the decoder's input, by its one name
 * ```
 *
 * @packageDocumentation
 */
export type {
  ArchName,
  ImageShape,
  ArchConfig,
  Pads,
  Activation,
  Conv2DSpec,
  Conv2DTransposeSpec,
  DenseSpec,
  FlattenSpec,
  ReshapeSpec,
  ResidualSpec,
  LayerSpec,
  ArchSpec,
  ConditionSpec,
  BatchNormSpec,
  PriorConfig,
} from './arch-spec.js';
export { ARCH_VERSION, ARCH_DEFAULTS, BATCH_NORM_DEFAULTS, BATCH_NORM_STATE, LOGVAR_CLAMP, MAX_CLASSES, MAX_RES_BLOCKS, MAX_VAMP_COMPONENTS, VAMP_PSEUDO_INPUTS, ArchConfigError, checkPriorConfig, conditionClasses, resolveArchConfig, buildArchSpec, parametrisedLayers, expandResidual, weightShapes } from './arch-spec.js';
export { checkArchSpec } from './check-arch-spec.js';
export type { ManifestDType, ManifestValueInfo, ManifestGraph, ManifestGraphs, ManifestMetrics, ManifestCondition, ManifestData, ManifestPrecision, ManifestPrior, ManifestFloat32Matrix, ModelManifest } from './manifest.js';
export { MANIFEST_FORMAT_VERSION, MANIFEST_PRECISIONS } from './manifest.js';
export type { DecodedPrior } from './parse-manifest.js';
export { parseManifest, checkManifestData, decodeManifestPrior, ManifestError, sameShape, formatShape } from './parse-manifest.js';
export { float32ToBase64, base64ToFloat32, base64Length } from './float32-base64.js';
export type { GraphIoName } from './graph-io.js';
export { GRAPH_IO, BATCH_DIM } from './graph-io.js';
export { Xoshiro128, mix32 } from './xoshiro128.js';
export type { ImageFolderPreparation } from './image-folder-dataset.js';
export { IMAGE_FOLDER_PREFIX, imageFolderPreparation } from './image-folder-dataset.js';
