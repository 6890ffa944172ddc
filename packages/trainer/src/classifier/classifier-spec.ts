/**
 * The MNIST classifier that scores a conditional VAE's samples: a small CNN of
 * 3×3 convolutions that downsamples by stride 2 rather than pooling (the
 * project's CPU kernels specialise convolutions; pooling would fall back to
 * tfjs' JS kernels), then two dense layers.
 *
 * It is a measuring instrument, not part of the SDK: it lives beside the
 * trainer and its weights are kept out of the shipped package.
 */
import type { Conv2DSpec, DenseSpec, FlattenSpec } from '@vae/format';

/** Layers of the classifier, NHWC, in tfjs weight layouts (as {@link ArchSpec}'s). */
export type ClassifierLayer = Conv2DSpec | DenseSpec | FlattenSpec;

/** The classifier's architecture: a 28×28×1 image to 10 class logits. */
export interface ClassifierSpec {
  /** Bumped whenever the layers or their weight layouts change. */
  version: number;
  imageShape: [number, number, number];
  classes: number;
  layers: ClassifierLayer[];
}

/** Version of {@link CLASSIFIER_SPEC}; a weights file of another version is refused. */
export const CLASSIFIER_VERSION = 1;

const conv = (name: string, h: number, inC: number, outC: number, k: number, stride: number): Conv2DSpec => {
  const pad = Math.floor((k - 1) / 2);
  const o = Math.floor((h + 2 * pad - k) / stride) + 1;
  return {
    kind: 'conv2d',
    name,
    inChannels: inC,
    outChannels: outC,
    kernelSize: k,
    stride,
    pads: { top: pad, bottom: pad, left: pad, right: pad },
    inputShape: [h, h, inC],
    outputShape: [o, o, outC],
    activation: 'relu',
  };
};

const spec: ClassifierSpec = {
  version: CLASSIFIER_VERSION,
  imageShape: [28, 28, 1] as [number, number, number],
  classes: 10,
  layers: [
    conv('conv1', 28, 1, 32, 3, 1),
    conv('conv2', 28, 32, 32, 3, 2),
    conv('conv3', 14, 32, 64, 3, 2),
    conv('conv4', 7, 64, 64, 3, 2),
    { kind: 'flatten', name: 'flatten', inputShape: [4, 4, 64] },
    { kind: 'dense', name: 'fc1', inFeatures: 4 * 4 * 64, outFeatures: 128, activation: 'relu' },
    { kind: 'dense', name: 'fc2', inFeatures: 128, outFeatures: 10, activation: 'linear' },
  ],
};
/**
 * conv 32 (28×28) → conv 32 s2 (→14) → conv 64 s2 (→7) → conv 64 s2 (→4) →
 * dense 128 → dense 10, all 3×3 with ReLU; 197,482 parameters. A stride-1
 * first layer: the all-stride-2 net (conv 32 k5 s2 first) stayed at 98.4–98.5%
 * after 3 epochs in a PyTorch trial, short of the 99% the score needs.
 */
export const CLASSIFIER_SPEC: Readonly<ClassifierSpec> = Object.freeze(spec);

/** Shape of each weight tensor, keyed `"<layer>/kernel"` and `"<layer>/bias"`, in layer order. */
export function classifierWeightShapes(spec: ClassifierSpec = CLASSIFIER_SPEC): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const l of spec.layers) {
    if (l.kind === 'flatten') continue;
    if (l.kind === 'dense') out.set(`${l.name}/kernel`, [l.inFeatures, l.outFeatures]);
    else out.set(`${l.name}/kernel`, [l.kernelSize, l.kernelSize, l.inChannels, l.outChannels]);
    out.set(`${l.name}/bias`, [l.kind === 'dense' ? l.outFeatures : l.outChannels]);
  }
  return out;
}
