/**
 * Reading a model (manifest + two graphs) from a folder, a URL or bytes, and
 * checking that the bytes are what the manifest promises before ONNX Runtime
 * ever parses them.
 */
import { VAEModelError, VAESourceError } from './errors.js';
import { formatShape as fmt, sameShape } from '@vae/format';
import type { ModelManifest } from './manifest.js';
import { parseManifest } from './manifest.js';
import { platform } from './platform.js';
import type { ValueMeta } from './backends/types.js';

/** Model bytes held in memory, e.g. from a bundler asset or IndexedDB. */
export interface ModelBytes {
  /** Contents of `model.json`: parsed, as text, or as bytes. */
  manifest: ModelManifest | string | Uint8Array;
  /** Bytes of the encoder graph (`encoder.onnx`); checked against the manifest's length and sha256. */
  encoder: Uint8Array | ArrayBuffer;
  /** Bytes of the decoder graph (`decoder.onnx`); checked against the manifest's length and sha256. */
  decoder: Uint8Array | ArrayBuffer;
}

/**
 * The three files of a model as separate URLs (or, in Node, paths): what a
 * bundler gives for `new URL('./model.json', import.meta.url)`-style assets,
 * which may be hashed, moved apart or inlined as `data:` URLs. The graphs are
 * read from `encoder`/`decoder` whatever file names the manifest records.
 */
export interface ModelUrls {
  /** Where `model.json` is: `http(s):`, `file:`, `data:` or `blob:` URL, or (Node) a path. */
  manifest: URL | string;
  /** Where the encoder graph is, under any file name (e.g. a bundler's hashed asset URL). */
  encoder: URL | string;
  /** Where the decoder graph is, under any file name. */
  decoder: URL | string;
}

/**
 * Where to load a model from: a folder path (Node), a URL (string or `URL`,
 * `http(s):`/`file:`/`data:`; the folder holding `model.json`, or `model.json`
 * itself), {@link ModelUrls} (one URL per file) or {@link ModelBytes}.
 */
export type ModelSource = string | URL | ModelUrls | ModelBytes;

/** A manifest with both graphs' bytes, verified against each other. */
export interface LoadedModel {
  manifest: ModelManifest;
  encoder: Uint8Array;
  decoder: Uint8Array;
  /** Human-readable origin, for `info`. */
  origin: string;
}

/** Reads and verifies a model from any {@link ModelSource}. */
export function readModel(source: ModelSource | undefined): Promise<LoadedModel> {
  if (source !== undefined) return readModelNow(source);
  // The shipped model never changes: read and verify it once per process or
  // page, so a device switch (a second VAE.load()) needs no network.
  shipped ??= readModelNow(undefined).catch((e) => {
    shipped = undefined;
    throw e;
  });
  return shipped;
}

let shipped: Promise<LoadedModel> | undefined;

async function readModelNow(source: ModelSource | undefined): Promise<LoadedModel> {
  if (source === undefined) {
    if (!platform.defaultModel) throw new VAESourceError('no model source given and this platform has no bundled model; expected a folder, URL or bytes');
    try {
      source = platform.defaultModel();
    } catch (e) {
      // e.g. a CJS browser bundle, where import.meta.url is undefined.
      throw new VAESourceError(`cannot locate the model shipped in @vae/sdk (${(e as Error).message}); pass a folder, URL or bytes to VAE.load`, { cause: e });
    }
  }
  if (typeof source === 'object' && !(source instanceof URL)) {
    if (!source || !('manifest' in source) || !('encoder' in source) || !('decoder' in source)) {
      throw new VAESourceError(
        'a model object must be { manifest, encoder, decoder }: model.json contents and both ONNX graphs as bytes, or three URLs',
      );
    }
    const isRef = (v: unknown): v is string | URL => typeof v === 'string' || v instanceof URL;
    if (isRef(source.encoder) || isRef(source.decoder)) {
      if (!isRef(source.encoder) || !isRef(source.decoder) || !isRef(source.manifest)) {
        throw new VAESourceError('model URLs must be { manifest, encoder, decoder }, each a URL or string; got a mix of URLs and bytes');
      }
      return readFromUrls(source as ModelUrls);
    }
    if (source.manifest instanceof URL) throw new VAESourceError('manifest is a URL but the graphs are bytes; expected both as URLs or both as bytes');
    const manifest = parseManifest(source.manifest);
    const encoder = asBytes(source.encoder, 'encoder');
    const decoder = asBytes(source.decoder, 'decoder');
    await verifyGraphBytes(manifest, 'encoder', encoder);
    await verifyGraphBytes(manifest, 'decoder', decoder);
    return { manifest, encoder, decoder, origin: 'bytes' };
  }
  const { read, base, manifestName, origin } = locate(source);
  const manifest = parseManifest(await read(manifestName));
  const encoder = await read(graphFile(manifest, 'encoder'));
  await verifyGraphBytes(manifest, 'encoder', encoder);
  const decoder = await read(graphFile(manifest, 'decoder'));
  await verifyGraphBytes(manifest, 'decoder', decoder);
  void base;
  return { manifest, encoder, decoder, origin };
}

function asBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new VAESourceError(`${what} must be a Uint8Array or ArrayBuffer of ONNX bytes`);
}

function locate(source: string | URL): { read: (name: string) => Promise<Uint8Array>; base: string; manifestName: string; origin: string } {
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^(data|blob):/i.test(source);
  if (!isUrl && platform.stringsArePaths) {
    const path = source as string;
    const readFile = platform.readFile!;
    const [dir, manifestName] = path.endsWith('.json') ? splitPath(path) : [path.replace(/[\\/]+$/, ''), 'model.json'];
    return {
      base: dir,
      manifestName,
      origin: dir,
      read: async (name) => {
        const full = `${dir}/${name}`;
        try {
          return await readFile(full);
        } catch (e) {
          const code = (e as { code?: string }).code;
          throw new VAESourceError(
            code === 'ENOENT'
              ? `model file not found: ${full}; expected a folder with model.json, encoder.onnx and decoder.onnx`
              : `cannot read ${full}: ${(e as Error).message}`,
            { cause: e },
          );
        }
      },
    };
  }
  let url: URL;
  try {
    url = new URL(String(source), (globalThis as { location?: { href: string } }).location?.href);
  } catch (e) {
    throw new VAESourceError(`invalid model URL ${JSON.stringify(String(source))}; expected an absolute URL or a folder path`, { cause: e });
  }
  if (!isHierarchical(url)) {
    // A data: or blob: URL holds one file; the graphs have no URL relative to it.
    throw new VAESourceError(
      `cannot find encoder.onnx and decoder.onnx relative to ${short(url.href)}; pass { manifest, encoder, decoder } with one URL per file`,
    );
  }
  let manifestUrl = url;
  if (!url.pathname.endsWith('.json')) {
    manifestUrl = new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);
    manifestUrl = new URL('model.json', manifestUrl);
  }
  if (url.protocol === 'file:' && platform.readFile) {
    const p = decodeURIComponent(manifestUrl.pathname);
    return locate(p);
  }
  return {
    base: manifestUrl.href,
    manifestName: 'model.json',
    origin: new URL('.', manifestUrl).href,
    read: async (name) => {
      let target: URL;
      try {
        target = new URL(name, manifestUrl);
      } catch (e) {
        throw new VAESourceError(`cannot resolve ${JSON.stringify(name)} against ${short(manifestUrl.href)}; expected a file name beside model.json`, { cause: e });
      }
      return fetchBytes(target);
    },
  };
}

/** http(s), file and the like: URLs a relative file name can be resolved against. */
function isHierarchical(u: URL): boolean {
  return u.protocol !== 'data:' && u.protocol !== 'blob:' && u.href.startsWith(`${u.protocol}//`);
}

/** A URL for a message: data: URLs are cut short. */
function short(href: string): string {
  return href.length > 80 ? `${href.slice(0, 60)}…` : href;
}

async function fetchBytes(target: URL): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(target);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new VAESourceError(
      `could not fetch ${short(target.href)} (${cause?.code ?? cause?.message ?? (e as Error).message}); expected a reachable URL serving model.json, encoder.onnx and decoder.onnx`,
      { cause: e },
    );
  }
  if (!res.ok) throw new VAESourceError(`GET ${short(target.href)} returned HTTP ${res.status}; expected 200 with the model file`);
  return new Uint8Array(await res.arrayBuffer());
}

/** One file of {@link ModelUrls}: a path (Node, plain string), a file: URL (Node), or anything fetch() reads (http(s), data:, blob:). */
async function readRef(ref: string | URL, what: string): Promise<{ bytes: Uint8Array; where: string }> {
  const s = String(ref);
  const isUrl = ref instanceof URL || (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)); // C:\ is a path
  if (!isUrl && platform.stringsArePaths) {
    try {
      return { bytes: await platform.readFile!(s), where: s };
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new VAESourceError(code === 'ENOENT' ? `model file not found: ${s}; expected the ${what} file` : `cannot read ${s}: ${(e as Error).message}`, { cause: e });
    }
  }
  let url: URL;
  try {
    url = new URL(s, (globalThis as { location?: { href: string } }).location?.href);
  } catch (e) {
    throw new VAESourceError(`invalid ${what} URL ${JSON.stringify(short(s))}; expected an absolute URL${platform.stringsArePaths ? ' or a file path' : ''}`, { cause: e });
  }
  if (url.protocol === 'file:' && platform.readFile) return readRef(decodeURIComponent(url.pathname), what);
  return { bytes: await fetchBytes(url), where: url.href };
}

async function readFromUrls(src: ModelUrls): Promise<LoadedModel> {
  // All three in flight at once: on a page they are separate requests.
  const [m, e, d] = await Promise.all([readRef(src.manifest, 'model.json'), readRef(src.encoder, 'encoder'), readRef(src.decoder, 'decoder')]);
  const manifest = parseManifest(m.bytes);
  await verifyGraphBytes(manifest, 'encoder', e.bytes);
  await verifyGraphBytes(manifest, 'decoder', d.bytes);
  const origin = m.where.startsWith('data:') ? `${short(e.where)} (model.json inlined)` : m.where;
  return { manifest, encoder: e.bytes, decoder: d.bytes, origin };
}

function splitPath(p: string): [string, string] {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? ['.', p] : [p.slice(0, i) || '/', p.slice(i + 1)];
}

function graphFile(m: ModelManifest, which: 'encoder' | 'decoder'): string {
  return m.graphs[which].file;
}

/** Hex sha256 via WebCrypto (global in Node ≥ 20 and in browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (platform.sha256) return platform.sha256(bytes);
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) throw new VAEModelError('cannot verify model checksums: crypto.subtle is unavailable (browsers expose it only in secure contexts)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as BufferSource));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Length and sha256 of a graph against the manifest: catches truncation, corruption and swapped models. */
export async function verifyGraphBytes(m: ModelManifest, which: 'encoder' | 'decoder', bytes: Uint8Array): Promise<void> {
  const g = m.graphs[which];
  if (bytes.length !== g.bytes) {
    throw new VAEModelError(
      `${g.file} is ${bytes.length} bytes, expected ${g.bytes} as model.json says${bytes.length < g.bytes ? ' (truncated?)' : ''}`,
    );
  }
  const sha = await sha256Hex(bytes);
  if (sha !== g.sha256) {
    throw new VAEModelError(`${g.file} has sha256 ${sha.slice(0, 16)}…, expected ${g.sha256.slice(0, 16)}… from model.json: a different or corrupted model`);
  }
}

/** A started session's real inputs/outputs against the manifest's promise. */
export function verifySessionIo(m: ModelManifest, which: 'encoder' | 'decoder', inputs: readonly ValueMeta[], outputs: readonly ValueMeta[]): void {
  const g = m.graphs[which];
  for (const [kind, declared, actual] of [['input', g.inputs, inputs], ['output', g.outputs, outputs]] as const) {
    for (const d of declared) {
      const a = actual.find((x) => x.name === d.name);
      if (!a) {
        throw new VAEModelError(`${g.file} has no ${kind} "${d.name}" (it has ${actual.map((x) => x.name).join(', ') || 'none'}); expected ${d.name}${fmt(d.shape)} as model.json says`);
      }
      if (a.type !== 'float32') throw new VAEModelError(`${g.file} ${kind} "${d.name}" is ${a.type}, expected float32`);
      // An empty shape means the graph doesn't declare one; ORT checks at run time.
      if (a.shape.length && !sameShape(a.shape, d.shape)) {
        throw new VAEModelError(`${g.file} ${kind} "${d.name}" has shape ${fmt(a.shape)}, expected ${fmt(d.shape)} as model.json says`);
      }
    }
  }
}
