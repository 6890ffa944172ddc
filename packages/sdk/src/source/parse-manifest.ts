/**
 * `parseManifest`: model.json text or bytes to a validated {@link ModelManifest}.
 * Kept whole in this file, unchanged, so it can move to the contracts package.
 */
import { VAEModelError } from '../errors.js';
import type { ManifestGraph, ManifestValueInfo, ModelManifest } from '../manifest.js';
import { MANIFEST_FORMAT_VERSION } from '../manifest.js';
import { formatShape as fmt, sameShape } from './shape.js';

const te = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses and structurally validates `model.json` (format, version, shapes,
 * graph file names); the graphs themselves are checked when a model loads.
 *
 * @throws {@link VAEModelError} naming the first field that is missing or wrong
 *
 * @example
 * ```ts
 * import { parseManifest } from '@vae/sdk';
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
      throw new VAEModelError(`model.json is not valid JSON (${(e as Error).message}); expected a vae-onnx-model manifest`, { cause: e });
    }
  }
  const bad = (what: string) => new VAEModelError(`model.json: ${what}`);
  const o = m as Partial<ModelManifest> | null;
  if (!o || typeof o !== 'object') throw bad('expected a JSON object');
  if (o.format !== 'vae-onnx-model') throw bad(`format is ${JSON.stringify(o.format)}, expected "vae-onnx-model"`);
  if (o.formatVersion !== MANIFEST_FORMAT_VERSION) throw bad(`formatVersion is ${JSON.stringify(o.formatVersion)}, expected ${MANIFEST_FORMAT_VERSION}`);
  if (!Number.isInteger(o.latent) || (o.latent as number) < 1) throw bad(`latent is ${JSON.stringify(o.latent)}, expected a positive integer`);
  const s = o.imageShape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw bad(`imageShape is ${JSON.stringify(s)}, expected [channels, height, width] of positive integers`);
  }
  if (!o.graphs || typeof o.graphs !== 'object') throw bad('graphs is missing, expected { encoder, decoder }');
  const latent = o.latent as number;
  const [C, H, W] = s;
  checkGraphEntry(o.graphs.encoder, 'encoder', [io('x', ['N', C, H, W])], [io('mu', ['N', latent]), io('logvar', ['N', latent])]);
  checkGraphEntry(o.graphs.decoder, 'decoder', [io('z', ['N', latent])], [io('x', ['N', C, H, W]), io('logits', ['N', C, H, W])]);
  return o as ModelManifest;
}

function io(name: string, shape: (number | string)[]): ManifestValueInfo {
  return { name, shape, dtype: 'float32' };
}

function checkGraphEntry(g: ManifestGraph | undefined, which: string, inputs: ManifestValueInfo[], outputs: ManifestValueInfo[]): void {
  const bad = (what: string) => new VAEModelError(`model.json graphs.${which}: ${what}`);
  if (!g || typeof g !== 'object') throw bad('missing, expected { file, sha256, bytes, inputs, outputs }');
  if (typeof g.file !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(g.file)) {
    throw bad(`file is ${JSON.stringify(g.file)}, expected a plain file name beside model.json`);
  }
  if (typeof g.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(g.sha256)) throw bad('sha256 must be 64 lower-case hex digits');
  if (!Number.isInteger(g.bytes) || g.bytes <= 0) throw bad(`bytes is ${JSON.stringify(g.bytes)}, expected a positive integer`);
  for (const [kind, got, want] of [['inputs', g.inputs, inputs], ['outputs', g.outputs, outputs]] as const) {
    if (!Array.isArray(got)) throw bad(`${kind} missing, expected ${want.map((w) => `${w.name}${fmt(w.shape)}`).join(', ')}`);
    for (const w of want) {
      const v = got.find((x) => x?.name === w.name);
      if (!v) throw bad(`${kind} lack "${w.name}", expected ${w.name}${fmt(w.shape)}`);
      if (v.dtype !== 'float32') throw bad(`${w.name} has dtype ${JSON.stringify(v.dtype)}, expected "float32"`);
      if (!Array.isArray(v.shape) || !sameShape(v.shape, w.shape)) {
        throw bad(`${w.name} has shape ${fmt(v.shape ?? [])}, expected ${fmt(w.shape)} (latent ${w.shape.length === 2 ? w.shape[1] : 'from imageShape'})`);
      }
    }
  }
}

