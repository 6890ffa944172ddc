/**
 * Resolving: a {@link ModelSource} (or none: the shipped model) to where each
 * file is, a local path or a URL, without reading anything. Graphs beside
 * model.json are resolved only once model.json has been read, against the URL
 * it finally came from (after redirects).
 */
import { VAESourceError } from '../errors.js';
import type { ModelManifest } from '../manifest.js';
import { platform } from '../platform.js';
import type { ModelSource, ModelUrls } from './types.js';
import type { ModelDType } from './select-variant.js';
import type { BundledModelName } from './bundled.js';
import { DEFAULT_MODEL, isBundledName } from './bundled.js';

/** One file: a local path (Node) or a URL for fetch(). */
export type FileRef = { kind: 'path'; path: string } | { kind: 'url'; url: URL };

/** A source with each file located. */
export type ResolvedSource =
  /** Everything is in memory already. */
  | { kind: 'bytes'; manifest: ModelManifest | string | Uint8Array; encoder: Uint8Array; decoder: Uint8Array }
  /** model.json, with the graphs beside it under the names it records. */
  | { kind: 'folder'; manifest: FileRef }
  /** One reference per file, whatever the names. */
  | { kind: 'files'; manifest: FileRef; encoder: FileRef; decoder: FileRef };

/** A URL for a message: data: URLs are cut short. */
export function shortUrl(href: string): string {
  return href.length > 80 ? `${href.slice(0, 60)}…` : href;
}

/** A reference for a message. */
export function describeRef(ref: FileRef): string {
  return ref.kind === 'path' ? ref.path : shortUrl(ref.url.href);
}

const pageUrl = () => (globalThis as { location?: { href: string } }).location?.href;

/**
 * Locates the files of a source; `undefined` is the default model shipped with
 * this platform's entry point, and a bare name of a bundled model (`'mnist'`,
 * `'mnist-cvae'`) that model.
 */
export function resolveSource(source: ModelSource | undefined, dtype?: ModelDType): ResolvedSource {
  if (source === undefined) source = shippedSource(DEFAULT_MODEL, dtype);
  else if (isBundledName(source)) source = shippedSource(source, dtype);
  if (typeof source === 'string' || source instanceof URL) return { kind: 'folder', manifest: locateManifest(source) };
  if (source === null || typeof source !== 'object') {
    throw new VAESourceError(`a model source must be a folder path, a URL or { manifest, encoder, decoder }, got ${source === null ? 'null' : typeof source}`);
  }
  if (!('manifest' in source) || !('encoder' in source) || !('decoder' in source)) {
    throw new VAESourceError(
      'a model object must be { manifest, encoder, decoder }: model.json contents and both ONNX graphs as bytes, or three URLs',
    );
  }
  const isRef = (v: unknown): v is string | URL => typeof v === 'string' || v instanceof URL;
  if (isRef(source.encoder) || isRef(source.decoder)) {
    if (!isRef(source.encoder) || !isRef(source.decoder) || !isRef(source.manifest)) {
      throw new VAESourceError('model URLs must be { manifest, encoder, decoder }, each a URL or string; got a mix of URLs and bytes');
    }
    const s = source as ModelUrls;
    return { kind: 'files', manifest: locateFile(s.manifest, 'model.json'), encoder: locateFile(s.encoder, 'encoder'), decoder: locateFile(s.decoder, 'decoder') };
  }
  if (source.manifest instanceof URL) throw new VAESourceError('manifest is a URL but the graphs are bytes; expected both as URLs or both as bytes');
  return { kind: 'bytes', manifest: source.manifest, encoder: asBytes(source.encoder, 'encoder'), decoder: asBytes(source.decoder, 'decoder') };
}

function shippedSource(name: BundledModelName, dtype: ModelDType | undefined): ModelSource {
  if (!platform.defaultModel) {
    throw new VAESourceError(`${name === DEFAULT_MODEL ? 'no model source given' : `${JSON.stringify(name)} names a bundled model`} and this platform has no bundled models; expected a folder, URL or bytes`);
  }
  try {
    return platform.defaultModel(name, dtype);
  } catch (e) {
    // e.g. a CJS browser bundle, where import.meta.url is undefined.
    throw new VAESourceError(`cannot locate the model shipped in @vae/sdk (${(e as Error).message}); pass a folder, URL or bytes to VAE.load`, { cause: e });
  }
}

function asBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new VAESourceError(`${what} must be a Uint8Array or ArrayBuffer of ONNX bytes`);
}

/** model.json of a folder (path or URL) or model.json itself. */
function locateManifest(source: string | URL): FileRef {
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^(data|blob):/i.test(source);
  if (!isUrl && platform.stringsArePaths) {
    const path = source as string;
    return { kind: 'path', path: path.endsWith('.json') ? path : `${path.replace(/[\\/]+$/, '')}/model.json` };
  }
  let url: URL;
  try {
    url = new URL(String(source), pageUrl());
  } catch (e) {
    throw new VAESourceError(`invalid model URL ${JSON.stringify(String(source))}; expected an absolute URL or a folder path`, { cause: e });
  }
  if (!isHierarchical(url)) {
    // A data: or blob: URL holds one file; the graphs have no URL relative to it.
    throw new VAESourceError(
      `cannot find encoder.onnx and decoder.onnx relative to ${shortUrl(url.href)}; pass { manifest, encoder, decoder } with one URL per file`,
    );
  }
  const manifest = new URL(url.href);
  manifest.hash = '';
  // The query stays: on a signed URL it is what grants access.
  if (!manifest.pathname.endsWith('.json')) manifest.pathname = `${manifest.pathname.replace(/\/+$/, '')}/model.json`;
  if (manifest.protocol === 'file:' && platform.readFile) return { kind: 'path', path: decodeURIComponent(manifest.pathname) };
  return { kind: 'url', url: manifest };
}

/** One file of {@link ModelUrls}: a path (Node, plain string), a file: URL (Node), or anything fetch() reads (http(s), data:, blob:). */
function locateFile(ref: string | URL, what: string): FileRef {
  const s = String(ref);
  const isUrl = ref instanceof URL || (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)); // C:\ is a path
  if (!isUrl && platform.stringsArePaths) return { kind: 'path', path: s };
  let url: URL;
  try {
    url = new URL(s, pageUrl());
  } catch (e) {
    throw new VAESourceError(`invalid ${what} URL ${JSON.stringify(shortUrl(s))}; expected an absolute URL${platform.stringsArePaths ? ' or a file path' : ''}`, { cause: e });
  }
  if (url.protocol === 'file:' && platform.readFile) return { kind: 'path', path: decodeURIComponent(url.pathname) };
  return { kind: 'url', url };
}

/** http(s), file and the like: URLs a relative file name can be resolved against. */
function isHierarchical(u: URL): boolean {
  return u.protocol !== 'data:' && u.protocol !== 'blob:' && u.href.startsWith(`${u.protocol}//`);
}

/**
 * A graph beside model.json. `manifest` is where model.json was finally read
 * from (after redirects). The manifest URL's query string carries over: a
 * folder shared through one signed or tokenised URL (an Azure SAS, a CloudFront
 * policy over a path) needs the same query on every file. A per-object
 * signature (an S3 presigned URL) cannot be reused; those take
 * `{ manifest, encoder, decoder }` with one signed URL each.
 */
export function besideManifest(manifest: FileRef, file: string): FileRef {
  if (manifest.kind === 'path') {
    const i = Math.max(manifest.path.lastIndexOf('/'), manifest.path.lastIndexOf('\\'));
    return { kind: 'path', path: i < 0 ? file : `${manifest.path.slice(0, i) || ''}/${file}` };
  }
  let url: URL;
  try {
    url = new URL(file, manifest.url);
  } catch (e) {
    throw new VAESourceError(`cannot resolve ${JSON.stringify(file)} against ${shortUrl(manifest.url.href)}; expected a file name beside model.json`, { cause: e });
  }
  url.search = manifest.url.search;
  return { kind: 'url', url };
}

/** Where a folder source came from, for `info`: the folder (path or URL) holding model.json. */
export function folderOf(manifest: FileRef): string {
  if (manifest.kind === 'url') return new URL('.', manifest.url).href;
  const i = Math.max(manifest.path.lastIndexOf('/'), manifest.path.lastIndexOf('\\'));
  return i < 0 ? '.' : manifest.path.slice(0, i) || '/';
}
