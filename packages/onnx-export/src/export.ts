/**
 * Checkpoint -> `encoder.onnx`, `decoder.onnx`, `model.json`.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ArchSpec, ManifestCondition, ManifestData, ManifestGraph, ManifestMetrics, ManifestPrior, ManifestValueInfo, ModelManifest } from '@vae/format';
import { MANIFEST_FORMAT_VERSION, checkManifestData, conditionClasses, imageFolderPreparation } from '@vae/format';
import type { Checkpoint, EpochMetrics } from '@vae/format/checkpoint';
import { CheckpointError, checkpointParams, readCheckpoint, resolveCheckpointPath, writeFileAtomic } from '@vae/format/checkpoint';
import { checkFiniteOutputs } from './check-finite-outputs.js';
import { manifestPrior } from './manifest-prior.js';
import { ExportError } from './errors.js';
import type { ModelProto, ValueInfoProto } from './onnx-schema.js';
import { DataType, encodeModel } from './onnx-schema.js';
import type { Precision } from './translate.js';
import { irVersionForOpset, OPSET_RANGE, PRODUCER, translateArch } from './translate.js';
import type { ValidationReport } from './validate.js';
import { formatReport, validateModelBytes } from './validate.js';

/** File names inside the output folder. */
export const EXPORT_FILES = { encoder: 'encoder.onnx', decoder: 'decoder.onnx', manifest: 'model.json' } as const;

/** Options shared by {@link buildExport} and {@link exportCheckpoint}. */
export interface BuildOptions {
  /** Model name written into the manifest (default: the output folder's name). */
  name?: string;
  /** ONNX opset, 13..21, default 17 (IR version follows: 17 -> 8). */
  opset?: number;
  /**
   * `fp16` stores float16 weights (half the size), `int8` per-channel int8
   * kernels with float32 biases (about a quarter); inputs and outputs stay float32.
   */
  precision?: Precision;
  /**
   * Metrics per epoch (as in `metrics.jsonl`), checked against the checkpoint:
   * refused when the last epoch differs. The manifest's metrics always come
   * from the checkpoint itself.
   */
  metrics?: EpochMetrics[];
  /** Creation time (default now), for reproducible output in tests. */
  createdAt?: Date;
  /**
   * Names of a conditional model's classes, one per class, for the manifest's
   * `condition.names` (default: Fashion-MNIST's for `fashion`, else `"0"`, `"1"`, …).
   */
  classNames?: string[];
  /**
   * The manifest's `data` entry: `name` (`vae-export --data-name`) and the
   * preparation; `crop` and `background` default to what the checkpoint
   * records (an image folder's `train.dataset` spec), `name` to its dataset. Without
   * a name given and with nothing recorded, the manifest has no `data`
   * (an IDX model's `dataset` says it all).
   */
  data?: Partial<ManifestData>;
  /**
   * The manifest's `prior` for a VampPrior model whose pseudo-inputs are not
   * among the weights (variants re-exported from graphs, which do not hold
   * them); by default it is computed from the checkpoint (see `manifestPrior`).
   */
  prior?: ManifestPrior;
}

/** Fashion-MNIST's class names, in label order. */
export const FASHION_CLASS_NAMES: readonly string[] = Object.freeze(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);

/** The manifest's `condition` for a conditional spec, or undefined. */
function manifestCondition(spec: ArchSpec, dataset: string, names: string[] | undefined): ManifestCondition | undefined {
  // Runs before translateArch checks the spec, so a header without one must still get that check's error.
  const classes = spec ? conditionClasses(spec) : 0;
  if (!classes) {
    if (names) throw new ExportError('usage', `${names.length} class names were given, but the checkpoint holds an unconditional model, which takes none (expected 0)`);
    return undefined;
  }
  // classNames can come from plain JS: a string would pass the length check below as characters.
  if (names !== undefined && !Array.isArray(names)) throw new ExportError('usage', `class names must be an array of ${classes} strings, got ${typeof names}`);
  const chosen = names ?? (dataset === 'fashion' && classes === FASHION_CLASS_NAMES.length ? [...FASHION_CLASS_NAMES] : Array.from({ length: classes }, (_, i) => String(i)));
  if (chosen.length !== classes || chosen.some((n) => typeof n !== 'string' || n.length === 0 || n.length > 256)) {
    throw new ExportError('usage', `class names must be ${classes} non-empty strings (the checkpoint's classes), got ${chosen.length}: ${JSON.stringify(chosen).slice(0, 200)}`);
  }
  return { type: 'class', classes, names: chosen };
}

/**
 * The manifest's `data`: what the options give, else what the checkpoint
 * records about its image preparation (a trainer that records none gives none).
 */
function manifestData(ckpt: Checkpoint, dataset: string, given: Partial<ManifestData> | undefined): ManifestData | undefined {
  // An image-folder run records its preparation in train.dataset (the trainer's `image-folder:{...}` spec).
  const folder = typeof ckpt.header.train?.dataset === 'string' ? imageFolderPreparation(ckpt.header.train.dataset) : null;
  const crop = given?.crop ?? folder?.crop ?? undefined;
  const background = given?.background ?? folder?.background;
  if (given?.name === undefined && crop === undefined && background === undefined) return undefined;
  const data = { name: given?.name ?? dataset, ...(crop !== undefined ? { crop } : {}), ...(background !== undefined ? { background } : {}) } as ManifestData;
  // The manifest's own rules, so the exporter can never write a data entry the SDK refuses.
  try {
    checkManifestData(data);
  } catch (e) {
    const from = given?.name !== undefined || given?.crop !== undefined || given?.background !== undefined ? 'as given' : "from the checkpoint's train config";
    throw new ExportError('usage', `${(e as Error).message.replace(/^model\.json /, "the manifest's ")} (${from})`, { cause: e });
  }
  return data;
}

/** An export held in memory: the graph bytes and the manifest describing them. */
export interface BuiltExport {
  encoder: Uint8Array;
  decoder: Uint8Array;
  manifest: ModelManifest;
  /** Validator reports of both graphs (warnings included). */
  reports: { encoder: ValidationReport; decoder: ValidationReport };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function valueInfo(v: ValueInfoProto): ManifestValueInfo {
  const tt = v.type!.tensor_type!;
  return {
    name: v.name!,
    shape: (tt.shape?.dim ?? []).map((d) => (d.dim_param ? d.dim_param : Number(d.dim_value))),
    dtype: tt.elem_type === DataType.FLOAT16 ? 'float16' : 'float32',
  };
}

function graphEntry(file: string, bytes: Uint8Array, model: ModelProto): ManifestGraph {
  return {
    file,
    sha256: sha256(bytes),
    bytes: bytes.length,
    inputs: (model.graph!.input ?? []).map(valueInfo),
    outputs: (model.graph!.output ?? []).map(valueInfo),
  };
}

/**
 * The final metrics come from the checkpoint's own header, which is checksummed
 * with the weights: `metrics.jsonl` is written after the checkpoint, so a run
 * killed between the two writes leaves it one epoch behind.
 */
function finalMetrics(ckpt: Checkpoint, metrics: EpochMetrics[] | undefined): ManifestMetrics | null {
  const { header } = ckpt;
  if (header.position) {
    // Its weights are newer than its last evaluated epoch: a manifest would pair them with another epoch's test loss.
    const p = header.position;
    throw new ExportError(
      'checkpoint',
      `the checkpoint was written mid-epoch (epoch ${p.epoch + 1}, after ${p.batchesDone} batches), so no test metrics describe its weights; finish the epoch with vae-train --resume, then export`,
    );
  }
  const lastListed = metrics?.length ? metrics[metrics.length - 1].epoch : undefined;
  if (lastListed !== undefined && lastListed !== header.epoch) {
    throw new ExportError('checkpoint', `the metrics given end at epoch ${lastListed} but the checkpoint holds epoch ${header.epoch}; they do not describe these weights`);
  }
  const last = header.metrics;
  if (!last) return null;
  const out: ManifestMetrics = { testLoss: Number(last.testLoss), testRecon: Number(last.testRecon), testKL: Number(last.testKL) };
  for (const k of ['epoch', 'trainLoss', 'trainRecon', 'trainKL', 'imagesPerSec'] as const) {
    if (typeof last[k] === 'number' && Number.isFinite(last[k])) out[k] = last[k] as number;
  }
  const history = header.history ?? [];
  if (history.length) out.trainSeconds = Math.round(history.reduce((s, m) => s + (Number(m.seconds) || 0), 0) * 10) / 10;
  if (Number.isFinite(header.step)) out.steps = header.step;
  return out;
}

/**
 * The dataset as a published manifest names it. A folder dataset is stored in
 * the checkpoint as an absolute path (so a resume from elsewhere finds it), but
 * the maintainer's home directory has no place in a model shipped to users: keep
 * the folder's own name.
 */
function publicDatasetName(dataset: string | undefined): string {
  if (!dataset) return 'unknown';
  const folder = imageFolderPreparation(dataset);
  if (folder) return folder.name;
  const parts = dataset.split(/[\\/]+/).filter(Boolean);
  return parts.at(-1) ?? 'unknown';
}

/**
 * Translates, serialises and validates a decoded checkpoint entirely in
 * memory; nothing touches the disk.
 *
 * Refuses (`non-finite`) when the graphs, as exported, give a non-finite value
 * on a small fixed probe batch (see `checkFiniteOutputs`).
 *
 * @throws {@link ExportError} (`unsupported-layer`, `non-finite`, `checkpoint`, `usage`, `invalid-graph`)
 */
export function buildExport(ckpt: Checkpoint, options: BuildOptions = {}): BuiltExport {
  const { header } = ckpt;
  const spec = header.arch;
  const opset = options.opset ?? OPSET_RANGE.default;
  const precision = options.precision ?? 'fp32';
  const name = options.name ?? 'model';
  const metrics = finalMetrics(ckpt, options.metrics);
  const createdAt = (options.createdAt ?? new Date()).toISOString();
  const [H, W, C] = spec?.config?.imageShape ?? [0, 0, 0];
  const dataset = publicDatasetName(header.train?.dataset);
  const metadata: Record<string, string> = {
    'vae.name': name,
    'vae.arch': String(spec?.config?.arch),
    'vae.arch_config': JSON.stringify(spec?.config ?? null),
    'vae.latent': String(spec?.encoder?.mu?.outFeatures),
    'vae.image_shape': `[${C},${H},${W}]`,
    'vae.dataset': dataset,
    'vae.epochs': String(header.epoch),
    'vae.test_loss': metrics ? String(metrics.testLoss) : 'unknown',
    'vae.precision': precision,
    'vae.created_at': createdAt,
  };
  const condition = manifestCondition(spec, dataset, options.classNames);
  const data = manifestData(ckpt, dataset, options.data);
  if (condition) metadata['vae.condition'] = JSON.stringify(condition);
  const params = checkpointParams(ckpt);
  const models = translateArch(spec, params, {
    opset,
    precision,
    metadata,
    docPrefix: `${name}: `,
  });
  // After translateArch, which has checked the spec and each weight's size and finiteness.
  checkFiniteOutputs(spec, params, precision);
  // The prior is not in the graphs: model.json carries it (the SDK samples from it).
  if (options.prior && !spec.config.prior) throw new ExportError('usage', `a prior was given, but the ${spec.config.arch} model has the standard normal prior`);
  const prior = options.prior ?? manifestPrior(spec, params);
  models.encoder.metadata_props!.push({ key: 'vae.graph', value: 'encoder' });
  models.decoder.metadata_props!.push({ key: 'vae.graph', value: 'decoder' });
  const command = (header as { command?: unknown }).command;
  const encoder = encodeModel(models.encoder);
  const decoder = encodeModel(models.decoder);
  const reports = { encoder: validateModelBytes(encoder), decoder: validateModelBytes(decoder) };
  for (const [which, r] of Object.entries(reports)) {
    if (!r.ok) throw new ExportError('invalid-graph', `the generated ${which} graph fails validation (an exporter bug):\n${formatReport(r, which)}`);
  }
  const manifest: ModelManifest = {
    format: 'vae-onnx-model',
    formatVersion: MANIFEST_FORMAT_VERSION,
    name,
    arch: spec.config.arch,
    archConfig: { ...spec.config } as unknown as Record<string, unknown>,
    latent: spec.encoder.mu.outFeatures,
    imageShape: [C, H, W],
    dataset,
    ...(data ? { data } : {}),
    ...(condition ? { condition } : {}),
    ...(prior ? { prior } : {}),
    training: { epochs: header.epoch, metrics, ...(typeof command === 'string' && command ? { command } : {}) },
    precision,
    onnx: { opset, irVersion: irVersionForOpset(opset), producer: { name: PRODUCER.name, version: PRODUCER.version } },
    graphs: {
      encoder: graphEntry(EXPORT_FILES.encoder, encoder, models.encoder),
      decoder: graphEntry(EXPORT_FILES.decoder, decoder, models.decoder),
    },
    createdAt,
  };
  return { encoder, decoder, manifest, reports };
}

/** Reads `metrics.jsonl`; a missing file gives `undefined`, unreadable lines are skipped. */
export async function readMetrics(path: string): Promise<EpochMetrics[] | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const out: EpochMetrics[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line);
      if (m && typeof m === 'object' && typeof m.testLoss === 'number') out.push(m);
    } catch {
      // a torn last line from an interrupted run: ignore it
    }
  }
  return out.length ? out : undefined;
}

/** Options of {@link exportCheckpoint}. */
export interface ExportOptions extends Omit<BuildOptions, 'metrics'> {
  /** Run directory (with `checkpoint.vaeckpt` and `metrics.jsonl`) or checkpoint file. */
  checkpoint: string;
  /** Output folder; created if missing. */
  out: string;
  /** Progress lines, for a CLI. */
  onProgress?: (line: string) => void;
}

/** What {@link exportCheckpoint} wrote. */
export interface ExportResult extends BuiltExport {
  files: { encoder: string; decoder: string; manifest: string };
}

function wrapCheckpointError(e: unknown): never {
  if (e instanceof CheckpointError) {
    throw new ExportError(e.code === 'version' ? 'arch-version' : 'checkpoint', e.message, { cause: e });
  }
  throw e;
}

async function exists(path: string): Promise<'file' | 'other' | null> {
  const st = await fs.lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  return st ? (st.isFile() ? 'file' : 'other') : null;
}

/**
 * Replaces a set of files in one folder all-or-nothing (as far as a crash-free
 * process can): every file is first written and fsynced beside its target
 * under a hidden temp name (`writeFileAtomic`), each existing target is
 * hard-linked (or copied) to a hidden backup, and only then are the temp files
 * renamed over the targets, in plan order. If anything fails, the targets
 * already renamed are put back from their backups (or removed, where there was
 * no previous file) and every temp and backup file is deleted, so the folder
 * holds exactly what it held before. On success the backups are deleted.
 *
 * @throws the first error; its message says if the rollback itself failed
 */
export async function writeFileSet(plan: readonly (readonly [path: string, bytes: Uint8Array | string])[]): Promise<void> {
  const tag = `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  const hidden = (path: string, kind: string) => join(dirname(path), `.${basename(path)}.${tag}.${kind}`);
  const entries = plan.map(([path, bytes]) => ({ path, bytes, staged: hidden(path, 'staged'), backup: null as string | null, committed: false }));
  const leftovers = new Set<string>();
  try {
    for (const e of entries) {
      const kind = await exists(e.path);
      if (kind === 'other') throw new Error(`${e.path} exists and is not a regular file`);
      if (kind === 'file') {
        const backup = hidden(e.path, 'backup');
        leftovers.add(backup);
        await fs.link(e.path, backup).catch(() => fs.copyFile(e.path, backup, fsConstants.COPYFILE_EXCL));
        e.backup = backup;
      }
    }
    for (const e of entries) {
      leftovers.add(e.staged);
      await writeFileAtomic(e.staged, e.bytes);
    }
    for (const e of entries) {
      await fs.rename(e.staged, e.path);
      leftovers.delete(e.staged);
      e.committed = true;
    }
  } catch (err) {
    const unrestored: string[] = [];
    for (const e of [...entries].reverse()) {
      if (!e.committed) continue;
      try {
        if (e.backup) {
          await fs.rename(e.backup, e.path);
          leftovers.delete(e.backup);
        } else {
          await fs.rm(e.path, { force: true });
        }
      } catch (re) {
        unrestored.push(`${e.path} (${(re as Error).message}${e.backup ? `; the previous file is kept as ${e.backup}` : ''})`);
        if (e.backup) leftovers.delete(e.backup);
      }
    }
    await Promise.all([...leftovers].map((p) => fs.rm(p, { force: true }).catch(() => {})));
    const note = unrestored.length
      ? `could not restore ${unrestored.join(', ')}`
      : entries.some((e) => e.committed)
        ? 'the previous files were restored'
        : 'nothing was changed';
    if (err instanceof Error) err.message += `; ${note}`;
    throw err;
  }
  await Promise.all(entries.map((e) => (e.backup ? fs.rm(e.backup, { force: true }).catch(() => {}) : undefined)));
}

/**
 * Reads a checkpoint and writes `encoder.onnx`, `decoder.onnx` and `model.json`
 * into `out`. Everything is built and validated in memory first; each file is
 * then written atomically (temp file + rename), the manifest last. If a write
 * fails, the files this call already wrote are removed again, so `out` never
 * holds a partial export.
 *
 * @throws {@link ExportError} with a `code` saying what went wrong
 */
export async function exportCheckpoint(options: ExportOptions): Promise<ExportResult> {
  const progress = options.onProgress ?? (() => {});
  const ckptPath = await resolveCheckpointPath(options.checkpoint).catch(wrapCheckpointError);
  const ckpt = await readCheckpoint(ckptPath).catch(wrapCheckpointError);
  const { header } = ckpt;
  progress(`read ${ckptPath}: arch ${header.arch?.config?.arch}, epoch ${header.epoch}, step ${header.step}, ${header.tensors.length} tensors`);
  // metrics.jsonl is only compared: the checkpoint's own metrics are the ones written after these weights.
  const metricsPath = join(dirname(ckptPath), 'metrics.jsonl');
  const listed = (await readMetrics(metricsPath))?.at(-1)?.epoch;
  if (listed !== undefined && listed !== header.epoch) {
    progress(`${metricsPath} ends at epoch ${listed}, the checkpoint at epoch ${header.epoch} (a run stopped between the two writes; vae-train --resume rewrites it); using the checkpoint's metrics`);
  }
  const out = resolve(options.out);
  const built = buildExport(ckpt, { ...options, name: options.name ?? basename(out) });
  for (const which of ['encoder', 'decoder'] as const) {
    const r = built.reports[which];
    const g = built.manifest.graphs[which];
    progress(`${which}: ${r.stats.nodes} nodes, ${r.stats.initializers} initializers, ${g.bytes} bytes, opset ${r.stats.opset}, IR ${r.stats.irVersion}, valid${r.problems.length ? ` (${r.problems.length} warnings)` : ''}`);
  }

  try {
    const existing = await fs.stat(out).catch(() => null);
    if (existing && !existing.isDirectory()) throw new Error('it exists and is not a directory');
    await fs.mkdir(out, { recursive: true });
    await fs.access(out, fsConstants.W_OK);
  } catch (e) {
    throw new ExportError('output', `cannot write to output folder ${out}: ${(e as Error).message}`, { cause: e });
  }
  const files = {
    encoder: join(out, EXPORT_FILES.encoder),
    decoder: join(out, EXPORT_FILES.decoder),
    manifest: join(out, EXPORT_FILES.manifest),
  };
  const plan: [string, Uint8Array | string][] = [
    [files.encoder, built.encoder],
    [files.decoder, built.decoder],
    [files.manifest, `${JSON.stringify(built.manifest, null, 2)}\n`],
  ];
  try {
    await writeFileSet(plan);
  } catch (e) {
    throw new ExportError('output', `writing the export to ${out} failed (${(e as Error).message})`, { cause: e });
  }
  for (const [path, bytes] of plan) progress(`wrote ${path} (${typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length} bytes)`);
  return { ...built, files };
}
