/**
 * The classifier's weights file: one file, so that writing it atomically
 * publishes the header and the weights together.
 *
 * Layout: 8-byte magic `VAECLF01`, uint32 LE header length L, L bytes of JSON
 * header (padded with spaces so the weights start 4-byte aligned), then every
 * tensor as float32 LE in the header's order.
 */
import { writeFileAtomic } from '@vae/format/checkpoint';
import { FileReadRefusedError, readRegularFile } from '@vae/format/node';
import type { ClassifierSpec } from './classifier-spec.js';
import { CLASSIFIER_SPEC, CLASSIFIER_VERSION, classifierWeightShapes } from './classifier-spec.js';

/** The first 8 bytes of a classifier weights file. */
export const CLASSIFIER_MAGIC = 'VAECLF01';
/** Name of the weights file inside a classifier folder. */
export const CLASSIFIER_FILE = 'classifier.weights';
/** Largest header accepted: the real one is about 1 KB. */
export const MAX_CLASSIFIER_HEADER_BYTES = 64 * 1024;
/** Largest weights file accepted: the real one is about 790 KB. */
export const MAX_CLASSIFIER_FILE_BYTES = 16 * 2 ** 20;

/** Thrown when a classifier weights file is not one, is damaged, or does not fit {@link CLASSIFIER_SPEC}. */
export class ClassifierFileError extends Error {
  override name = 'ClassifierFileError';
  constructor(
    /** The file that was being read. */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** What the header records beside the weights. */
export interface ClassifierHeader {
  version: number;
  spec: ClassifierSpec;
  tensors: { name: string; shape: number[] }[];
  /** Free-form facts about the run (command, epochs, accuracy). */
  info: Record<string, unknown>;
}

const HEAD = 12;

/** Serialises weights (in {@link classifierWeightShapes} order) and `info` into the file's bytes. */
export function encodeClassifierWeights(params: Map<string, Float32Array>, info: Record<string, unknown> = {}): Uint8Array {
  const shapes = classifierWeightShapes(CLASSIFIER_SPEC);
  const tensors = [...shapes].map(([name, shape]) => ({ name, shape }));
  let json = JSON.stringify({ version: CLASSIFIER_VERSION, spec: CLASSIFIER_SPEC, tensors, info } satisfies ClassifierHeader);
  json += ' '.repeat((4 - ((HEAD + Buffer.byteLength(json)) % 4)) % 4);
  const header = new TextEncoder().encode(json);
  const floats = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const out = new Uint8Array(HEAD + header.length + 4 * floats);
  out.set(new TextEncoder().encode(CLASSIFIER_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, header.length, true);
  out.set(header, HEAD);
  let at = HEAD + header.length;
  for (const { name, shape } of tensors) {
    const v = params.get(name);
    const size = shape.reduce((x, y) => x * y, 1);
    if (!v || v.length !== size) throw new RangeError(`parameter ${name} needs ${size} values for shape [${shape}], got ${v?.length ?? 'none'}`);
    for (let i = 0; i < size; i++, at += 4) view.setFloat32(at, v[i], true);
  }
  return out;
}

/** Writes the weights file atomically: a reader sees the old file or the new one, never a part. */
export async function writeClassifierWeights(path: string, params: Map<string, Float32Array>, info: Record<string, unknown> = {}): Promise<void> {
  await writeFileAtomic(path, encodeClassifierWeights(params, info));
}

/** Parses a weights file's bytes, checking every size against {@link CLASSIFIER_SPEC} before using it. */
export function decodeClassifierWeights(bytes: Uint8Array, path: string): { header: ClassifierHeader; params: Map<string, Float32Array> } {
  if (bytes.length < HEAD || new TextDecoder().decode(bytes.subarray(0, 8)) !== CLASSIFIER_MAGIC) {
    throw new ClassifierFileError(path, `not a classifier weights file; expected it to start with "${CLASSIFIER_MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(8, true);
  if (len > MAX_CLASSIFIER_HEADER_BYTES || HEAD + len > bytes.length) {
    throw new ClassifierFileError(path, `header length ${len} exceeds the file (${bytes.length} bytes) or the ${MAX_CLASSIFIER_HEADER_BYTES}-byte limit`);
  }
  let header: ClassifierHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEAD, HEAD + len))) as ClassifierHeader;
  } catch (e) {
    throw new ClassifierFileError(path, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header?.version !== CLASSIFIER_VERSION) {
    throw new ClassifierFileError(path, `classifier version ${String(header?.version)}; expected ${CLASSIFIER_VERSION}`);
  }
  if (JSON.stringify(header.spec) !== JSON.stringify(CLASSIFIER_SPEC)) {
    throw new ClassifierFileError(path, 'its layer spec differs from CLASSIFIER_SPEC; expected the spec this code builds');
  }
  const shapes = classifierWeightShapes(CLASSIFIER_SPEC);
  const expected = [...shapes].map(([name, shape]) => ({ name, shape }));
  if (JSON.stringify(header.tensors) !== JSON.stringify(expected)) {
    throw new ClassifierFileError(path, `its tensor list differs; expected ${expected.map((t) => `${t.name} [${t.shape}]`).join(', ')}`);
  }
  const floats = expected.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  if (bytes.length !== HEAD + len + 4 * floats) {
    throw new ClassifierFileError(path, `is ${bytes.length} bytes; expected ${HEAD + len + 4 * floats} for a ${len}-byte header and ${floats} float32 weights`);
  }
  const params = new Map<string, Float32Array>();
  let at = HEAD + len;
  for (const { name, shape } of expected) {
    const v = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < v.length; i++, at += 4) {
      v[i] = view.getFloat32(at, true);
      if (!Number.isFinite(v[i])) throw new ClassifierFileError(path, `${name}[${i}] is ${v[i]}; expected finite weights`);
    }
    params.set(name, v);
  }
  return { header, params };
}

/** Reads and checks a weights file (at most {@link MAX_CLASSIFIER_FILE_BYTES}). */
export async function readClassifierWeights(path: string): Promise<{ header: ClassifierHeader; params: Map<string, Float32Array> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, MAX_CLASSIFIER_FILE_BYTES);
  } catch (e) {
    if (e instanceof FileReadRefusedError) throw new ClassifierFileError(path, `refused (${e.message}); expected a regular file of at most ${MAX_CLASSIFIER_FILE_BYTES} bytes`);
    throw e;
  }
  return decodeClassifierWeights(bytes, path);
}
