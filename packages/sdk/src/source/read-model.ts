/**
 * Loading a model's files, in order: resolve where they are, read model.json
 * (capped), parse it, read both graphs (each bounded by the size model.json
 * declares), and check their integrity. Each step lives in its own module;
 * this one only sequences them and reports progress.
 */
import type { ModelManifest } from '../manifest.js';
import { throwIfAborted } from './abort.js';
import { graphKey, manifestKey, openCacheEarly } from '../cache/cache-store.js';
import { fetchBounded } from './fetch-bounded.js';
import { parseManifest } from '../manifest.js';
import { VAESourceError } from '../errors.js';
import { bundledList, DEFAULT_MODEL, isBareName, isBundledName } from './bundled.js';
import { readLocal } from './read-local.js';
import type { FileRef } from './resolve-source.js';
import { besideManifest, describeRef, folderOf, resolveSource } from './resolve-source.js';
import type { LoadedModel, ModelSource, ReadOptions } from './types.js';
import { verifyGraphBytes } from './verify-integrity.js';
import { selectVariant } from './select-variant.js';

/** The most model.json may weigh: a manifest is a few KiB; anything near this is not one. */
export const MANIFEST_MAX_BYTES = 1 << 20;

/** Default {@link ReadOptions.timeoutMs}: how long a URL may send nothing. */
export const DEFAULT_TIMEOUT_MS = 30_000;

const shipped = new Map<string, LoadedModel>();

/**
 * Reads and verifies a model from any {@link ModelSource}; `undefined` is the
 * default shipped model, a bundled model's bare name that model. Any other
 * bare name (no slash, dot or colon) is still read as a relative path or URL,
 * as before bundled names existed; when that fails, the error adds the
 * bundled names, since a misspelt one is the likelier mistake.
 */
export async function readModel(source: ModelSource | undefined, options: ReadOptions): Promise<LoadedModel> {
  throwIfAborted(options.signal, 'the model');
  const name = source === undefined ? DEFAULT_MODEL : isBundledName(source) ? source : undefined;
  if (name === undefined) {
    if (!isBareName(source)) return readModelNow(source, options);
    return readModelNow(source, options).catch((e) => {
      if (!(e instanceof VAESourceError) || options.signal?.aborted) throw e;
      throw new VAESourceError(`${e.message}; ${JSON.stringify(source)} is not a bundled model either (expected one of ${bundledList()}, or a folder path or URL)`, { cause: e });
    });
  }
  // A shipped model never changes: read and verify it once per process or
  // page, so a device switch (a second VAE.load()) needs no network. Only a
  // success is kept, so one caller's abort or timeout is not every caller's.
  const key = `${name}:${options.dtype ?? ''}`;
  const hit = shipped.get(key);
  if (hit && !hit.encoder && !options.lazyEncoder) await hit.readEncoder!();
  if (hit) return hit;
  const model = await readModelNow(name, options);
  shipped.set(key, model);
  return model;
}

async function readModelNow(source: ModelSource | undefined, options: ReadOptions): Promise<LoadedModel> {
  const r = resolveSource(source, options.dtype);
  if (r.kind !== 'bytes') openCacheEarly(options.cache ?? true);
  if (r.kind === 'bytes') {
    const manifest = selectVariant(parseManifest(r.manifest), options.dtype);
    await verifyGraphBytes(manifest, 'encoder', r.encoder);
    await verifyGraphBytes(manifest, 'decoder', r.decoder);
    return { manifest, encoder: r.encoder, decoder: r.decoder, origin: 'bytes' };
  }
  const expected = r.kind === 'folder' ? 'a folder with model.json, encoder.onnx and decoder.onnx' : undefined;
  const m = await readFile(r.manifest, 'model.json', MANIFEST_MAX_BYTES, undefined, 'the 1 MiB cap on model.json', expected ?? 'the model.json file', options);
  const manifest = selectVariant(parseManifest(m.bytes), options.dtype);
  // One graph failing stops the other's download too.
  const ac = new AbortController();
  const stop = () => ac.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  const readGraph = (which: 'encoder' | 'decoder', ref: FileRef, signal: AbortSignal | undefined) => {
    const g = manifest.graphs[which];
    return readFile(ref, g.file, g.bytes, g.bytes, `as model.json declares`, expected ?? `the ${which} file`, { ...options, signal }, g.sha256);
  };
  const graph = (which: 'encoder' | 'decoder', ref: FileRef) =>
    readGraph(which, ref, ac.signal).catch((e) => {
      ac.abort();
      throw e;
    });
  try {
    const refs = r.kind === 'folder' ? graphRefs(manifest, m.where) : r;
    const [e, d] = await Promise.all([options.lazyEncoder ? undefined : graph('encoder', refs.encoder), graph('decoder', refs.decoder)]);
    throwIfAborted(options.signal, 'the model');
    if (e) await verifyGraphBytes(manifest, 'encoder', e.bytes);
    await verifyGraphBytes(manifest, 'decoder', d.bytes);
    const origin =
      r.kind === 'folder'
        ? folderOf(m.where)
        : m.where.kind === 'url' && m.where.url.protocol === 'data:'
          ? `${describeRef((e ?? d).where)} (model.json inlined)`
          : m.where.kind === 'url'
            ? m.where.url.href
            : m.where.path;
    const model: LoadedModel = { manifest, encoder: e?.bytes, decoder: d.bytes, origin };
    // Later, outside this load: its signal no longer applies, its timeout, cache and progress do.
    model.readEncoder = async () => {
      const got = await readGraph('encoder', refs.encoder, undefined);
      await verifyGraphBytes(manifest, 'encoder', got.bytes);
      return (model.encoder = got.bytes);
    };
    return model;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** Both graphs beside model.json, resolved against where model.json finally came from. */
function graphRefs(manifest: ModelManifest, where: FileRef): { encoder: FileRef; decoder: FileRef } {
  return { encoder: besideManifest(where, manifest.graphs.encoder.file), decoder: besideManifest(where, manifest.graphs.decoder.file) };
}

/** One file from a path or a URL, within `maxBytes`; `where` is where it finally came from. */
async function readFile(
  ref: FileRef,
  file: string,
  maxBytes: number,
  size: number | undefined,
  bound: string,
  expected: string,
  options: ReadOptions,
  sha256?: string,
): Promise<{ bytes: Uint8Array; where: FileRef }> {
  throwIfAborted(options.signal, `${file} from ${describeRef(ref)}`);
  const report = options.onProgress;
  if (ref.kind === 'path') {
    const bytes = await readLocal(ref.path, maxBytes, expected, bound);
    report?.({ file, loaded: bytes.byteLength, total: size ?? bytes.byteLength });
    return { bytes, where: ref };
  }
  const enabled = options.cache ?? true;
  const got = await fetchBounded(ref.url, {
    // Graphs by the sha256 model.json records; model.json (no hash to key it by) by its URL, as the offline fallback.
    cache: sha256 ? { key: graphKey(sha256), sha256, mode: 'first', enabled } : { key: manifestKey(ref.url.href), mode: 'fallback', enabled },
    what: file,
    maxBytes,
    expected: size,
    bound,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onBytes: report && ((loaded, total) => report({ file, loaded, total })),
  });
  return { bytes: got.bytes, where: { kind: 'url', url: got.url } };
}
