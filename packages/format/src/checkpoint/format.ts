/**
 * The checkpoint file: one self-describing binary, written atomically.
 *
 * Layout (little endian), format version 2:
 * - 8 bytes magic `VAECKPT2`
 * - uint32 header length L
 * - L bytes of UTF-8 JSON ({@link CheckpointHeader})
 * - zero padding to a multiple of 4 bytes
 * - float32 tensor data; each tensor's `offset` (in floats) is relative to here
 * - 32 bytes: sha256 of everything before it
 *
 * The checksum covers the whole file: version 1 hashed only the tensor data,
 * so a flipped bit in the header (architecture, offsets, settings) went
 * unnoticed. The header is then checked against its schema (header-schema.ts).
 *
 * This module is tfjs-free so that the exporter can read checkpoints without
 * pulling in the training stack.
 */
import { createHash } from 'node:crypto';
import type { ArchSpec } from '../arch-spec.js';
import { CheckpointError } from './checkpoint-error.js';
import { validateCheckpointHeader } from './header-schema.js';

/** Magic bytes at the start of every checkpoint. */
export const CHECKPOINT_MAGIC = 'VAECKPT2';
/** Bumped when the container layout or header meaning changes; the magic's last digit follows it. */
export const CHECKPOINT_FORMAT_VERSION = 2;
/** Longest header read; a history of thousands of epochs is far below it. */
export const MAX_CHECKPOINT_HEADER_BYTES = 64 * 2 ** 20;
const CHECKSUM_BYTES = 32;
const PREAMBLE_BYTES = 12;
/** File name of the checkpoint inside a run directory. */
export const CHECKPOINT_FILE = 'checkpoint.vaeckpt';

/** What a tensor is for: model parameters, or optimizer slots. */
export type TensorGroup = 'params' | 'optimizer';

/** Index entry for one tensor in the data section. */
export interface TensorEntry {
  name: string;
  group: TensorGroup;
  shape: number[];
  /** Offset in float32 elements from the start of the data section. */
  offset: number;
}

/** Training hyper-parameters, stored so a run can resume exactly. */
export interface TrainConfig {
  epochs: number;
  batch: number;
  lr: number;
  beta: number;
  klWarmup: number;
  seed: number;
  dataset: string;
  recon: 'bernoulli' | 'mse';
  trainLimit: number | null;
  testLimit: number | null;
  iwSamples: number;
  /**
   * Training-technique settings, each absent when off (so a plain run's
   * header is what it always was): `--binarize` (the test set is then drawn
   * once from a fixed seed), `--free-bits` nats per latent dimension,
   * `--lr-schedule` with `--lr-warmup` epochs and the cosine floor `--lr-min`
   * (the three together), and `--iw-train` importance samples (>= 2).
   */
  binarize?: 'dynamic' | 'static';
  freeBits?: number;
  lrSchedule?: 'constant' | 'cosine';
  lrWarmup?: number;
  lrMin?: number;
  iwTrain?: number;
}

/** Per-epoch metrics (losses per image), one line of `metrics.jsonl`. */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainRecon: number;
  trainKL: number;
  testLoss: number;
  testRecon: number;
  testKL: number;
  imagesPerSec: number;
  seconds: number;
  backend: string;
  [extra: string]: unknown;
}

/** A data file a run was trained on, by content. */
export interface DataFileRecord {
  /** Absolute path when it was read. */
  path: string;
  bytes: number;
  /** sha256 (hex) of the file. */
  sha256: string;
}

/**
 * Where a run stopped inside an epoch (a checkpoint written on SIGINT/SIGTERM):
 * enough to continue the epoch exactly as the uninterrupted run would have.
 */
export interface EpochPosition {
  /** 0-based index of the epoch in progress (always the header's `epoch`). */
  epoch: number;
  /** Batches of that epoch's data order already trained on (`stepsPerEpoch` when only its evaluation is left). */
  batchesDone: number;
  /** Images trained on so far in the epoch. */
  imagesSeen: number;
  /** Running sums of the per-image losses over `imagesSeen`, for the epoch's train metrics. */
  sumRecon: number;
  sumKl: number;
  /** Training seconds spent on the epoch so far. */
  trainSeconds: number;
  /** State of the epoch's reparameterisation-noise generator: `[a, b, c, d, spare]`. */
  noiseRng: [number, number, number, number, number | null];
}

/** The JSON header of a checkpoint. */
export interface CheckpointHeader {
  format: 'vae-checkpoint';
  formatVersion: number;
  arch: ArchSpec;
  train: TrainConfig;
  /** The data files, so a resume can tell whether they changed. */
  data: {
    files: DataFileRecord[];
    /** The seeded train/test split of an image folder (absent for IDX data, whose files carry their split). */
    split?: { seed: number; testFraction: number };
  };
  /** Number of completed epochs. */
  epoch: number;
  /** Number of completed optimizer steps. */
  step: number;
  optimizer: { name: 'adam'; lr: number; beta1: number; beta2: number; epsilon: number };
  /** Metrics of the last completed epoch, if any. */
  metrics: EpochMetrics | null;
  /** Metrics of every completed epoch; `metrics.jsonl` is rewritten from it. */
  history: EpochMetrics[];
  /** The command line that produced the run, when known. */
  command?: string;
  /** Present only in a mid-epoch checkpoint: where in epoch `epoch + 1` the run stopped. */
  position?: EpochPosition;
  backend: string;
  createdAt: string;
  tensors: TensorEntry[];
}

/** A decoded checkpoint: header plus tensors by name. */
export interface Checkpoint {
  header: CheckpointHeader;
  tensors: Map<string, Float32Array>;
}

export { CheckpointError } from './checkpoint-error.js';
export type { CheckpointErrorCode } from './checkpoint-error.js';

const MAGIC_BYTES = new TextEncoder().encode(CHECKPOINT_MAGIC);

/** Serialises a checkpoint. Tensor offsets and the checksum are computed here. */
export function encodeCheckpoint(
  header: Omit<CheckpointHeader, 'tensors' | 'format' | 'formatVersion'>,
  tensors: { name: string; group: TensorGroup; shape: number[]; data: Float32Array }[],
): Uint8Array {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new CheckpointError('mismatch', `tensor ${t.name} has ${t.data.length} values but shape [${t.shape}] needs ${size}`);
    }
    entries.push({ name: t.name, group: t.group, shape: [...t.shape], offset });
    offset += size;
  }
  const full: CheckpointHeader = { format: 'vae-checkpoint', formatVersion: CHECKPOINT_FORMAT_VERSION, ...header, tensors: entries };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const dataStart = Math.ceil((PREAMBLE_BYTES + json.length) / 4) * 4;
  const dataEnd = dataStart + offset * 4;
  const out = new Uint8Array(dataEnd + CHECKSUM_BYTES);
  out.set(MAGIC_BYTES, 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, PREAMBLE_BYTES);
  const data = new Float32Array(out.buffer, dataStart, offset);
  tensors.forEach((t, i) => data.set(t.data, entries[i].offset));
  out.set(createHash('sha256').update(out.subarray(0, dataEnd)).digest(), dataEnd);
  return out;
}

/**
 * Parses and verifies checkpoint bytes: magic, the whole-file checksum, then
 * the header against its schema (every field, the architecture against what
 * its config builds, the tensor index tiling the data section exactly).
 *
 * @throws {@link CheckpointError}, and nothing else, for any damaged, foreign or old file
 */
export function decodeCheckpoint(bytes: Uint8Array, path?: string): Checkpoint {
  const minimum = PREAMBLE_BYTES + CHECKSUM_BYTES;
  const digit = bytes.length >= 8 ? bytes[7] - 0x30 : -1;
  if (digit >= 1 && digit <= 9 && digit !== CHECKPOINT_FORMAT_VERSION && bytes.subarray(0, 7).every((b, i) => b === MAGIC_BYTES[i])) {
    throw new CheckpointError(
      'version',
      digit < CHECKPOINT_FORMAT_VERSION
        ? `checkpoint format version ${digit} is too old: this trainer reads version ${CHECKPOINT_FORMAT_VERSION}, whose checksum covers the header too. Retrain, or export it with the release that wrote it`
        : `checkpoint format version ${digit} is newer than this trainer, which reads version ${CHECKPOINT_FORMAT_VERSION}`,
      path,
    );
  }
  if (bytes.length < minimum) throw new CheckpointError('truncated', `file is ${bytes.length} bytes, shorter than the ${minimum} bytes of preamble and checksum`, path);
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) {
      throw new CheckpointError('bad-magic', `not a VAE checkpoint: expected magic "${CHECKPOINT_MAGIC}"`, path);
    }
  }
  const dataEnd = bytes.length - CHECKSUM_BYTES;
  const sha = createHash('sha256').update(bytes.subarray(0, dataEnd)).digest();
  if (!sha.equals(bytes.subarray(dataEnd))) {
    throw new CheckpointError('checksum', `file sha256 ${sha.toString('hex').slice(0, 12)}… does not match the stored ${Buffer.from(bytes.subarray(dataEnd)).toString('hex').slice(0, 12)}… (the file is damaged or truncated)`, path);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(8, true);
  if (headerLen > MAX_CHECKPOINT_HEADER_BYTES) throw new CheckpointError('bad-header', `header length ${headerLen} is over the ${MAX_CHECKPOINT_HEADER_BYTES}-byte limit`, path);
  const dataStart = Math.ceil((PREAMBLE_BYTES + headerLen) / 4) * 4;
  if (dataStart > dataEnd) throw new CheckpointError('truncated', `header says ${headerLen} bytes but only ${dataEnd - PREAMBLE_BYTES} bytes precede the checksum`, path);
  if ((dataEnd - dataStart) % 4) throw new CheckpointError('truncated', `data section is ${dataEnd - dataStart} bytes, not a whole number of float32s`, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLen)));
  } catch (e) {
    throw new CheckpointError('bad-header', `header is not valid JSON (${(e as Error).message})`, path);
  }
  const header = validateCheckpointHeader(parsed, CHECKPOINT_FORMAT_VERSION, (dataEnd - dataStart) / 4, path);
  // Copy so the floats are aligned regardless of where `bytes` sits.
  const dataBytes = bytes.slice(dataStart, dataEnd);
  const data = new Float32Array(dataBytes.buffer, dataBytes.byteOffset, dataBytes.length / 4);
  const tensors = new Map<string, Float32Array>();
  for (const t of header.tensors) tensors.set(t.name, data.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)));
  return { header, tensors };
}

/** Parameter tensors only, keyed by name (`"<layer>/kernel"`, `"<layer>/bias"`). */
export function checkpointParams(ckpt: Checkpoint): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of ckpt.header.tensors) if (t.group === 'params') out.set(t.name, ckpt.tensors.get(t.name)!);
  return out;
}
