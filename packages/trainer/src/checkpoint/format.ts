/**
 * The checkpoint file: one self-describing binary, written atomically.
 *
 * Layout (little endian):
 * - 8 bytes magic `VAECKPT1`
 * - uint32 header length L
 * - L bytes of UTF-8 JSON ({@link CheckpointHeader})
 * - zero padding to a multiple of 4 bytes
 * - float32 tensor data; each tensor's `offset` (in floats) is relative to here
 *
 * This module is tfjs-free so that the exporter can read checkpoints without
 * pulling in the training stack.
 */
import { createHash } from 'node:crypto';
import type { ArchSpec } from '../model/arch.js';
import { ARCH_VERSION, weightShapes } from '../model/arch.js';

/** Magic bytes at the start of every checkpoint. */
export const CHECKPOINT_MAGIC = 'VAECKPT1';
/** Bumped when the container layout or header meaning changes. */
export const CHECKPOINT_FORMAT_VERSION = 1;
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
  /** sha256 (hex) of the data section. */
  dataSha256: string;
}

/** A decoded checkpoint: header plus tensors by name. */
export interface Checkpoint {
  header: CheckpointHeader;
  tensors: Map<string, Float32Array>;
}

/** Why a checkpoint could not be read. */
export type CheckpointErrorCode =
  | 'missing'
  | 'truncated'
  | 'bad-magic'
  | 'bad-header'
  | 'checksum'
  | 'version'
  | 'mismatch'
  | 'non-finite';

/** Thrown for any unreadable, corrupt or mismatched checkpoint. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

const MAGIC_BYTES = new TextEncoder().encode(CHECKPOINT_MAGIC);

/** Serialises a checkpoint. Tensor offsets and the checksum are computed here. */
export function encodeCheckpoint(
  header: Omit<CheckpointHeader, 'tensors' | 'dataSha256' | 'format' | 'formatVersion'>,
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
  const data = new Float32Array(offset);
  tensors.forEach((t, i) => data.set(t.data, entries[i].offset));
  const dataBytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const full: CheckpointHeader = {
    format: 'vae-checkpoint',
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    ...header,
    tensors: entries,
    dataSha256: createHash('sha256').update(dataBytes).digest('hex'),
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const headerEnd = 12 + json.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const out = new Uint8Array(dataStart + dataBytes.length);
  out.set(MAGIC_BYTES, 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(dataBytes, dataStart);
  return out;
}

/**
 * Parses and verifies checkpoint bytes: magic, header, checksum, tensor bounds,
 * and that the parameter tensors match the architecture they claim to be.
 */
export function decodeCheckpoint(bytes: Uint8Array, path?: string): Checkpoint {
  if (bytes.length < 12) throw new CheckpointError('truncated', `file is ${bytes.length} bytes, shorter than the 12-byte preamble`, path);
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) {
      throw new CheckpointError('bad-magic', `not a VAE checkpoint: expected magic "${CHECKPOINT_MAGIC}"`, path);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(8, true);
  if (12 + headerLen > bytes.length) {
    throw new CheckpointError('truncated', `header says ${headerLen} bytes but only ${bytes.length - 12} follow`, path);
  }
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLen)));
  } catch (e) {
    throw new CheckpointError('bad-header', `header is not valid JSON (${(e as Error).message})`, path);
  }
  if (header?.format !== 'vae-checkpoint' || !Array.isArray(header.tensors) || !header.arch) {
    throw new CheckpointError('bad-header', 'header lacks format/arch/tensors fields', path);
  }
  if (header.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError('version', `checkpoint format version ${header.formatVersion}, expected ${CHECKPOINT_FORMAT_VERSION}`, path);
  }
  if (header.arch.archVersion !== ARCH_VERSION) {
    throw new CheckpointError('version', `architecture version ${header.arch.archVersion}, expected ${ARCH_VERSION}`, path);
  }
  const dataStart = Math.ceil((12 + headerLen) / 4) * 4;
  const total = header.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.length - dataStart !== total * 4) {
    throw new CheckpointError(
      'truncated',
      `data section is ${bytes.length - dataStart} bytes, expected ${total * 4} for ${header.tensors.length} tensors`,
      path,
    );
  }
  // Copy so the floats are aligned regardless of where `bytes` sits.
  const dataBytes = bytes.slice(dataStart);
  const sha = createHash('sha256').update(dataBytes).digest('hex');
  if (sha !== header.dataSha256) {
    throw new CheckpointError('checksum', `data sha256 ${sha.slice(0, 12)}… does not match header ${String(header.dataSha256).slice(0, 12)}…`, path);
  }
  const data = new Float32Array(dataBytes.buffer, dataBytes.byteOffset, total);
  const tensors = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    tensors.set(t.name, data.subarray(t.offset, t.offset + size));
  }
  const expected = weightShapes(header.arch);
  for (const [name, shape] of expected) {
    const entry = header.tensors.find((t) => t.name === name && t.group === 'params');
    if (!entry) throw new CheckpointError('mismatch', `missing parameter ${name} [${shape}] required by arch "${header.arch.config.arch}"`, path);
    if (entry.shape.join(',') !== shape.join(',')) {
      throw new CheckpointError('mismatch', `parameter ${name} has shape [${entry.shape}], arch "${header.arch.config.arch}" expects [${shape}]`, path);
    }
  }
  return { header, tensors };
}

/** Parameter tensors only, keyed by name (`"<layer>/kernel"`, `"<layer>/bias"`). */
export function checkpointParams(ckpt: Checkpoint): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of ckpt.header.tensors) if (t.group === 'params') out.set(t.name, ckpt.tensors.get(t.name)!);
  return out;
}
