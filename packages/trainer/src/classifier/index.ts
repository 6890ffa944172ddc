/**
 * The MNIST classifier that scores a conditional VAE's samples (kept out of
 * the SDK; its weights live in models/mnist-classifier/).
 */
export type { ClassifierSpec, ClassifierLayer } from './classifier-spec.js';
export { CLASSIFIER_SPEC, CLASSIFIER_VERSION, classifierWeightShapes } from './classifier-spec.js';
export type { ClassifierModel } from './classifier-model.js';
export { classifierFromParams, initClassifierParams, ClassifierParamsError } from './classifier-model.js';
export type { ClassTally } from './classify.js';
export { classify, tally, ClassifyInputError } from './classify.js';
export type { SampleScore } from './sample-score.js';
export { classProbabilities, scoreProbabilities } from './sample-score.js';
export type { ClassifierTrainOptions, ClassifierEpoch } from './train-classifier.js';
export { trainClassifier, evaluateClassifier, crossEntropy, CLASSIFIER_TRAIN_DEFAULTS, ClassifierOptionsError } from './train-classifier.js';
export type { ClassifierHeader } from './weights-file.js';
export {
  CLASSIFIER_FILE,
  CLASSIFIER_MAGIC,
  ClassifierFileError,
  decodeClassifierWeights,
  encodeClassifierWeights,
  readClassifierWeights,
  writeClassifierWeights,
} from './weights-file.js';
