/**
 * `@vae/trainer`: trains a convolutional VAE on MNIST with TensorFlow.js.
 *
 * @example
 * ```ts
 * import { train } from '@vae/trainer';
 * const { history } = await train({ out: 'runs/small', arch: 'small', epochs: 1, trainLimit: 2048 });
 * console.log(history.at(-1)?.testLoss); // negative ELBO per test image, nats
 * ```
 */
// The architecture spec and the checkpoint file are @vae/format's; they are
// re-exported so a trainer user needs one import.
export type { ArchConfig, ArchName, ArchSpec, LayerSpec } from '@vae/format';
export { buildArchSpec, weightShapes, ArchConfigError } from '@vae/format';
export type { VaeModel } from './model/vae.js';
export { createVaeModel, vaeModelFromParams, initParams, ModelParamsError, ConditionError, oneHotLabels } from './model/vae.js';
export type { ReconLoss } from './model/loss.js';
export { bernoulliNll, gaussianKl, squaredError, klWeight } from './model/loss.js';
export type { TrainOptions, TrainResult } from './train/train.js';
export { train, loadModel, TRAIN_DEFAULTS, DEFAULT_VAMP_COMPONENTS, TrainOptionsError } from './train/train.js';
export { encodePseudoInputs, logNormalPairs, vampLogPrior, logPosterior, vampKlEstimate, VampPriorError } from './model/vamp-prior.js';
export type { VampComponents } from './model/vamp-prior.js';
export type { StepLosses, AdamConfig, OptimizerState } from './train/train-step.js';
export { TrainStep, NonFiniteLossError, VampObjectiveError, ADAM_DEFAULTS } from './train/train-step.js';
export type { InterruptSaved } from './train/interrupt.js';
export { InterruptedError } from './train/interrupt.js';
export type { MemoryEstimate } from './train/memory-estimate.js';
export { DEFAULT_MAX_MEMORY, estimateRunMemory } from './train/memory-estimate.js';
export { RunWriteError } from './train/write-run-file.js';
export { checkArchSpec } from '@vae/format';
export type { EvalMetrics, EvalOptions } from './train/evaluate.js';
export { evaluate, importanceWeightedNll } from './train/evaluate.js';
export type { BackendChoice, BackendRequest } from './backend/select-backend.js';
export { selectBackend, BackendUnavailableError, BACKEND_NAMES } from './backend/select-backend.js';
export type { SelectBackendOptions } from './backend/select-backend.js';
export { setKernelThreads, kernelThreads } from './kernels/gemm.js';
export type { Dataset } from './data/datasets.js';
export type { IdxFiles } from './data/datasets.js';
export { loadDataset, loadMnist, loadFashionMnist, loadIdxDirectory, limitSplit, idxFilesSpec, DatasetError } from './data/datasets.js';
export type { LabelledImages, IdxTensor } from './data/idx.js';
export { parseIdx, readIdxFile, readIdxPair, IdxError } from './data/idx.js';
export type { Batch } from './data/batcher.js';
export { epochBatches, sequentialBatches, epochOrder, gather } from './data/batcher.js';
export type { ImageFolder, ImageFolderOptions } from './data/image-folder.js';
export { loadImageFolder, IMAGE_EXTENSIONS } from './data/image-folder.js';
export type { ImageFolderSpec } from './data/image-folder-spec.js';
export { imageFolderSpec, parseImageFolderSpec, isIdxDirectory } from './data/image-folder-spec.js';
export type { ImagePrep } from './data/image-prep.js';
export { prepareImage, parseBackground, ImageDecodeError, ImagePrepError } from './data/image-prep.js';
export type { CacheIndex, CachedImages } from './data/image-cache.js';
export { readCache, defaultCacheRoot } from './data/image-cache.js';
export type { SplitRecord } from './data/folder-split.js';
export { splitIndices, DEFAULT_TEST_FRACTION } from './data/folder-split.js';
export type { FolderLoadOptions } from './data/image-folder-dataset.js';
export { Rng, deriveSeed } from './rng.js';
export * from '@vae/format/checkpoint';
// The MNIST classifier that scores conditional samples (test/quality); not part of the SDK.
export * from './classifier/index.js';
export { trainingFlops, layerMacs } from './train/training-flops.js';
export type { TrainingFlops } from './train/training-flops.js';
