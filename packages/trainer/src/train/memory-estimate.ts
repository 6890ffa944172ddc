/**
 * An upper-end estimate of what a run will allocate, computed from the
 * architecture spec alone (no tensors), so that `--latent 5000000` or
 * `--channels 100000,16,32` is refused in milliseconds instead of growing
 * until the kernel's OOM killer ends the process without a message.
 */
import type { ArchSpec, LayerSpec } from '@vae/format';
import { weightShapes } from '@vae/format';

/** Default `--max-memory`: 4 GiB, far above every shipped configuration (the base arch needs well under 1 GiB). */
export const DEFAULT_MAX_MEMORY = 4 * 2 ** 30;

/**
 * Float32 copies of the parameters alive at the worst moment: the variables,
 * their gradients, Adam's m and v and their updated values, and, while a
 * checkpoint is written, the read-out params and slots plus the encoded file.
 */
const PARAM_COPIES = 10;
/** Per activation in a training step: forward value, pre-activation, its gradient and the op's temporaries. */
const TRAIN_ACTIVATION_COPIES = 4;
/** Per activation in evaluation (no gradients, but a tidy keeps every intermediate). */
const EVAL_ACTIVATION_COPIES = 2;
/** Batch of `evaluate` and samples decoded at once by the IWAE bound (see evaluate.ts). */
const EVAL_BATCH = 100;
const IW_SLICE = 256;
/**
 * `[N, K, latent]` float32 tensors a VampPrior's exact mixture density keeps
 * alive in a training step (the difference, its square, the weighted product,
 * and about as many again for the backward pass).
 */
const VAMP_TRAIN_PAIR_COPIES = 6;
/** The same in evaluation: no backward pass. */
const VAMP_EVAL_PAIR_COPIES = 3;

/** What {@link estimateRunMemory} found. */
export interface MemoryEstimate {
  parameters: number;
  /** Bytes for parameters, gradients, Adam state and checkpoint copies. */
  parameterBytes: number;
  /** Bytes for the activations of the largest batch (training step, evaluation or IWAE chunk). */
  activationBytes: number;
  totalBytes: number;
  /** Which phase's activations are the largest, for the error message. */
  activationPhase: string;
}

function layerOutputs(l: LayerSpec): number {
  switch (l.kind) {
    case 'dense':
      return l.outFeatures;
    case 'conv2d':
    case 'conv2dTranspose':
      return l.outputShape[0] * l.outputShape[1] * l.outputShape[2];
    case 'residual':
      // Its two convs' outputs and the sum.
      return l.layers.reduce((n, c) => n + layerOutputs(c), l.layers[0].outputShape.reduce((a, b) => a * b, 1));
    default:
      return 0; // flatten and reshape are views
  }
}

/**
 * Estimates the peak memory of training `spec` with `batch` rows per step (and
 * `iwSamples` for IWAE). With a VampPrior, `priorRows` is the number of latent
 * samples whose mixture density a step evaluates (batch x `--iw-train`): each
 * meets every one of the K components at once.
 */
export function estimateRunMemory(spec: ArchSpec, opts: { batch: number; iwSamples: number; priorRows?: number }): MemoryEstimate {
  let parameters = 0;
  for (const shape of weightShapes(spec)) parameters += shape[1].reduce((a, b) => a * b, 1);
  const [H, W, C] = spec.config.imageShape;
  const pixels = H * W * C;
  const encoder = [...spec.encoder.trunk, spec.encoder.mu, spec.encoder.logvar].reduce((n, l) => n + layerOutputs(l), pixels);
  const decoder = spec.decoder.reduce((n, l) => n + layerOutputs(l), spec.config.latent);
  const perImage = encoder + decoder + pixels; // + the loss's per-pixel terms
  const phases: [string, number][] = [
    [`a training batch of ${opts.batch}`, opts.batch * perImage * TRAIN_ACTIVATION_COPIES * 4],
    [`an evaluation batch of ${EVAL_BATCH}`, EVAL_BATCH * perImage * EVAL_ACTIVATION_COPIES * 4],
  ];
  if (opts.iwSamples > 0) phases.push([`an IWAE slice of ${IW_SLICE} samples`, IW_SLICE * (decoder + 2 * pixels) * EVAL_ACTIVATION_COPIES * 4]);
  const K = spec.config.prior?.components ?? 0;
  if (K > 0) {
    const L = spec.config.latent;
    // The mixture density's [N, K, latent] pairs come on top of the same step's activations.
    const train = phases[0][1] + (opts.priorRows ?? opts.batch) * K * L * 4 * VAMP_TRAIN_PAIR_COPIES;
    phases[0] = [`a training batch of ${opts.batch} with the VampPrior's ${K}-component density`, train];
    const evalRows = Math.max(EVAL_BATCH, opts.iwSamples > 0 ? IW_SLICE : 0);
    phases.push([`the VampPrior's ${K}-component density over ${evalRows} evaluation samples`, evalRows * K * L * 4 * VAMP_EVAL_PAIR_COPIES]);
  }
  const [activationPhase, activationBytes] = phases.reduce((a, b) => (b[1] > a[1] ? b : a));
  const parameterBytes = parameters * 4 * PARAM_COPIES;
  return { parameters, parameterBytes, activationBytes, totalBytes: parameterBytes + activationBytes, activationPhase };
}

/** `1.5 GiB`, `320.0 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
