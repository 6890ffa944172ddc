/**
 * The runtime's `.wasm` through the SDK: onnxruntime-web fetches its wasm
 * itself, from a URL only it (and the bundler that emitted the file) knows.
 * While the runtime starts, the SDK's fetch stands in for that one request:
 * the wasm comes from Cache Storage when a verified copy is there (keyed by
 * the runtime's version and the file name, so an upgrade never runs an old
 * binary), and is otherwise streamed with progress (`onProgress`, `file` the
 * wasm's name) and stored. Every other request passes through untouched.
 */
import { VAESourceError } from '../errors.js';
import { fetchBounded } from '../source/fetch-bounded.js';
import type { LoadProgress } from '../source/types.js';
import { cacheGet, cachePut, runtimeKey } from './cache-store.js';

/** onnxruntime-web's wasm files; a bundler may add a content hash before `.wasm` (Vite: `name-AbCd1234.wasm`). */
const RUNTIME_WASM = /(?:^|\/)(ort-wasm-simd-threaded(?:\.(?:jsep|jspi|asyncify))?)(?:[-.][\w-]{6,})?\.wasm$/;

/** Bounds the runtime wasm: the largest build (JSEP) is about 25 MiB. */
const MAX_RUNTIME_BYTES = 64 << 20;

/** The canonical file name of a runtime wasm URL, or null for any other URL. @internal */
export function runtimeWasmName(url: string): string | null {
  let path: string;
  try {
    path = new URL(url, 'https://x/').pathname;
  } catch {
    return null;
  }
  const m = RUNTIME_WASM.exec(path);
  return m ? `${m[1]}.wasm` : null;
}

/** How the runtime's wasm is fetched during one start. @internal */
export interface RuntimeFetchOptions {
  /** onnxruntime-web's version (`ort.env.versions.web`), part of the cache key. */
  version: string;
  /** Per-load cache switch. */
  cache: boolean;
  onProgress?: (p: LoadProgress) => void;
  timeoutMs?: number;
}

let active = 0;
let original: typeof fetch | undefined;
let current: RuntimeFetchOptions | undefined;
/** The first failed download of the runtime's wasm during the current start(s). */
let failure: VAESourceError | undefined;

async function runtimeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const name = runtimeWasmName(url);
  const o = current;
  if (!name || !o || !original) return (original ?? fetch)(input, init);
  const key = runtimeKey(o.version, name);
  const wasm = (bytes: Uint8Array) => new Response(bytes as BodyInit, { status: 200, headers: { 'content-type': 'application/wasm' } });
  const hit = await cacheGet({ key, maxBytes: MAX_RUNTIME_BYTES, enabled: o.cache });
  if (hit) {
    o.onProgress?.({ file: name, loaded: hit.byteLength, total: hit.byteLength });
    return wasm(hit);
  }
  const got = await fetchBounded(new URL(url, (globalThis as { location?: { href: string } }).location?.href), {
    what: name,
    kind: "onnxruntime-web's wasm",
    maxBytes: MAX_RUNTIME_BYTES,
    bound: 'the 64 MiB cap on the runtime wasm',
    timeoutMs: o.timeoutMs ?? 30_000,
    fetch: original,
    onBytes: o.onProgress && ((loaded, total) => o.onProgress!({ file: name, loaded, total })),
  });
  await cachePut(key, got.bytes, o.cache);
  return wasm(got.bytes);
}

/** The stand-in's fetch, remembering a failure: the runtime turns it into a bare "failed to prepare wasm". */
async function runtimeFetchNoting(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  try {
    return await runtimeFetch(input, init);
  } catch (e) {
    if (e instanceof VAESourceError) failure ??= e;
    throw e;
  }
}

/**
 * Runs `start` (the runtime's first session) with the runtime's wasm fetched
 * as the module comment says; nested and concurrent starts share one stand-in.
 * @internal
 */
export async function withRuntimeFetch<T>(o: RuntimeFetchOptions, start: () => Promise<T>): Promise<T> {
  if (typeof globalThis.fetch !== 'function') return start();
  if (active++ === 0) {
    original = globalThis.fetch;
    failure = undefined;
    globalThis.fetch = runtimeFetchNoting as typeof fetch;
  }
  current = o;
  try {
    return await start();
  } catch (e) {
    // The download's own error (which URL, what was expected) instead of the runtime's generic one.
    throw failure ? new VAESourceError(`onnxruntime-web could not start: ${failure.message}`, { cause: e }) : e;
  } finally {
    if (--active === 0) {
      globalThis.fetch = original!;
      original = undefined;
      current = undefined;
      failure = undefined;
    }
  }
}
