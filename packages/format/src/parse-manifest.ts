/**
 * Structural validation of `model.json`: what the exporter must write and what
 * the SDK accepts before it reads a single graph byte.
 */
import { BATCH_DIM, GRAPH_IO } from './graph-io.js';
import type { ManifestCondition, ManifestData, ManifestFloat32Matrix, ManifestGraph, ManifestGraphs, ManifestPrior, ManifestValueInfo, ModelManifest } from './manifest.js';
import { LOGVAR_CLAMP, MAX_CLASSES, MAX_VAMP_COMPONENTS } from './arch-spec.js';
import { base64Length, base64ToFloat32 } from './float32-base64.js';
import { MANIFEST_FORMAT_VERSION, MANIFEST_PRECISIONS } from './manifest.js';

/**
 * A `model.json` that is not valid JSON or breaks the schema. The message
 * names the first field that is missing or wrong and what was expected; the
 * SDK rethrows it as its `VAEModelError` with the same message.
 */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

const te = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses and structurally validates `model.json` (format, version, shapes,
 * graph file names); the graphs themselves are checked when a model loads.
 *
 * @throws {@link ManifestError} naming the first field that is missing or wrong
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { parseManifest } from '@vae/format';
 * const m = parseManifest(await readFile('models/mnist/model.json', 'utf8'));
 * console.log(m.arch, m.latent, m.training.epochs, m.training.metrics?.testLoss);
 * ```
 */
export function parseManifest(input: ModelManifest | string | Uint8Array): ModelManifest {
  let m: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : te.decode(input);
    try {
      m = JSON.parse(text);
    } catch (e) {
      throw new ManifestError(`model.json is not valid JSON (${(e as Error).message}); expected a vae-onnx-model manifest`, { cause: e });
    }
  }
  const bad = (what: string) => new ManifestError(`model.json: ${what}`);
  const o = m as Partial<ModelManifest> | null;
  if (!o || typeof o !== 'object') throw bad('expected a JSON object');
  if (o.format !== 'vae-onnx-model') throw bad(`format is ${JSON.stringify(o.format)}, expected "vae-onnx-model"`);
  if (o.formatVersion !== MANIFEST_FORMAT_VERSION) throw bad(`formatVersion is ${JSON.stringify(o.formatVersion)}, expected ${MANIFEST_FORMAT_VERSION}`);
  if (!Number.isInteger(o.latent) || (o.latent as number) < 1) throw bad(`latent is ${JSON.stringify(o.latent)}, expected a positive integer`);
  const s = o.imageShape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw bad(`imageShape is ${JSON.stringify(s)}, expected [channels, height, width] of positive integers`);
  }
  if (o.data !== undefined) checkManifestData(o.data);
  if (!o.graphs || typeof o.graphs !== 'object') throw bad('graphs is missing, expected { encoder, decoder }');
  const latent = o.latent as number;
  const [C, H, W] = s;
  const image = [BATCH_DIM, C, H, W];
  const code = [BATCH_DIM, latent];
  const classes = o.condition === undefined ? 0 : checkCondition(o.condition, o.archConfig);
  const archPrior = (o.archConfig as { prior?: { components?: unknown } } | null | undefined)?.prior;
  // Without its prior a vamp model would silently be sampled from N(0, I); a conditional one has none.
  if (o.prior !== undefined || archPrior !== undefined) {
    const K = classes ? -1 : decodeManifestPrior(o.prior, latent).components;
    if (archPrior?.components !== K) throw bad(`prior has ${classes ? 'a condition' : `${K} components`}, archConfig.prior ${JSON.stringify(archPrior)}; expected the same K, on an unconditional model`);
  }
  const label = classes ? [io(GRAPH_IO.y, [BATCH_DIM, classes])] : [];
  checkGraphEntry(o.graphs.encoder, 'encoder', [io(GRAPH_IO.x, image), ...label], [io(GRAPH_IO.mu, code), io(GRAPH_IO.logvar, code)], !classes);
  checkGraphEntry(o.graphs.decoder, 'decoder', [io(GRAPH_IO.z, code), ...label], [io(GRAPH_IO.x, image), io(GRAPH_IO.logits, image)], !classes);
  if (o.variants !== undefined) {
    const v = o.variants as Record<string, Partial<ManifestGraphs> | undefined> | null;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`variants is ${JSON.stringify(o.variants)}, expected { "fp16": { encoder, decoder }, ... }`);
    for (const [dtype, g] of Object.entries(v)) {
      if (!(MANIFEST_PRECISIONS as readonly string[]).includes(dtype)) throw bad(`variants has ${JSON.stringify(dtype)}, expected keys among ${MANIFEST_PRECISIONS.join(', ')}`);
      if (dtype === o.precision) throw bad(`variants.${dtype} repeats the manifest's own precision (${dtype} is graphs)`);
      if (!g || typeof g !== 'object') throw bad(`variants.${dtype} is ${JSON.stringify(g)}, expected { encoder, decoder }`);
      checkGraphEntry(g.encoder, `encoder (variants.${dtype})`, [io(GRAPH_IO.x, image), ...label], [io(GRAPH_IO.mu, code), io(GRAPH_IO.logvar, code)], !classes);
      checkGraphEntry(g.decoder, `decoder (variants.${dtype})`, [io(GRAPH_IO.z, code), ...label], [io(GRAPH_IO.x, image), io(GRAPH_IO.logits, image)], !classes);
    }
  }
  return o as ModelManifest;
}

/** The decoded mixture of a {@link ManifestPrior}: `[K, latent]` row-major each. */
export interface DecodedPrior {
  components: number;
  mean: Float32Array;
  logVar: Float32Array;
}

/**
 * Validates a manifest's `prior` against `latent` and decodes its two
 * `[components, latent]` float32 arrays. Every size is checked before
 * anything is decoded: the shape must be `[components, latent]` and the
 * base64 text exactly as long as those values need.
 *
 * @throws {@link ManifestError} naming the field (`prior.mean.shape`, ...) and what was expected
 *
 * @example
 * ```ts
 * import { decodeManifestPrior, parseManifest } from '@vae/format';
 * const m = parseManifest(text);
 * if (m.prior) console.log(decodeManifestPrior(m.prior, m.latent).mean.length); // K * latent
 * ```
 */
export function decodeManifestPrior(prior: unknown, latent: number): DecodedPrior {
  const bad = (field: string, got: unknown, want: string) => new ManifestError(`model.json prior${field} is ${typeof got === 'string' ? `${got.length} characters` : JSON.stringify(got)?.slice(0, 100)}, expected ${want}`);
  const p = prior as Partial<ManifestPrior> | null;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw bad('', prior, '{ "kind": "vamp", "components": K, "mean": {...}, "logVar": {...} }');
  if (p.kind !== 'vamp') throw bad('.kind', p.kind, '"vamp"');
  const K = p.components as number;
  if (!Number.isInteger(K) || K < 1 || K > MAX_VAMP_COMPONENTS) throw bad('.components', K, `an integer in [1, ${MAX_VAMP_COMPONENTS}]`);
  const matrix = (field: 'mean' | 'logVar'): Float32Array => {
    const m = (p[field] ?? {}) as Partial<ManifestFloat32Matrix>;
    const at = `.${field}`;
    if (m.dtype !== 'float32') throw bad(`${at}.dtype`, m.dtype, '"float32"');
    if (!Array.isArray(m.shape) || m.shape.length !== 2 || m.shape[0] !== K || m.shape[1] !== latent) throw bad(`${at}.shape`, m.shape, `[${K},${latent}] (components, latent)`);
    // Bounded before decoding: the text must be exactly as long as K x latent float32 need.
    const want = base64Length(K * latent * 4);
    if (typeof m.base64 !== 'string' || m.base64.length !== want) throw bad(`${at}.base64`, m.base64, `${want} characters (${K} x ${latent} float32, ${K * latent * 4} bytes)`);
    const values = base64ToFloat32(m.base64);
    if (!values) throw bad(`${at}.base64`, m.base64, 'padded RFC 4648 base64');
    const i = values.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw bad(`${at}[${i}]`, values[i], 'a finite number');
    // The encoder clamps its log-variance, so a component outside the clamp is damage, and exp(logVar/2) of one would overflow the samples.
    const [lo, hi] = LOGVAR_CLAMP;
    const j = field === 'logVar' ? values.findIndex((v) => v < lo || v > hi) : -1;
    if (j >= 0) throw bad(`${at}[${j}]`, values[j], `within [${lo}, ${hi}]`);
    return values;
  };
  return { components: K, mean: matrix('mean'), logVar: matrix('logVar') };
}

/** Largest `data.crop` accepted: far beyond any photo a VAE is trained on, small enough to be a typo guard. */
const MAX_CROP = 65536;

/**
 * Validates a manifest's `data` entry (optional: manifests written before it
 * existed have none); the exporter checks what it is about to write with it.
 *
 * @throws {@link ManifestError} naming the field (`data.crop`, ...) and what was expected
 *
 * @example
 * ```ts
 * import { checkManifestData } from '@vae/format';
 * checkManifestData({ name: 'celeba', crop: 148, background: 'white' }); // ok
 * checkManifestData({ name: 'celeba', crop: 0 }); // throws ManifestError: model.json data.crop is 0, ...
 * ```
 */
export function checkManifestData(data: unknown): asserts data is ManifestData {
  const bad = (what: string) => new ManifestError(`model.json data${what}`);
  const d = data as Partial<ManifestData> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw bad(` is ${JSON.stringify(data)}, expected { "name": "...", "crop"?: N, "background"?: "..." }`);
  if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 256) throw bad(`.name is ${JSON.stringify(d.name)?.slice(0, 300)}, expected a non-empty string of at most 256 characters`);
  if (d.crop !== undefined && (!Number.isInteger(d.crop) || (d.crop as number) < 1 || (d.crop as number) > MAX_CROP)) {
    throw bad(`.crop is ${JSON.stringify(d.crop)}, expected an integer in [1, ${MAX_CROP}] (pixels of the centre square)`);
  }
  if (d.background !== undefined && (typeof d.background !== 'string' || d.background.length === 0 || d.background.length > 64)) {
    throw bad(`.background is ${JSON.stringify(d.background)?.slice(0, 100)}, expected a non-empty colour string of at most 64 characters`);
  }
  const extra = Object.keys(d).find((k) => !['name', 'crop', 'background'].includes(k));
  if (extra !== undefined) throw bad(` has ${JSON.stringify(extra)}, expected only name, crop and background`);
}

/** Validates `condition` and returns its number of classes. */
function checkCondition(cond: unknown, archConfig: unknown): number {
  const bad = (what: string) => new ManifestError(`model.json condition: ${what}`);
  const c = cond as Partial<ManifestCondition> | null;
  if (!c || typeof c !== 'object') throw bad(`is ${JSON.stringify(cond)}, expected { "type": "class", "classes": K, "names": [...] }`);
  if (c.type !== 'class') throw bad(`type is ${JSON.stringify(c.type)}, expected "class"`);
  if (!Number.isInteger(c.classes) || (c.classes as number) < 2 || (c.classes as number) > MAX_CLASSES) {
    throw bad(`classes is ${JSON.stringify(c.classes)}, expected an integer in [2, ${MAX_CLASSES}]`);
  }
  const K = c.classes as number;
  if (!Array.isArray(c.names) || c.names.length !== K || !c.names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 256)) {
    throw bad(`names must be ${K} non-empty strings (one per class), got ${JSON.stringify(c.names)?.slice(0, 200)}`);
  }
  const fromArch = (archConfig as { classes?: unknown } | null)?.classes;
  if (fromArch !== undefined && fromArch !== K) throw bad(`classes is ${K}, but archConfig.classes is ${JSON.stringify(fromArch)}`);
  return K;
}

function io(name: string, shape: (number | string)[]): ManifestValueInfo {
  return { name, shape, dtype: 'float32' };
}

/**
 * A shape as `[N,3,64,64]`, for messages.
 *
 * @example
 * ```ts
 * import { formatShape } from '@vae/format';
 * formatShape(['N', 32]); // '[N,32]'
 * ```
 */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Whether a graph's `actual` shape keeps the manifest's promise: numbers must
 * match; a string (symbolic) dimension matches any symbol or -1.
 *
 * @example
 * ```ts
 * import { sameShape } from '@vae/format';
 * sameShape(['batch', 32], ['N', 32]); // true
 * sameShape([-1, 16], ['N', 32]);      // false
 * ```
 */
export function sameShape(actual: readonly (number | string)[], expected: readonly (number | string)[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every((d, i) => (typeof expected[i] === 'string' ? typeof d === 'string' || d === -1 : d === expected[i]))
  );
}

function checkGraphEntry(g: ManifestGraph | undefined, which: string, inputs: ManifestValueInfo[], outputs: ManifestValueInfo[], unconditional: boolean): void {
  const bad = (what: string) => new ManifestError(`model.json graphs.${which}: ${what}`);
  if (!g || typeof g !== 'object') throw bad('missing, expected { file, sha256, bytes, inputs, outputs }');
  if (typeof g.file !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(g.file)) {
    throw bad(`file is ${JSON.stringify(g.file)}, expected a plain file name beside model.json`);
  }
  if (typeof g.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(g.sha256)) throw bad('sha256 must be 64 lower-case hex digits');
  if (!Number.isInteger(g.bytes) || g.bytes <= 0) throw bad(`bytes is ${JSON.stringify(g.bytes)}, expected a positive integer`);
  for (const [kind, got, want] of [['inputs', g.inputs, inputs], ['outputs', g.outputs, outputs]] as const) {
    if (!Array.isArray(got)) throw bad(`${kind} missing, expected ${want.map((w) => `${w.name}${formatShape(w.shape)}`).join(', ')}`);
    for (const w of want) {
      const v = got.find((x) => x?.name === w.name);
      if (!v) throw bad(`${kind} lack "${w.name}", expected ${w.name}${formatShape(w.shape)}`);
      if (v.dtype !== 'float32') throw bad(`${w.name} has dtype ${JSON.stringify(v.dtype)}, expected "float32"`);
      if (!Array.isArray(v.shape) || !sameShape(v.shape, w.shape)) {
        const from = w.name === GRAPH_IO.y ? 'condition.classes' : w.shape.length === 2 ? `latent ${w.shape[1]}` : 'from imageShape';
        throw bad(`${w.name} has shape ${formatShape(v.shape ?? [])}, expected ${formatShape(w.shape)} (${from})`);
      }
    }
  }
  // A graph that wants a label the manifest does not promise could never be fed.
  if (unconditional && g.inputs.some((v) => v?.name === GRAPH_IO.y)) {
    throw bad(`inputs include "${GRAPH_IO.y}" (a label), but model.json has no condition; add { "condition": { "type": "class", ... } } or export an unconditional model`);
  }
}
