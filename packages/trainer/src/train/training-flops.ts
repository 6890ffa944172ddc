/**
 * Floating-point operations of one training image, from the architecture
 * spec alone, so that a benchmark can turn images/s into GFLOP/s and compare
 * it with the machine's peak.
 */
import type { ArchSpec, LayerSpec } from '@vae/format';
import { expandResidual } from '@vae/format';

/** Multiply-adds of one layer's forward pass for one image (0 for layers without weights). */
export function layerMacs(layer: LayerSpec): number {
  switch (layer.kind) {
    case 'conv2d': {
      const [oh, ow] = layer.outputShape;
      return oh * ow * layer.kernelSize * layer.kernelSize * layer.inChannels * layer.outChannels;
    }
    case 'conv2dTranspose': {
      // Every input pixel scatters a k×k×out patch.
      const [ih, iw] = layer.inputShape;
      return ih * iw * layer.kernelSize * layer.kernelSize * layer.inChannels * layer.outChannels;
    }
    case 'dense':
      return layer.inFeatures * layer.outFeatures;
    default:
      return 0;
  }
}

/** What {@link trainingFlops} counts. */
export interface TrainingFlops {
  /** Multiply-adds of one forward pass (encoder, both heads, decoder). */
  forwardMacs: number;
  /**
   * FLOPs (2 per multiply-add) of forward and backward for one image; with a
   * VampPrior, the step's pseudo-input encoder pass shared out over the batch.
   */
  flops: number;
  /** A VampPrior's pseudo-input encoder pass, multiply-adds of its forward, per step (0 without one). */
  priorForwardMacs: number;
}

/** Options of {@link trainingFlops}. */
export interface TrainingFlopsOptions {
  /** Images per step, over which a VampPrior's per-step pseudo-input pass is shared (default 128, the trainer's). */
  batch?: number;
}

/**
 * The GEMM work of one training step, per image: the forward pass, the
 * weight gradient of every layer (as many multiply-adds again) and the input
 * gradient of every layer but the first (the image needs none). Element-wise
 * work (activations, the loss, BatchNorm, Adam) is left out: it is a few
 * percent of the FLOPs, though not of the time. A VampPrior adds, once per
 * step, the encoder (trunk and heads) on its K pseudo-inputs with all three
 * passes, the first layer's input gradient included (it trains the
 * pseudo-inputs); per image that is `K / batch` of it.
 */
export function trainingFlops(spec: ArchSpec, opts: TrainingFlopsOptions = {}): TrainingFlops {
  // A residual block's work is its two convs' (the skip's Add is element-wise).
  const encoder: LayerSpec[] = expandResidual([...spec.encoder.trunk, spec.encoder.mu, spec.encoder.logvar]);
  const layers: LayerSpec[] = [...encoder, ...expandResidual(spec.decoder)];
  let forwardMacs = 0;
  let trainMacs = 0;
  let first = true;
  for (const layer of layers) {
    const macs = layerMacs(layer);
    if (macs === 0) continue;
    forwardMacs += macs;
    trainMacs += macs * (first ? 2 : 3);
    first = false;
  }
  const K = spec.config.prior?.components ?? 0;
  const priorForwardMacs = K * encoder.reduce((a, l) => a + layerMacs(l), 0);
  const batch = opts.batch ?? 128;
  return { forwardMacs, flops: 2 * (trainMacs + (3 * priorForwardMacs) / batch), priorForwardMacs };
}
