/**
 * Other-precision variants of an exported model, made from its own graphs:
 * `vae-export --variants fp16,int8 --model models/mnist`. A shipped model
 * need not keep its training checkpoint, so the tfjs-layout weights are
 * recovered from the ONNX initializers (undoing translate.ts's kernel
 * permutations and the flatten/reshape re-ordering) and exported again at
 * each precision, through the same validation and probe pass as any export.
 * The recovery is checked first: exported again at the model's own precision,
 * both graphs must come out byte for byte as they are.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ArchName, ArchSpec, ManifestGraphs, ModelManifest } from '@vae/format';
import { buildArchSpec, expandResidual, parseManifest } from '@vae/format';
import type { Checkpoint } from '@vae/format/checkpoint';
import { ExportError } from './errors.js';
import type { BuiltExport } from './export.js';
import { buildExport, writeFileSet } from './export.js';
import { withoutBatchNorm } from './fold-batch-norm.js';
import { fromFloat16Bits } from './float16.js';
import type { TensorProto } from './onnx-schema.js';
import { DataType, decodeModel } from './onnx-schema.js';
import type { Precision } from './translate.js';
import { chwToHwcPermutation, PRECISIONS } from './translate.js';

/** File name of a graph's variant: `encoder.onnx` → `encoder_int8.onnx` (transformers.js's `model_fp16.onnx` idea). */
export function variantFile(file: string, precision: Precision): string {
  return file.replace(/(\.onnx)?$/, `_${precision}$1`);
}

function floats(t: TensorProto): Float32Array {
  const raw = t.raw_data ?? new Uint8Array();
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  // A float16 weight widens exactly and narrows back to the same half.
  return t.data_type === DataType.FLOAT16 ? Float32Array.from(new Uint16Array(bytes), fromFloat16Bits) : new Float32Array(bytes);
}

/**
 * The float32 and float16 weight initializers of serialised graphs, by name, widened to float32
 * (what {@link recoverParams} takes); scalar constants are left out.
 */
export function graphWeights(...graphs: Uint8Array[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const g of graphs) {
    for (const t of decodeModel(g).graph?.initializer ?? []) {
      if ((t.data_type === DataType.FLOAT || t.data_type === DataType.FLOAT16) && t.dims?.length) out.set(t.name!, floats(t));
    }
  }
  return out;
}

/**
 * The tfjs-layout parameters whose export gives these initializers (the inverse of translate.ts's weight transforms).
 * A BatchNorm conv's graph weights are already folded, so they come back as the weights of
 * {@link withoutBatchNorm}'s spec (plain kernels and biases, no `bn/*`): export them with that spec.
 */
export function recoverParams(spec: ArchSpec, initializers: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const get = (name: string) => {
    const t = initializers.get(name);
    if (!t) throw new ExportError('usage', `the graphs have no float initializer ${name}, which the ${spec.config.arch} architecture needs`);
    return t;
  };
  const layers = expandResidual([...spec.encoder.trunk, spec.encoder.mu, spec.encoder.logvar, ...spec.decoder]);
  const trunkEnd = spec.encoder.trunk.at(-1);
  for (const [i, l] of layers.entries()) {
    if (l.kind === 'conv2d') {
      const { kernelSize: k, inChannels: ci, outChannels: co } = l;
      const src = get(`${l.name}/kernel`);
      const dst = new Float32Array(src.length);
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let a = 0; a < ci; a++) for (let o = 0; o < co; o++) dst[((y * k + x) * ci + a) * co + o] = src[((o * ci + a) * k + y) * k + x];
      out.set(`${l.name}/kernel`, dst);
      out.set(`${l.name}/bias`, get(`${l.name}/bias`));
    } else if (l.kind === 'conv2dTranspose') {
      const { kernelSize: k, inChannels: ci, outChannels: co } = l;
      const src = get(`${l.name}/kernel`);
      const dst = new Float32Array(src.length);
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let o = 0; o < co; o++) for (let a = 0; a < ci; a++) dst[((y * k + x) * co + o) * ci + a] = src[((a * co + o) * k + y) * k + x];
      out.set(`${l.name}/kernel`, dst);
      out.set(`${l.name}/bias`, get(`${l.name}/bias`));
    } else if (l.kind === 'dense') {
      const { inFeatures: nin, outFeatures: nout } = l;
      const isHead = l === spec.encoder.mu || l === spec.encoder.logvar;
      const rows = isHead && trunkEnd?.kind === 'flatten' ? chwToHwcPermutation(trunkEnd.inputShape) : null;
      const next = layers[i + 1];
      const cols = !isHead && next?.kind === 'reshape' ? chwToHwcPermutation(next.outputShape) : null;
      const w = get(`${l.name}/kernel`);
      const b = get(`${l.name}/bias`);
      const kernel = new Float32Array(nin * nout);
      const bias = new Float32Array(nout);
      // A conditional head's label rows follow the features, in the trainer's order.
      for (let j = 0; j < nin; j++) for (let o = 0; o < nout; o++) kernel[(rows && j < rows.length ? rows[j] : j) * nout + (cols ? cols[o] : o)] = w[j * nout + o];
      for (let o = 0; o < nout; o++) bias[cols ? cols[o] : o] = b[o];
      out.set(`${l.name}/kernel`, kernel);
      out.set(`${l.name}/bias`, bias);
    }
  }
  return out;
}

/** A checkpoint in memory holding what the graphs record: the weights, epochs, test metrics and dataset. */
function checkpointFrom(manifest: ModelManifest, spec: ArchSpec, params: Map<string, Float32Array>): Checkpoint {
  const metrics = manifest.training.metrics;
  const header = {
    arch: spec,
    train: { dataset: manifest.dataset },
    epoch: manifest.training.epochs,
    metrics: metrics ? { ...metrics, epoch: manifest.training.epochs } : undefined,
    tensors: [...params.keys()].map((name) => ({ name, group: 'params' })),
    ...(manifest.training.command ? { command: manifest.training.command } : {}),
  };
  return { header: header as unknown as Checkpoint['header'], tensors: params };
}

/**
 * Exports a model again at `precision` from the weights in its own graphs.
 * Only fp32 and fp16 graphs hold weights that can be recovered exactly (an
 * int8 graph has already rounded them).
 *
 * @throws {@link ExportError} `usage` when the model is int8 or its graphs do not
 *   re-export byte for byte (they were not written by this exporter version)
 */
export function exportVariantFromGraphs(manifest: ModelManifest, encoder: Uint8Array, decoder: Uint8Array, precision: Precision): BuiltExport {
  if (manifest.precision === 'int8') throw new ExportError('usage', `${manifest.name} is an int8 model, whose rounded weights cannot give other variants; make them from its fp32 or fp16 graphs`);
  const initializers = graphWeights(encoder, decoder);
  // The graphs hold folded weights: re-exported without BatchNorm, they come out as they are.
  const spec = withoutBatchNorm(buildArchSpec(manifest.archConfig as { arch: ArchName; classes?: number }));
  const ckpt = checkpointFrom(manifest, spec, recoverParams(spec, initializers));
  const options = {
    name: manifest.name,
    createdAt: new Date(manifest.createdAt),
    opset: manifest.onnx.opset,
    ...(manifest.condition ? { classNames: manifest.condition.names } : {}),
    ...(manifest.data ? { data: manifest.data } : {}),
    // The graphs do not hold the pseudo-inputs: every variant keeps the model's own prior.
    ...(manifest.prior ? { prior: manifest.prior } : {}),
  };
  const same = buildExport(ckpt, { ...options, precision: manifest.precision });
  for (const [which, bytes] of [['encoder', encoder], ['decoder', decoder]] as const) {
    if (!Buffer.from(same[which]).equals(Buffer.from(bytes))) {
      throw new ExportError('usage', `${manifest.name}'s ${which} does not export again byte for byte from its own weights (another exporter version wrote it?), so its variants would not be the same model; export them from the checkpoint`);
    }
  }
  return buildExport(ckpt, { ...options, precision });
}

/** What {@link addVariants} wrote. */
export interface AddedVariants {
  manifest: ModelManifest;
  /** Each variant's two graph files, as written beside model.json. */
  files: { precision: Precision; encoder: string; decoder: string; encoderBytes: number; decoderBytes: number }[];
}

/**
 * Writes each precision's graphs beside `dir/model.json` as
 * `encoder_<p>.onnx`/`decoder_<p>.onnx` and lists them in its `variants`; the
 * model's own graphs are left as they are. All files are replaced together
 * (see `writeFileSet`), model.json last.
 *
 * @throws {@link ExportError} `usage` for a precision that is unknown or the model's own, `output` when writing fails
 */
export async function addVariants(dir: string, precisions: readonly string[]): Promise<AddedVariants> {
  const manifestPath = join(dir, 'model.json');
  const manifest = parseManifest(await fs.readFile(manifestPath));
  for (const p of precisions) {
    if (!(PRECISIONS as readonly string[]).includes(p)) throw new ExportError('usage', `variant ${JSON.stringify(p)} is not a precision; expected some of ${PRECISIONS.join(', ')}`);
    if (p === manifest.precision) throw new ExportError('usage', `${p} is ${manifest.name}'s own precision (its graphs); list only other variants`);
  }
  const [encoder, decoder] = await Promise.all([fs.readFile(join(dir, manifest.graphs.encoder.file)), fs.readFile(join(dir, manifest.graphs.decoder.file))]);
  const variants: NonNullable<ModelManifest['variants']> = { ...manifest.variants };
  const plan: [string, Uint8Array | string][] = [];
  const files: AddedVariants['files'] = [];
  for (const p of precisions as Precision[]) {
    const built = exportVariantFromGraphs(manifest, new Uint8Array(encoder), new Uint8Array(decoder), p);
    const graphs = {} as ManifestGraphs;
    for (const which of ['encoder', 'decoder'] as const) {
      const file = variantFile(manifest.graphs[which].file, p);
      graphs[which] = { ...built.manifest.graphs[which], file };
      plan.push([join(dir, file), built[which]]);
    }
    variants[p] = graphs;
    files.push({ precision: p, encoder: graphs.encoder.file, decoder: graphs.decoder.file, encoderBytes: graphs.encoder.bytes, decoderBytes: graphs.decoder.bytes });
  }
  // Listed in the fixed precision order, whatever order they were asked in.
  const ordered = Object.fromEntries(PRECISIONS.filter((p) => variants[p]).map((p) => [p, variants[p]]));
  const out = parseManifest({ ...manifest, variants: ordered });
  plan.push([manifestPath, `${JSON.stringify(out, null, 2)}\n`]);
  try {
    await writeFileSet(plan);
  } catch (e) {
    throw new ExportError('output', `writing the variants to ${dir} failed (${(e as Error).message})`, { cause: e });
  }
  return { manifest: out, files };
}
