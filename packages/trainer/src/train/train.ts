/**
 * The training loop: data, model, Adam, per-epoch evaluation, atomic
 * checkpoints, metrics.jsonl and plots; resumable after any interruption.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ArchName, ArchSpec, ImageShape } from '@vae/format';
import { MAX_CLASSES, VAMP_PSEUDO_INPUTS, buildArchSpec, conditionClasses, weightShapes } from '@vae/format';
import type { Checkpoint, CheckpointHeader, EpochMetrics, EpochPosition, TrainConfig } from '@vae/format/checkpoint';
import { CHECKPOINT_FILE, CheckpointError, encodeCheckpoint, readCheckpoint } from '@vae/format/checkpoint';
import { writeRunFile } from './write-run-file.js';
import { epochBatches } from '../data/batcher.js';
import { DatasetError, limitSplit, loadDataset, resolveClasses } from '../data/datasets.js';
import { dataChanges, digestDataset, resolveDatasetSpec } from '../data/dataset-identity.js';
import type { ReconLoss } from '../model/loss.js';
import { klWeight } from '../model/loss.js';
import type { BinarizeMode } from '../data/binarize.js';
import { binarizeBatch, binarizeSplit, binarizedTestSet } from '../data/binarize.js';
import type { LrScheduleKind } from './lr-schedule.js';
import { scheduledLr } from './lr-schedule.js';
import type { VaeModel } from '../model/vae.js';
import { createVaeModel, vaeModelFromParams } from '../model/vae.js';
import { Rng, deriveSeed } from '../rng.js';
import type { BackendChoice, BackendRequest } from '../backend/select-backend.js';
import { selectBackend } from '../backend/select-backend.js';
import { evaluate } from './evaluate.js';
import type { ProgressSink } from './progress.js';
import { EpochProgress, formatDuration } from './progress.js';
import { ADAM_DEFAULTS, TrainStep } from './train-step.js';
import { writeEpochPlots } from './epoch-plots.js';
import { removeStaleTempFiles } from './stale-temp-files.js';
import type { InterruptSaved } from './interrupt.js';
import { InterruptedError, abortReason, yieldToEventLoop } from './interrupt.js';
import { checkResumePosition } from './resume-position.js';
import { checkBatchNormBatches } from './check-batch-norm-batches.js';
import { DEFAULT_MAX_MEMORY, estimateRunMemory, formatBytes } from './memory-estimate.js';

/** Options of {@link train}. Unset fields take {@link TRAIN_DEFAULTS} or, when resuming, the checkpoint's values. */
export interface TrainOptions {
  out: string;
  arch?: ArchName;
  latent?: number;
  channels?: number[];
  kernel?: number;
  /**
   * Residual blocks at the lowest resolution of the encoder and of the decoder
   * (`--res-blocks`, conv archs small and base; default 0: none). Part of the
   * architecture, so recorded in the checkpoint's spec only when non-zero.
   */
  resBlocks?: number;
  /**
   * Side of the square images the model takes (`celeba` needs a multiple of
   * 2^stages, 16 for its four). Default: the data's own size. The channel
   * count always comes from the data.
   */
  imageSize?: number;
  /**
   * Train a conditional VAE (CVAE) on the class labels: encoder and decoder
   * take the one-hot label (see `ConditionSpec` in `@vae/format`). The class
   * count comes from the data (10 for mnist and fashion) or {@link classes}.
   */
  conditional?: boolean;
  /** Class count of a conditional run on IDX files (default: the largest label + 1). */
  classes?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  beta?: number;
  klWarmup?: number;
  seed?: number;
  dataset?: string;
  recon?: ReconLoss;
  trainLimit?: number | null;
  testLimit?: number | null;
  /** Importance samples for the IWAE bound at each evaluation (0: off). */
  iwSamples?: number;
  /**
   * Train on binarized images (`--binarize`; needs `recon: 'bernoulli'` and
   * grey data): `dynamic` draws each batch's pixels as Bernoulli(intensity)
   * at every step from the epoch's noise stream (saved in a mid-epoch
   * checkpoint, so a resume draws the same bits); `static` draws the training
   * set once from a seed derived from {@link seed}. Either way the test set is
   * drawn once from a fixed seed, so test NELBOs of different runs compare.
   */
  binarize?: BinarizeMode;
  /** Free bits per latent dimension in nats (`--free-bits`, default 0: off); see `freeBitsKl`. */
  freeBits?: number;
  /** Learning-rate curve (`--lr-schedule`, default constant); see {@link scheduledLr}. */
  lrSchedule?: LrScheduleKind;
  /** Epochs of linear learning-rate warm-up from 0 (`--lr-warmup`, fractional allowed; default 0). */
  lrWarmup?: number;
  /** The cosine schedule's final learning rate (`--lr-min`, default 0). */
  lrMin?: number;
  /** Importance samples of the IWAE training objective (`--iw-train`, default 1: the ELBO). */
  iwTrain?: number;
  /**
   * The prior (`--prior`, default `standard`: N(0, I)). `vamp`: the VampPrior,
   * a mixture of the encoder's posteriors at {@link vampComponents} learned
   * pseudo-inputs; part of the architecture (`ArchConfig.prior`), so a resume
   * keeps it. Not with a conditional model, the celeba arch or `freeBits`.
   */
  prior?: 'standard' | 'vamp';
  /** The VampPrior's number of pseudo-inputs K (`--vamp-components`, default {@link DEFAULT_VAMP_COMPONENTS}). */
  vampComponents?: number;
  /** Refuse settings whose estimated memory exceeds this many bytes (default {@link DEFAULT_MAX_MEMORY}). */
  maxMemory?: number;
  /** Continue from `out/checkpoint.vaeckpt` if it exists. */
  resume?: boolean;
  /** Resume even though the data files differ from those the checkpoint was trained on. */
  allowDataChange?: boolean;
  /** Where image-folder caches live (`--cache-dir`; default `~/.cache/vae/images`). */
  cacheDir?: string;
  backend?: BackendRequest;
  /** Threads of the cpu backend's kernels (default: the cores available); results do not depend on it. */
  threads?: number;
  /** Write PNG plots each epoch (default true). */
  plots?: boolean;
  /** Status lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress bar target (default: stderr); null silences it. */
  progress?: ProgressSink | null;
  /** Recorded in the checkpoint so an export can say how it was made. */
  command?: string;
  /**
   * Once aborted, training stops within one step: a mid-epoch checkpoint
   * (weights, Adam state, noise RNG state, position in the epoch's data order)
   * is written atomically and an {@link InterruptedError} saying what was saved
   * is thrown. `--resume` then continues bit-identically.
   */
  signal?: AbortSignal;
}

/** Defaults for a fresh run. */
export const TRAIN_DEFAULTS = Object.freeze({
  arch: 'small' as ArchName,
  epochs: 10,
  batch: 128,
  lr: 1e-3,
  beta: 1,
  klWarmup: 0,
  seed: 1,
  dataset: 'mnist',
  recon: 'bernoulli' as ReconLoss,
  trainLimit: null as number | null,
  testLimit: null as number | null,
  iwSamples: 0,
});

/** Pseudo-inputs of a VampPrior run when `--vamp-components` is not given (the paper's MNIST setting was 500; 100 keeps the per-step encoder pass under the batch's size). */
export const DEFAULT_VAMP_COMPONENTS = 100;

/** What a finished run returns. */
export interface TrainResult {
  history: EpochMetrics[];
  checkpointPath: string;
  backend: BackendChoice;
  spec: ArchSpec;
}

/** Thrown for options that make no sense (before any work is done). */
export class TrainOptionsError extends Error {
  override name = 'TrainOptionsError';
}

function checkPositiveInt(name: string, v: number | null | undefined) {
  if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 1)) throw new TrainOptionsError(`--${name} must be a positive integer, got ${v}`);
}

/** Trains (or resumes) a VAE and returns its per-epoch metrics. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const progress = opts.progress === undefined ? process.stderr : opts.progress;
  for (const k of ['epochs', 'batch', 'latent', 'trainLimit', 'testLimit', 'imageSize'] as const) checkPositiveInt(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), opts[k]);
  if (opts.lr !== undefined && !(opts.lr > 0 && Number.isFinite(opts.lr))) throw new TrainOptionsError(`--lr must be a finite number > 0, got ${opts.lr}`);
  if (opts.beta !== undefined && !(opts.beta >= 0 && Number.isFinite(opts.beta))) throw new TrainOptionsError(`--beta must be a finite number >= 0, got ${opts.beta}`);
  if (opts.klWarmup !== undefined && !(opts.klWarmup >= 0 && Number.isFinite(opts.klWarmup))) {
    throw new TrainOptionsError(`--kl-warmup must be a finite number >= 0, got ${opts.klWarmup}`);
  }
  if (opts.seed !== undefined && !(Number.isInteger(opts.seed) && opts.seed >= 0 && opts.seed <= 0xffffffff)) {
    throw new TrainOptionsError(`--seed must be an integer in [0, 4294967295], got ${opts.seed}`);
  }
  if (opts.kernel !== undefined && !(Number.isInteger(opts.kernel) && opts.kernel >= 2)) throw new TrainOptionsError(`--kernel must be an integer >= 2, got ${opts.kernel}`);
  if (opts.channels !== undefined && (opts.channels.length === 0 || opts.channels.some((c) => !Number.isInteger(c) || c < 1))) {
    throw new TrainOptionsError(`--channels must be positive integers, got ${opts.channels.join(',')}`);
  }
  if (opts.maxMemory !== undefined && !(opts.maxMemory > 0)) throw new TrainOptionsError(`--max-memory must be > 0 bytes, got ${opts.maxMemory}`);
  if (opts.iwSamples !== undefined && !(Number.isInteger(opts.iwSamples) && opts.iwSamples >= 0)) {
    throw new TrainOptionsError(`--iw-samples must be an integer >= 0, got ${opts.iwSamples}`);
  }
  checkTechniqueOptions(opts);

  await fs.mkdir(opts.out, { recursive: true });
  const stale = await removeStaleTempFiles(opts.out);
  if (stale.length) log(`removed ${stale.length} temp file${stale.length > 1 ? 's' : ''} left by an interrupted write (${stale.join(', ')})`);
  const ckptPath = join(opts.out, CHECKPOINT_FILE);
  const existing = await fs.stat(ckptPath).then(() => true, () => false);
  let ckpt: Checkpoint | null = null;
  if (existing && !opts.resume) {
    throw new CheckpointError('mismatch', `already holds a checkpoint; pass --resume to continue it, or choose another --out`, opts.out);
  }
  if (existing) ckpt = await readCheckpoint(ckptPath);

  if (opts.classes !== undefined && !opts.conditional) throw new TrainOptionsError(`--classes ${opts.classes} needs --conditional (an unconditional VAE takes no labels)`);
  if (opts.classes !== undefined && !(Number.isInteger(opts.classes) && opts.classes >= 2 && opts.classes <= MAX_CLASSES)) {
    throw new TrainOptionsError(`--classes must be an integer in [2, ${MAX_CLASSES}], got ${opts.classes}`);
  }
  if (opts.prior !== undefined && opts.prior !== 'standard' && opts.prior !== 'vamp') throw new TrainOptionsError(`--prior "${opts.prior}": expected standard or vamp`);
  if (opts.vampComponents !== undefined && opts.prior !== 'vamp' && !(opts.prior === undefined && ckpt?.header.arch.config.prior)) {
    throw new TrainOptionsError(`--vamp-components ${opts.vampComponents} sizes the VampPrior; it needs --prior vamp`);
  }
  const prior = opts.prior === 'vamp' ? { kind: 'vamp' as const, components: opts.vampComponents ?? ckpt?.header.arch.config.prior?.components ?? DEFAULT_VAMP_COMPONENTS } : undefined;
  if (ckpt && opts.prior !== undefined && (opts.prior === 'vamp') !== Boolean(ckpt.header.arch.config.prior)) {
    const has = ckpt.header.arch.config.prior ? `a VampPrior (${ckpt.header.arch.config.prior.components} components)` : 'the standard normal prior';
    throw new CheckpointError('mismatch', `checkpoint's model has ${has}, but the options ask for --prior ${opts.prior}; resume without changing it`, ckptPath);
  }
  if (ckpt && opts.vampComponents !== undefined && ckpt.header.arch.config.prior && opts.vampComponents !== ckpt.header.arch.config.prior.components) {
    throw new CheckpointError('mismatch', `checkpoint's VampPrior has ${ckpt.header.arch.config.prior.components} components, but the options ask for --vamp-components ${opts.vampComponents}; resume without changing it`, ckptPath);
  }
  // --conditional alone on a resume is checked against the checkpoint below, not rebuilt from defaults.
  const archFlagGiven = [opts.arch, opts.latent, opts.channels, opts.kernel, opts.imageSize, opts.resBlocks].some((v) => v !== undefined) || (!ckpt && (opts.conditional === true || prior !== undefined));
  // Provisional until the data say how many classes they have; only the two head widths and the decoder's first layer depend on it.
  const provisionalClasses = opts.conditional ? (opts.classes ?? ckpt?.header.arch.config.classes ?? 10) : undefined;
  if (opts.kernel !== undefined && (opts.arch ?? ckpt?.header.arch.config.arch ?? TRAIN_DEFAULTS.arch) === 'mlp') {
    throw new TrainOptionsError(`--kernel ${opts.kernel} has no effect on the mlp arch, which has no convolutions; drop it or use --arch small|base`);
  }
  const requestedArchName = opts.arch ?? ckpt?.header.arch.config.arch ?? TRAIN_DEFAULTS.arch;
  // Provisional too until the data give the channel count (and, without --image-size, the size); a resume keeps the checkpoint's.
  const requestedImageShape: ImageShape | undefined =
    opts.imageSize !== undefined
      ? [opts.imageSize, opts.imageSize, ckpt?.header.arch.config.imageShape[2] ?? ARCH_IMAGE_CHANNELS[requestedArchName]]
      : ckpt?.header.arch.config.imageShape;
  const requestedArch =
    archFlagGiven
      ? buildArchSpec({ arch: requestedArchName, latent: opts.latent, channels: opts.channels, kernel: opts.kernel, imageShape: requestedImageShape, classes: provisionalClasses, resBlocks: opts.resBlocks, ...(prior ? { prior } : ckpt?.header.arch.config.prior ? { prior: ckpt.header.arch.config.prior } : {}) })
      : null;
  let spec = ckpt ? ckpt.header.arch : (requestedArch ?? buildArchSpec({ arch: TRAIN_DEFAULTS.arch }));
  if (ckpt && opts.conditional !== undefined && opts.conditional !== Boolean(conditionClasses(spec))) {
    const has = conditionClasses(spec) ? `a conditional model (${conditionClasses(spec)} classes)` : 'an unconditional model';
    throw new CheckpointError('mismatch', `checkpoint holds ${has}, but the options ask for ${opts.conditional ? '--conditional' : 'an unconditional one'}; resume without changing it`, ckptPath);
  }
  if (ckpt && requestedArch && JSON.stringify(requestedArch.config) !== JSON.stringify(spec.config)) {
    throw new CheckpointError('mismatch', `checkpoint is ${JSON.stringify(spec.config)}, but the options ask for ${JSON.stringify(requestedArch.config)}`, ckptPath);
  }
  const base: TrainConfig = ckpt?.header.train ?? { ...TRAIN_DEFAULTS, epochs: TRAIN_DEFAULTS.epochs };
  const cfg: TrainConfig = {
    epochs: opts.epochs ?? base.epochs,
    batch: opts.batch ?? base.batch,
    lr: opts.lr ?? base.lr,
    beta: opts.beta ?? base.beta,
    klWarmup: opts.klWarmup ?? base.klWarmup,
    seed: opts.seed ?? base.seed,
    // Absolute, so a resume from another working directory reads the same files.
    dataset: opts.dataset !== undefined ? resolveDatasetSpec(opts.dataset) : base.dataset,
    recon: opts.recon ?? base.recon,
    trainLimit: opts.trainLimit === undefined ? base.trainLimit : opts.trainLimit,
    testLimit: opts.testLimit === undefined ? base.testLimit : opts.testLimit,
    iwSamples: opts.iwSamples ?? base.iwSamples ?? 0,
    ...techniqueConfig(opts, base),
  };
  checkTechniqueConfig(cfg);
  if (cfg.freeBits && spec.config.prior) {
    throw new TrainOptionsError(`--free-bits ${cfg.freeBits} floors a per-dimension analytic KL, which the VampPrior's Monte-Carlo KL (log q(z|x) - log p(z)) does not have; use --prior standard or drop --free-bits`);
  }
  if (ckpt) {
    // Anything that changes the data order or the maths would make the resumed run a different run.
    const fixed = ['batch', 'lr', 'beta', 'klWarmup', 'seed', 'dataset', 'recon', 'trainLimit', 'binarize', 'freeBits', 'lrSchedule', 'lrWarmup', 'lrMin', 'iwTrain'] as const;
    // A cosine curve is laid over the run's epochs: more epochs would change every later rate.
    const epochsFixed = cfg.lrSchedule === 'cosine' ? (['epochs'] as const) : [];
    const diffs = [...fixed, ...epochsFixed].filter((k) => cfg[k] !== base[k]).map((k) => `${k}: checkpoint ${base[k] ?? 'off'}, options ${cfg[k] ?? 'off'}`);
    if (diffs.length) throw new CheckpointError('mismatch', `cannot resume with different settings (${diffs.join('; ')})`, ckptPath);
  }

  // Before any allocation: a runaway size must be a message, not the OOM killer.
  const limit = opts.maxMemory ?? DEFAULT_MAX_MEMORY;
  // The IWAE objective decodes K samples per image: activations as for a K times larger batch.
  // A VampPrior also encodes its K pseudo-inputs every step: counted as K more rows (a slight overestimate: no decoder pass).
  const trainRows = cfg.batch * (cfg.iwTrain ?? 1) + (spec.config.prior?.components ?? 0);
  const est = estimateRunMemory(spec, { batch: trainRows, iwSamples: cfg.iwSamples, priorRows: cfg.batch * (cfg.iwTrain ?? 1) });
  if (est.totalBytes > limit) {
    throw new TrainOptionsError(
      `estimated memory ${formatBytes(est.totalBytes)} exceeds the limit of ${formatBytes(limit)} (--max-memory): ` +
        `${est.parameters.toLocaleString('en-US')} parameters need ${formatBytes(est.parameterBytes)} with gradients, Adam state and checkpoint copies, ` +
        `and ${est.activationPhase} needs ${formatBytes(est.activationBytes)} of activations; lower --latent, --channels or --batch, or raise --max-memory`,
    );
  }

  const backend = await selectBackend(opts.backend ?? 'auto', { threads: opts.threads });
  log(backend.summary);

  const conditional = conditionClasses(spec) > 0;
  // A conditional run on IDX files may have up to MAX_CLASSES labels; resolveClasses then bounds them by --classes.
  const data = await loadDataset(cfg.dataset, conditional ? (ckpt ? conditionClasses(spec) : (opts.classes ?? MAX_CLASSES)) : undefined, {
    imageShape: spec.config.imageShape,
    seed: cfg.seed,
    cacheRoot: opts.cacheDir,
    maxBytes: limit,
    progress,
    log,
  });
  if (conditional) {
    const classes = resolveClasses(data, ckpt ? conditionClasses(spec) : opts.classes);
    if (!ckpt && classes !== conditionClasses(spec)) spec = buildArchSpec({ ...spec.config, classes });
  }
  const dataFiles = data.identity ?? (await digestDataset(cfg.dataset));
  const dataRecord: CheckpointHeader['data'] = data.split ? { files: dataFiles, split: { seed: data.split.seed, testFraction: data.split.testFraction } } : { files: dataFiles };
  // The PyTorch peer reads the same cache and trains on the same split.
  if (data.split) await writeRunFile(join(opts.out, 'split.json'), `${JSON.stringify(data.split)}\n`, 'train/test split');
  if (ckpt) {
    const changes = dataChanges(ckpt.header.data.files, dataFiles);
    if (changes.length && !opts.allowDataChange) {
      throw new CheckpointError('mismatch', `the data files changed since this checkpoint was written, so a resume would not continue the same run:\n  ${changes.join('\n  ')}\npass --allow-data-change to resume on the new data anyway`, ckptPath);
    }
    if (changes.length) log(`resuming on changed data (--allow-data-change):\n  ${changes.join('\n  ')}`);
  }
  const dataShape = imageShapeOf(data.train);
  if (opts.imageSize !== undefined && (dataShape[0] !== opts.imageSize || dataShape[1] !== opts.imageSize)) {
    throw new TrainOptionsError(`--image-size ${opts.imageSize} asks for ${opts.imageSize}x${opts.imageSize} images, but ${data.name} holds ${dataShape[0]}x${dataShape[1]} images`);
  }
  if (JSON.stringify(spec.config.imageShape) !== JSON.stringify(dataShape)) {
    if (ckpt) throw new CheckpointError('mismatch', `checkpoint's model takes ${spec.config.imageShape.join('x')} images (HxWxC), but ${data.name} holds ${dataShape.join('x')}`, ckptPath);
    // The arch's default size (celeba: 64x64x3) gives way to the data's; celeba refuses a size that is not a multiple of 2^stages.
    spec = buildArchSpec({ ...spec.config, imageShape: dataShape });
    const est2 = estimateRunMemory(spec, { batch: trainRows, iwSamples: cfg.iwSamples, priorRows: cfg.batch * (cfg.iwTrain ?? 1) });
    if (est2.totalBytes > limit) {
      throw new TrainOptionsError(`estimated memory ${formatBytes(est2.totalBytes)} for ${dataShape.join('x')} images exceeds the limit of ${formatBytes(limit)} (--max-memory); lower --latent, --channels or --batch, or raise --max-memory`);
    }
  }
  if (cfg.binarize && dataShape[2] !== 1) {
    throw new TrainOptionsError(`--binarize ${cfg.binarize} needs single-channel (grey) images, but ${data.name} holds ${dataShape[2]}-channel images`);
  }
  let trainSplit = limitSplit(data.train, cfg.trainLimit);
  let testSplit = limitSplit(data.test, cfg.testLimit);
  if (cfg.binarize) {
    testSplit = binarizedTestSet(testSplit);
    if (cfg.binarize === 'static') trainSplit = binarizeSplit(trainSplit, new Rng(deriveSeed(cfg.seed, 0xb1a7)));
  }
  for (const [what, split] of [['training', trainSplit], ['test', testSplit]] as const) {
    if (split.count === 0) throw new DatasetError(`${data.name}: the ${what} split has 0 images; training needs at least 1 ${what} image`);
  }
  checkBatchNormBatches(spec, trainSplit.count, cfg.batch);
  log(`data: ${data.name}, ${trainSplit.count} train / ${testSplit.count} test images; arch ${spec.config.arch} (latent ${spec.config.latent}, channels ${spec.config.channels.join('/')}${spec.config.resBlocks ? `, ${spec.config.resBlocks} residual blocks` : ''})${conditional ? `, conditional on ${conditionClasses(spec)} classes` : ''}`);
  log(modelSizeSummary(spec));

  const model: VaeModel = ckpt ? vaeModelFromParams(spec, paramsOf(ckpt)) : createVaeModel(spec, cfg.seed);
  const stepper = new TrainStep(model, { lr: cfg.lr, ...ADAM_DEFAULTS }, cfg.recon, { freeBits: cfg.freeBits, iwTrain: cfg.iwTrain });
  const iwTrain = cfg.iwTrain ?? 1;
  const history: EpochMetrics[] = ckpt ? [...ckpt.header.history] : [];
  let step = ckpt?.header.step ?? 0;
  const startEpoch = ckpt?.header.epoch ?? 0;
  const stepsPerEpoch = Math.ceil(trainSplit.count / cfg.batch);
  let resumeAt: EpochPosition | undefined;
  if (ckpt) {
    resumeAt = ckpt.header.position === undefined ? undefined : checkResumePosition(ckpt.header.position, { epoch: startEpoch, stepsPerEpoch, batch: cfg.batch, trainCount: trainSplit.count }, ckptPath);
    const slots = optimizerSlotsOf(ckpt);
    if (slots.size === 0) throw new CheckpointError('mismatch', 'holds no Adam state (an export-only checkpoint?), so training cannot continue exactly; start a new run instead', ckptPath);
    await stepper.setState({ iterations: step, slots });
    const where = resumeAt ? `, batch ${resumeAt.batchesDone}/${stepsPerEpoch} of it` : '';
    log(`resuming at epoch ${startEpoch + 1}/${cfg.epochs}${where} (step ${step}) from ${ckptPath}`);
    await writeMetrics(opts.out, history);
  }
  if (startEpoch >= cfg.epochs) log(`checkpoint already has ${startEpoch} epochs; nothing to do (raise --epochs to continue)`);

  const latent = spec.config.latent;
  // What the checkpoint on disk holds, so an interrupt writes only when there is progress to save.
  let savedAt = { epoch: startEpoch, batchesDone: resumeAt?.batchesDone ?? 0, step };
  const stopIfAsked = async (epoch: number, pos: EpochPosition | null): Promise<void> => {
    if (!opts.signal?.aborted) return;
    const reason = abortReason(opts.signal);
    const here = { epoch, batchesDone: pos?.batchesDone ?? 0, step };
    const saved: InterruptSaved = { checkpointPath: null, ...here, stepsPerEpoch };
    if (here.epoch !== savedAt.epoch || here.batchesDone !== savedAt.batchesDone || here.step !== savedAt.step) {
      await saveCheckpoint(ckptPath, model, stepper, spec, cfg, dataRecord, epoch, step, history, backend.name, opts.command, pos ?? undefined);
      savedAt = here;
      saved.checkpointPath = ckptPath;
    }
    const state = pos
      ? `epoch ${epoch + 1}/${cfg.epochs} at batch ${pos.batchesDone}/${stepsPerEpoch} (step ${step})`
      : `the end of epoch ${epoch}/${cfg.epochs} (step ${step})`;
    const what = saved.checkpointPath
      ? `wrote ${ckptPath} at ${state}: weights, Adam state, noise RNG state and position in the epoch's data order`
      : savedAt.step === 0 && !ckpt
        ? 'nothing was trained yet, so no checkpoint was written'
        : `${ckptPath} already holds ${state}; nothing new to save`;
    throw new InterruptedError(reason, saved, `interrupted by ${reason}: ${what}`);
  };
  try {
    // A run resumed mid-epoch still stands at its saved position: nothing new to write.
    await stopIfAsked(startEpoch, resumeAt ?? null);
    for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
      const t0 = performance.now();
      const from = epoch === startEpoch ? resumeAt : undefined;
      const noise = from ? Rng.fromState(from.noiseRng) : new Rng(deriveSeed(cfg.seed, 0xa015e, epoch));
      const bar = new EpochProgress(`epoch ${epoch + 1}/${cfg.epochs}`, trainSplit.count, progress);
      let sumRecon = from?.sumRecon ?? 0;
      let sumKl = from?.sumKl ?? 0;
      let seen = from?.imagesSeen ?? 0;
      let i = from?.batchesDone ?? 0;
      const secondsBefore = from?.trainSeconds ?? 0;
      const position = (): EpochPosition => ({
        epoch,
        batchesDone: i,
        imagesSeen: seen,
        sumRecon,
        sumKl,
        trainSeconds: secondsBefore + (performance.now() - t0) / 1000,
        noiseRng: noise.getState(),
      });
      for (const b of epochBatches(trainSplit, cfg.batch, cfg.seed, epoch, i)) {
        // Lets SIGINT/SIGTERM handlers run: on the CPU backend nothing else returns to the event loop.
        await yieldToEventLoop();
        await stopIfAsked(epoch, position());
        const w = klWeight(cfg.beta, cfg.klWarmup, epoch + (i + 1) / stepsPerEpoch);
        if (cfg.lrSchedule) stepper.setLearningRate(scheduledLr(step, stepsPerEpoch, cfg.epochs, { lr: cfg.lr, kind: cfg.lrSchedule, warmupEpochs: cfg.lrWarmup ?? 0, min: cfg.lrMin ?? 0 }));
        // The bits come from the noise stream before the step's normals, so a saved noise state replays both.
        if (cfg.binarize === 'dynamic') binarizeBatch(b.x, noise);
        const r = await stepper.step(b.x, b.size, noise.normals(b.size * iwTrain * latent), w, conditional ? b.labels : undefined);
        sumRecon += r.recon * b.size;
        sumKl += r.kl * b.size;
        seen += b.size;
        step++;
        i++;
        bar.update(seen, (sumRecon + sumKl) / seen);
      }
      bar.finish();
      const trainSeconds = secondsBefore + (performance.now() - t0) / 1000;
      let ev;
      try {
        ev = await evaluate(model, testSplit, { recon: cfg.recon, seed: deriveSeed(cfg.seed, 0xe7a1, epoch), iwSamples: cfg.iwSamples, signal: opts.signal });
      } catch (e) {
        // Stopped during the epoch's evaluation: keep its training, evaluate again on resume.
        if (e instanceof InterruptedError) await stopIfAsked(epoch, position());
        throw e;
      }
      const m: EpochMetrics = {
        epoch: epoch + 1,
        trainLoss: (sumRecon + sumKl) / seen,
        trainRecon: sumRecon / seen,
        trainKL: sumKl / seen,
        testLoss: ev.loss,
        testRecon: ev.recon,
        testKL: ev.kl,
        imagesPerSec: seen / trainSeconds,
        seconds: secondsBefore + (performance.now() - t0) / 1000,
        backend: backend.name,
        klWeight: klWeight(cfg.beta, cfg.klWarmup, epoch + 1),
        ...(ev.iwNll !== undefined ? { testIwNll: ev.iwNll, iwSamples: ev.iwSamples } : {}),
      };
      for (const k of ['testLoss', 'testRecon', 'testKL'] as const) {
        if (!Number.isFinite(m[k])) throw new CheckpointError('non-finite', `epoch ${epoch + 1} evaluation gave ${k} = ${m[k]}; not writing a broken checkpoint`);
      }
      history.push(m);
      await saveCheckpoint(ckptPath, model, stepper, spec, cfg, dataRecord, epoch + 1, step, history, backend.name, opts.command);
      savedAt = { epoch: epoch + 1, batchesDone: 0, step };
      await writeMetrics(opts.out, history);
      if (opts.plots !== false) await writeEpochPlots(opts.out, model, testSplit, history, epoch + 1, cfg.seed);
      log(
        `epoch ${epoch + 1}/${cfg.epochs}: train ${m.trainLoss.toFixed(2)} (recon ${m.trainRecon.toFixed(2)} + KL ${m.trainKL.toFixed(2)}) | test ${m.testLoss.toFixed(2)} (recon ${m.testRecon.toFixed(2)} + KL ${m.testKL.toFixed(2)})${m.testIwNll !== undefined ? ` | IW-${m.iwSamples} NLL ${(m.testIwNll as number).toFixed(2)}` : ''} | ${m.imagesPerSec.toFixed(0)} img/s | ${formatDuration(m.seconds)}`,
      );
      if (epoch + 1 < cfg.epochs) {
        await yieldToEventLoop();
        await stopIfAsked(epoch + 1, null);
      }
    }
  } finally {
    stepper.dispose();
    model.dispose();
  }
  return { history, checkpointPath: ckptPath, backend, spec };
}

/** Range checks of the technique flags, before any work. */
function checkTechniqueOptions(opts: TrainOptions): void {
  if (opts.binarize !== undefined && opts.binarize !== 'dynamic' && opts.binarize !== 'static') {
    throw new TrainOptionsError(`--binarize "${opts.binarize}": expected dynamic or static`);
  }
  if (opts.freeBits !== undefined && !(opts.freeBits >= 0 && Number.isFinite(opts.freeBits))) {
    throw new TrainOptionsError(`--free-bits must be a finite number of nats >= 0, got ${opts.freeBits}`);
  }
  if (opts.lrSchedule !== undefined && opts.lrSchedule !== 'constant' && opts.lrSchedule !== 'cosine') {
    throw new TrainOptionsError(`--lr-schedule "${opts.lrSchedule}": expected constant or cosine`);
  }
  if (opts.lrWarmup !== undefined && !(opts.lrWarmup >= 0 && Number.isFinite(opts.lrWarmup))) {
    throw new TrainOptionsError(`--lr-warmup must be a finite number of epochs >= 0, got ${opts.lrWarmup}`);
  }
  if (opts.lrMin !== undefined && !(opts.lrMin >= 0 && Number.isFinite(opts.lrMin))) {
    throw new TrainOptionsError(`--lr-min must be a finite number >= 0, got ${opts.lrMin}`);
  }
  if (opts.iwTrain !== undefined && !(Number.isInteger(opts.iwTrain) && opts.iwTrain >= 1 && opts.iwTrain <= 100_000)) {
    throw new TrainOptionsError(`--iw-train must be an integer in [1, 100000], got ${opts.iwTrain}`);
  }
}

/**
 * The technique settings of the run, each present only when on (a plain run's
 * checkpoint header stays byte for byte as before); on a resume, unset
 * options take the checkpoint's.
 */
function techniqueConfig(opts: TrainOptions, base: TrainConfig): Partial<TrainConfig> {
  const out: Partial<TrainConfig> = {};
  const binarize = opts.binarize ?? base.binarize;
  if (binarize) out.binarize = binarize;
  const freeBits = opts.freeBits ?? base.freeBits ?? 0;
  if (freeBits > 0) out.freeBits = freeBits;
  const lrSchedule = opts.lrSchedule ?? base.lrSchedule ?? 'constant';
  const lrWarmup = opts.lrWarmup ?? base.lrWarmup ?? 0;
  const lrMin = opts.lrMin ?? base.lrMin ?? 0;
  if (lrSchedule !== 'constant' || lrWarmup > 0 || lrMin > 0) Object.assign(out, { lrSchedule, lrWarmup, lrMin });
  const iwTrain = opts.iwTrain ?? base.iwTrain ?? 1;
  if (iwTrain > 1) out.iwTrain = iwTrain;
  return out;
}

/** Combinations of technique settings that make no sense, named by flag. */
function checkTechniqueConfig(cfg: TrainConfig): void {
  if (cfg.binarize && cfg.recon !== 'bernoulli') {
    throw new TrainOptionsError(`--binarize ${cfg.binarize} needs --recon bernoulli (binary pixels have a Bernoulli likelihood), got --recon ${cfg.recon}`);
  }
  if (cfg.lrSchedule && cfg.lrSchedule !== 'cosine' && (cfg.lrMin ?? 0) > 0) {
    throw new TrainOptionsError(`--lr-min ${cfg.lrMin} is the floor of --lr-schedule cosine, but the schedule is ${cfg.lrSchedule}`);
  }
  if (cfg.lrMin !== undefined && cfg.lrMin > cfg.lr) throw new TrainOptionsError(`--lr-min must be at most --lr (${cfg.lr}), got ${cfg.lrMin}`);
  if (cfg.freeBits && cfg.iwTrain) {
    throw new TrainOptionsError(`--free-bits ${cfg.freeBits} floors the analytic KL of the ELBO, which --iw-train ${cfg.iwTrain} does not optimise; use one of them`);
  }
}

/**
 * Parameters and fp32 weight bytes of what the ONNX export holds: BatchNorm is
 * folded into its conv there, so `bn/*` tensors are left out, and a
 * VampPrior's pseudo-inputs stay in the trainer (model.json carries only the
 * components' means and log-variances).
 */
function modelSizeSummary(spec: ArchSpec): string {
  let n = 0;
  for (const [name, shape] of weightShapes(spec)) if (!name.includes('/bn/') && name !== VAMP_PSEUDO_INPUTS) n += shape.reduce((a, b) => a * b, 1);
  return `model: ${n.toLocaleString('en-US')} parameters, ${(n * 4).toLocaleString('en-US')} bytes (${((n * 4) / 1e6).toFixed(2)} MB) of fp32 weights in the ONNX graphs`;
}

/** Image channels each arch assumes until the data say otherwise. */
const ARCH_IMAGE_CHANNELS: Record<ArchName, number> = { small: 1, base: 1, mlp: 1, celeba: 3 };

/** `[H, W, C]` of a split; IDX splits carry no channel count and are grey. */
function imageShapeOf(split: { height: number; width: number; channels?: number }): ImageShape {
  return [split.height, split.width, split.channels ?? 1];
}

function paramsOf(ckpt: Checkpoint): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of ckpt.header.tensors) if (t.group === 'params') out.set(t.name, ckpt.tensors.get(t.name)!);
  return out;
}

function optimizerSlotsOf(ckpt: Checkpoint): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of ckpt.header.tensors) if (t.group === 'optimizer') out.set(t.name, ckpt.tensors.get(t.name)!);
  return out;
}

async function saveCheckpoint(
  path: string,
  model: VaeModel,
  stepper: TrainStep,
  spec: ArchSpec,
  cfg: TrainConfig,
  dataRecord: CheckpointHeader['data'],
  epoch: number,
  step: number,
  history: EpochMetrics[],
  backend: string,
  command?: string,
  position?: EpochPosition,
): Promise<void> {
  const params = await model.readParams();
  for (const [name, v] of params) {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new CheckpointError('non-finite', `parameter ${name} holds ${v[i]} after epoch ${epoch}; not writing a broken checkpoint`, path);
    }
  }
  const opt = await stepper.getState();
  const tensors = [
    ...[...params].map(([name, data]) => ({ name, group: 'params' as const, shape: model.params.get(name)!.shape, data })),
    ...[...opt.slots].map(([name, data]) => ({ name, group: 'optimizer' as const, shape: model.params.get(name.replace(/\/[mv]$/, ''))!.shape, data })),
  ];
  const bytes = encodeCheckpoint(
    {
      arch: spec,
      train: cfg,
      data: dataRecord,
      epoch,
      step,
      optimizer: { name: 'adam', lr: cfg.lr, ...ADAM_DEFAULTS },
      metrics: history.at(-1) ?? null,
      history,
      backend,
      command,
      ...(position ? { position } : {}),
      createdAt: new Date().toISOString(),
    },
    tensors,
  );
  await writeRunFile(path, bytes, 'checkpoint');
}

async function writeMetrics(dir: string, history: EpochMetrics[]): Promise<void> {
  await writeRunFile(join(dir, 'metrics.jsonl'), history.map((m) => JSON.stringify(m)).join('\n') + (history.length ? '\n' : ''), 'metrics file');
}

/** Loads a checkpoint's weights into a tfjs model (for evaluation, export parity and plots). */
export async function loadModel(dirOrFile: string): Promise<{ model: VaeModel; checkpoint: Checkpoint }> {
  const checkpoint = await readCheckpoint(dirOrFile);
  return { model: vaeModelFromParams(checkpoint.header.arch, paramsOf(checkpoint)), checkpoint };
}

