/**
 * Fetching one file with bounds: at most `maxBytes` are ever held (the body is
 * read as a stream and dropped as soon as it passes the bound), an idle timer
 * covers the wait for headers and every gap between chunks, and the caller's
 * signal cancels. Every failure is a {@link VAESourceError} naming the URL and
 * what was expected, never the runtime's bare `TypeError: terminated`.
 */
import { cacheGet, cachePut } from '../cache/cache-store.js';
import { VAESourceError } from '../errors.js';
import { abortedError } from './abort.js';
import { shortUrl } from './resolve-source.js';
import { sha256Hex } from './verify-integrity.js';

/** What to fetch and within which bounds. */
export interface FetchBounds {
  /** Which file, for messages: `model.json`, `encoder.onnx`. */
  what: string;
  /** Most bytes accepted; one more and the read stops. */
  maxBytes: number;
  /** The size the file must have, when known (a graph's size from model.json), for messages and progress. */
  expected?: number;
  /** What `maxBytes` is, for messages: "as model.json declares", "the cap on model.json". */
  bound: string;
  /** Milliseconds without a byte before giving up; `Infinity` never does. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes received so far; called for each chunk. */
  onBytes?: (loaded: number, total: number | undefined) => void;
  /** What the body is, for the HTTP-status message; default `'the model file'`. */
  kind?: string;
  /** The fetch to use; default the global one (the runtime-wasm stand-in passes the real one it replaced). */
  fetch?: typeof fetch;
  /**
   * Cache Storage for this file (see cache/cache-store.ts). `first`: a verified
   * entry under `key` (its sha256 `sha256`) is used without a request, and a
   * download whose sha256 matches is stored. `fallback`: the network first,
   * the last good copy when the request fails (model.json, whose hash nothing
   * records).
   */
  cache?: { key: string; sha256?: string; mode: 'first' | 'fallback'; enabled: boolean };
}

/** The body and the URL it finally came from (after redirects). */
export interface Fetched {
  bytes: Uint8Array;
  url: URL;
}

type Phase = 'headers' | 'body';

const sizeText = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`);

/** GET `url` within `b`, through Cache Storage when `b.cache` says so; see the module comment. */
export async function fetchBounded(url: URL, b: FetchBounds): Promise<Fetched> {
  const c = b.cache;
  if (!c || !/^https?:$/.test(url.protocol)) return fetchNetwork(url, b);
  const lookup = { key: c.key, sha256: c.sha256, maxBytes: b.maxBytes, enabled: c.enabled };
  if (c.mode === 'first') {
    const hit = await cacheGet(lookup);
    if (hit) {
      b.onBytes?.(hit.byteLength, hit.byteLength);
      return { bytes: hit, url };
    }
    const got = await fetchNetwork(url, b);
    // Only bytes that are what model.json says are kept; anything else fails verification after this anyway.
    if (c.sha256 && (await sha256Hex(got.bytes)) === c.sha256) await cachePut(c.key, got.bytes, c.enabled, c.sha256);
    return got;
  }
  try {
    const got = await fetchNetwork(url, b);
    // Not awaited: the copy is only for an offline visit, and the graphs' requests wait on this return.
    void cachePut(c.key, got.bytes, c.enabled);
    return got;
  } catch (e) {
    if (b.signal?.aborted) throw e;
    const hit = await cacheGet(lookup);
    if (!hit) throw e;
    b.onBytes?.(hit.byteLength, hit.byteLength);
    return { bytes: hit, url };
  }
}

async function fetchNetwork(url: URL, b: FetchBounds): Promise<Fetched> {
  const where = shortUrl(url.href);
  const of = `${b.what} from ${where}`;
  if (b.signal?.aborted) throw abortedError(b.signal, of);
  const ac = new AbortController();
  const onAbort = () => ac.abort(b.signal!.reason);
  b.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (!Number.isFinite(b.timeoutMs)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, b.timeoutMs);
  };
  let loaded = 0;
  let done = false;
  const expect = b.expected === undefined ? `${b.what} (at most ${sizeText(b.maxBytes)}, ${b.bound})` : `${b.expected} bytes of ${b.what} (${b.bound})`;
  const fail = (phase: Phase, e: unknown, total: number | undefined): VAESourceError => {
    if (b.signal?.aborted) return abortedError(b.signal, of);
    if (timedOut) {
      return phase === 'headers'
        ? new VAESourceError(`no response from ${where} within ${b.timeoutMs} ms (timeoutMs); expected HTTP headers for ${b.what}`, { cause: e })
        : new VAESourceError(
            `${where} stalled: no bytes for ${b.timeoutMs} ms (timeoutMs) after ${loaded} of ${total ?? 'an unknown number of'} bytes; expected ${expect}`,
            { cause: e },
          );
    }
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
    return phase === 'headers'
      ? new VAESourceError(`could not fetch ${where} (${detail}); expected a reachable URL serving model.json, encoder.onnx and decoder.onnx`, { cause: e })
      : new VAESourceError(`connection to ${where} broke after ${loaded} of ${total ?? 'an unknown number of'} bytes (${detail}); expected ${expect}`, { cause: e });
  };
  try {
    arm();
    let res: Response;
    try {
      res = await (b.fetch ?? fetch)(url, { signal: ac.signal });
    } catch (e) {
      throw fail('headers', e, undefined);
    }
    if (!res.ok) {
      void res.body?.cancel().catch(() => {});
      throw new VAESourceError(`GET ${where} returned HTTP ${res.status}; expected 200 with ${b.kind ?? 'the model file'}`);
    }
    const finalUrl = new URL(res.url || url.href);
    // Content-Length counts encoded bytes; only an unencoded body can be judged by it before reading.
    const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const declared = encoded ? undefined : Number(res.headers.get('content-length') ?? NaN);
    const length = declared !== undefined && Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    if (length !== undefined && length > b.maxBytes) {
      ac.abort();
      throw new VAESourceError(`${where} announces ${length} bytes (Content-Length); expected ${expect}: not read`);
    }
    const total = b.expected ?? length;
    if (!res.body) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        throw fail('body', e, total);
      }
      if (bytes.byteLength > b.maxBytes) throw new VAESourceError(`${where} sent ${bytes.byteLength} bytes; expected ${expect}`);
      b.onBytes?.(bytes.byteLength, total ?? bytes.byteLength);
      done = true;
      return { bytes, url: finalUrl };
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (e) {
        throw fail('body', e, total);
      }
      if (step.done) break;
      arm();
      loaded += step.value.byteLength;
      if (loaded > b.maxBytes) {
        ac.abort();
        void reader.cancel().catch(() => {});
        throw new VAESourceError(`${where} sent more than ${b.maxBytes} bytes; expected ${expect}: stopped reading`);
      }
      chunks.push(step.value);
      b.onBytes?.(loaded, total);
    }
    done = true;
    return { bytes: concat(chunks, loaded), url: finalUrl };
  } finally {
    clearTimeout(timer);
    // Whatever stopped the read (a bound, a throwing onProgress), the connection goes with it.
    if (!done) ac.abort();
    b.signal?.removeEventListener('abort', onAbort);
  }
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const c = chunks[0];
  // A view into a bigger buffer would carry (and, transferred to a worker, detach) bytes that are not the file's.
  if (chunks.length === 1 && c.byteOffset === 0 && c.byteLength === c.buffer.byteLength) return c;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
