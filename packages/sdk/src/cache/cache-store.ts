/**
 * Model graphs and runtime wasm in Cache Storage, so that a second visit
 * downloads nothing and works offline. Every entry carries the sha256 of its
 * bytes and is verified before use: a corrupt or truncated entry is dropped
 * and the file is fetched again. Where there is no Cache API (Node, an
 * insecure context) or it fails (quota, private mode), every call here is a
 * miss and loading goes to the network as before.
 */
import { sha256Hex } from '../source/verify-integrity.js';
import { cacheSettings } from './settings.js';

/** Keys are URLs under this origin, which is never fetched: the key says what the bytes are, not where they came from. */
export const CACHE_KEY_ORIGIN = 'https://vae-sdk.cache/';

const SHA_HEADER = 'x-vae-sha256';
const BYTES_HEADER = 'x-vae-bytes';

/** The cache key of a model graph: its sha256 from model.json, so one graph served from two URLs is one entry. @internal */
export const graphKey = (sha256: string): string => `${CACHE_KEY_ORIGIN}graph/${sha256}`;

/** The cache key of a runtime file: the runtime's version and the file's name. @internal */
export const runtimeKey = (version: string, file: string): string => `${CACHE_KEY_ORIGIN}onnxruntime-web@${version}/${file}`;

/** The cache key of a model.json, kept as the fallback when its URL cannot be fetched. @internal */
export const manifestKey = (url: string): string => `${CACHE_KEY_ORIGIN}manifest/${encodeURIComponent(url)}`;

// One open per storage and name: a fresh profile's first open took 36–108 ms
// (bench:web traces), and {@link openCacheEarly} lets it overlap model.json's download.
let opened: { storage: CacheStorage; name: string; cache: Promise<Cache | null> } | undefined;

/** The open cache, or null where there is none or it is switched off. */
function open(enabled: boolean): Promise<Cache | null> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!enabled || !cacheSettings.enabled || !storage) return Promise.resolve(null);
  if (opened?.storage !== storage || opened.name !== cacheSettings.name) {
    opened = { storage, name: cacheSettings.name, cache: storage.open(cacheSettings.name).catch(() => null) };
  }
  return opened.cache;
}

/** Starts opening the cache (a load's first step), so that its first lookup does not wait for it. @internal */
export function openCacheEarly(enabled: boolean): void {
  void open(enabled);
}

/** What a lookup needs to trust an entry. @internal */
export interface CacheLookup {
  /** The entry's key. */
  key: string;
  /** The sha256 the bytes must have; omitted: the one stored with the entry. */
  sha256?: string;
  /** Most bytes accepted; a larger entry is dropped. */
  maxBytes: number;
  /** Per-load switch (`LoadOptions.cache`). */
  enabled: boolean;
}

/**
 * The verified bytes under `key`, or null: a miss, no cache, or an entry that
 * failed verification (then it is deleted, so the caller's refetch replaces it).
 * @internal
 */
export async function cacheGet(l: CacheLookup): Promise<Uint8Array | null> {
  const cache = await open(l.enabled);
  if (!cache) return null;
  try {
    const res = await cache.match(l.key);
    if (!res) return null;
    const want = l.sha256 ?? res.headers.get(SHA_HEADER);
    const length = Number(res.headers.get(BYTES_HEADER));
    if (want && Number.isFinite(length) && length > 0 && length <= l.maxBytes) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.byteLength <= l.maxBytes && (await sha256Hex(bytes)) === want) return bytes;
    }
    await cache.delete(l.key);
    return null;
  } catch {
    return null;
  }
}

/**
 * Stores `bytes` under `key` with their sha256 (`sha256` when the caller has
 * verified it already). Failures (quota) are ignored: the cache is an
 * optimisation, never a reason for a load to fail.
 * @internal
 */
export async function cachePut(key: string, bytes: Uint8Array, enabled: boolean, sha256?: string): Promise<void> {
  const cache = await open(enabled);
  if (!cache) return;
  try {
    const sha = sha256 ?? (await sha256Hex(bytes));
    await cache.put(
      key,
      new Response(bytes as BodyInit, { headers: { 'content-type': 'application/octet-stream', [BYTES_HEADER]: String(bytes.byteLength), [SHA_HEADER]: sha } }),
    );
  } catch {
    // A full or unavailable cache only costs the next visit a download.
  }
}
