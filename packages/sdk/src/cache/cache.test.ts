/**
 * Cache Storage logic in Node, on an in-memory CacheStorage (Node has none):
 * graphs by sha256 (verified on every read, a corrupt entry dropped and
 * refetched), the runtime wasm stand-in (only its URL is intercepted, progress
 * reported, the global fetch restored), and the switches. The browser test
 * (test/browser/cache.test.ts) runs the same code against Chromium's.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VAEInputError, VAESourceError } from '../errors.js';
import { env } from '../env.js';
import { fetchBounded } from '../source/fetch-bounded.js';
import { graphKey, manifestKey, runtimeKey } from './cache-store.js';
import { runtimeWasmName, withRuntimeFetch } from './runtime-fetch.js';
import { checkCacheSettings } from './settings.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** An in-memory CacheStorage with what the SDK uses: open, match, put, delete, keys. */
function memoryCaches() {
  const stores = new Map<string, Map<string, Response>>();
  const storage = {
    async open(name: string) {
      const m = stores.get(name) ?? new Map<string, Response>();
      stores.set(name, m);
      return {
        async match(k: string) {
          return m.get(k)?.clone();
        },
        async put(k: string, r: Response) {
          m.set(k, new Response(await r.arrayBuffer(), { headers: r.headers }));
        },
        async delete(k: string) {
          return m.delete(k);
        },
        async keys() {
          return [...m.keys()].map((url) => ({ url }));
        },
      };
    },
  };
  return { storage, stores };
}

let mem: ReturnType<typeof memoryCaches>;
const realFetch = globalThis.fetch;
beforeEach(() => {
  mem = memoryCaches();
  (globalThis as { caches?: unknown }).caches = mem.storage;
  env.cache.enabled = true;
  env.cache.name = 'vae-sdk-v1';
});
afterEach(() => {
  delete (globalThis as { caches?: unknown }).caches;
  globalThis.fetch = realFetch;
  env.cache.enabled = true;
});

/** A fetch that serves `body` and counts its calls. */
function serving(body: Uint8Array) {
  const calls: string[] = [];
  const f = (async (u: RequestInfo | URL) => {
    calls.push(String(u));
    return new Response(body.slice(), { status: 200, headers: { 'content-length': String(body.length) } });
  }) as typeof fetch;
  return { f, calls };
}

const graph = new Uint8Array(1000).map((_, i) => (i * 7) & 255);
const bounds = (f: typeof fetch, enabled = true) => ({
  what: 'decoder.onnx',
  maxBytes: graph.length,
  expected: graph.length,
  bound: 'as model.json declares',
  timeoutMs: 5000,
  fetch: f,
  cache: { key: graphKey(sha(graph)), sha256: sha(graph), mode: 'first' as const, enabled },
});

describe('graphs in Cache Storage', () => {
  it('are fetched once, then served from the cache without a request', async () => {
    const net = serving(graph);
    const url = new URL('https://example.test/m/decoder.onnx');
    const a = await fetchBounded(url, bounds(net.f));
    const b = await fetchBounded(url, bounds(net.f));
    expect(net.calls).toEqual([url.href]);
    expect(Array.from(b.bytes)).toEqual(Array.from(graph));
    expect(Array.from(a.bytes)).toEqual(Array.from(graph));
    expect([...mem.stores.get('vae-sdk-v1')!.keys()]).toEqual([`https://vae-sdk.cache/graph/${sha(graph)}`]);
  });

  it('drop an entry whose sha256 is wrong and fetch the file again', async () => {
    const net = serving(graph);
    const url = new URL('https://example.test/m/decoder.onnx');
    await fetchBounded(url, bounds(net.f));
    const store = mem.stores.get('vae-sdk-v1')!;
    const key = graphKey(sha(graph));
    const bad = graph.slice();
    bad[500] ^= 1;
    store.set(key, new Response(bad, { headers: store.get(key)!.headers }));
    const got = await fetchBounded(url, bounds(net.f));
    expect(net.calls.length).toBe(2);
    expect(Array.from(got.bytes)).toEqual(Array.from(graph));
    expect(new Uint8Array(await store.get(key)!.clone().arrayBuffer())[500]).toBe(graph[500]);
  });

  it('are never stored when the download is not what model.json says', async () => {
    const other = graph.map((v) => v ^ 1);
    await fetchBounded(new URL('https://example.test/m/decoder.onnx'), bounds(serving(other).f));
    expect([...(mem.stores.get('vae-sdk-v1')?.keys() ?? [])]).toEqual([]);
  });

  it('are neither read nor stored with LoadOptions.cache false or env.cache.enabled false', async () => {
    const net = serving(graph);
    const url = new URL('https://example.test/m/decoder.onnx');
    await fetchBounded(url, bounds(net.f, false));
    env.cache.enabled = false;
    await fetchBounded(url, bounds(net.f));
    expect(net.calls.length).toBe(2);
    expect([...(mem.stores.get('vae-sdk-v1')?.keys() ?? [])]).toEqual([]);
  });
});

describe('Cache Storage itself', () => {
  it('is opened once for model.json and the graphs, and model.json\'s offline copy is stored without holding up the load', async () => {
    let opens = 0;
    const open = mem.storage.open.bind(mem.storage);
    mem.storage.open = async (name: string) => (opens++, open(name));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = mem.storage.open;
    // model.json's put waits at the gate: fetchBounded must return before it finishes.
    mem.storage.open = async (name: string) => {
      const c = await store(name);
      return { ...c, put: async (k: string, r: Response) => (await gate, c.put(k, r)) };
    };
    const manifest = new TextEncoder().encode('{"format":"x"}');
    const url = new URL('https://example.test/m/model.json');
    const got = await fetchBounded(url, { what: 'model.json', maxBytes: 1 << 20, bound: 'the cap', timeoutMs: 5000, fetch: serving(manifest).f, cache: { key: manifestKey(url.href), mode: 'fallback', enabled: true } });
    expect(Array.from(got.bytes)).toEqual(Array.from(manifest));
    expect(mem.stores.get('vae-sdk-v1')?.has(manifestKey(url.href)) ?? false).toBe(false);
    release();
    await fetchBounded(new URL('https://example.test/m/decoder.onnx'), bounds(serving(graph).f));
    expect(mem.stores.get('vae-sdk-v1')!.has(manifestKey(url.href))).toBe(true);
    expect(opens).toBe(1);
  });
});

describe("the runtime's wasm", () => {
  it('is recognised by file name, with or without a bundler hash, and nothing else is', () => {
    expect(runtimeWasmName('https://a.test/assets/ort-wasm-simd-threaded-BrsoyCZE.wasm')).toBe('ort-wasm-simd-threaded.wasm');
    expect(runtimeWasmName('https://a.test/x/ort-wasm-simd-threaded.jsep.wasm')).toBe('ort-wasm-simd-threaded.jsep.wasm');
    expect(runtimeWasmName('/assets/ort-wasm-simd-threaded.jsep-Dq3x_9aZ.wasm')).toBe('ort-wasm-simd-threaded.jsep.wasm');
    expect(runtimeWasmName('https://a.test/my-app.wasm')).toBeNull();
    expect(runtimeWasmName('https://a.test/decoder.onnx')).toBeNull();
  });

  it('is fetched through the cache while the runtime starts, with progress; other requests and the global fetch are untouched', async () => {
    const wasm = new Uint8Array(4096).map((_, i) => i & 255);
    const net = serving(wasm);
    globalThis.fetch = net.f;
    const progress: unknown[] = [];
    const url = 'https://a.test/assets/ort-wasm-simd-threaded-BrsoyCZE.wasm';
    const start = async () => {
      const r = await fetch(url);
      expect(r.headers.get('content-type')).toBe('application/wasm');
      await fetch('https://a.test/other.json');
      return new Uint8Array(await r.arrayBuffer());
    };
    const o = { version: '1.30.0', cache: true, onProgress: (p: unknown) => progress.push(p) };
    const first = await withRuntimeFetch(o, start);
    expect(globalThis.fetch).toBe(net.f);
    const second = await withRuntimeFetch(o, start);
    expect(Array.from(first)).toEqual(Array.from(wasm));
    expect(Array.from(second)).toEqual(Array.from(wasm));
    // The wasm once (the second start read the cache), other.json both times.
    expect(net.calls).toEqual([url, 'https://a.test/other.json', 'https://a.test/other.json']);
    expect(progress.at(-1)).toEqual({ file: 'ort-wasm-simd-threaded.wasm', loaded: 4096, total: 4096 });
    expect([...mem.stores.get('vae-sdk-v1')!.keys()]).toEqual([runtimeKey('1.30.0', 'ort-wasm-simd-threaded.wasm')]);
    // Another runtime version is another entry: an upgrade never runs the old binary.
    await withRuntimeFetch({ ...o, version: '1.31.0' }, start);
    expect(net.calls.filter((c) => c === url).length).toBe(2);
  });
});

describe('env.cache', () => {
  it('is checked: a wrong enabled or name is a VAEInputError naming the key', () => {
    expect(() => checkCacheSettings({ enabled: 'yes', name: 'x' })).toThrow(new VAEInputError('env.cache.enabled must be a boolean (true or false), got "yes"'));
    expect(() => checkCacheSettings({ enabled: true, name: '' })).toThrow(new VAEInputError('env.cache.name must be a non-empty string of at most 256 characters, got ""'));
    expect(() => checkCacheSettings({ enabled: 1, name: 'x' })).toThrow(VAEInputError);
    expect(env.cache).toEqual({ enabled: true, name: 'vae-sdk-v1' });
  });
});

describe('VAE.load', () => {
  it('rejects a wrong env.cache before reading anything, naming the key', async () => {
    const { VAE } = await import('../node.js');
    (env.cache as { enabled: unknown }).enabled = 'no';
    const err = await VAE.load('/nonexistent-folder').catch((e) => e);
    expect(err).toBeInstanceOf(VAEInputError);
    expect(err.message).toBe('env.cache.enabled must be a boolean (true or false), got "no"');
  });
});

describe("a runtime wasm that can't be downloaded", () => {
  it('fails the start with a VAESourceError naming the file and the HTTP status, not the runtime’s generic error', async () => {
    globalThis.fetch = (async () => new Response('refused', { status: 503 })) as typeof fetch;
    const start = async () => {
      // As onnxruntime-web does: the download fails, and it reports its own message.
      await fetch('https://a.test/assets/ort-wasm-simd-threaded-BrsoyCZE.wasm').catch(() => {});
      throw new Error('no available backend found. ERR: [wasm] RuntimeError: Aborted(both async and sync fetching of the wasm failed)');
    };
    const err = await withRuntimeFetch({ version: '1.30.0', cache: true }, start).catch((e) => e);
    expect(err).toBeInstanceOf(VAESourceError);
    expect(err.message).toBe(
      "onnxruntime-web could not start: GET https://a.test/assets/ort-wasm-simd-threaded-BrsoyCZE.wasm returned HTTP 503; expected 200 with onnxruntime-web's wasm",
    );
  });
});
