/**
 * `env`: what the SDK detected about the platform, and the runtime settings
 * that are global to a page or process (transformers.js style), set once
 * instead of passed to every `VAE.load`.
 */
import { getBackend } from './backends/registry.js';
import type { Device, WasmOptions } from './backends/types.js';
import type { CacheSettings } from './cache/settings.js';
import { cacheSettings } from './cache/settings.js';
import { VAEInputError } from './errors.js';
import { installedPlatform } from './platform.js';
import { checkCount, describe } from './random.js';

/** Runtime settings for ONNX Runtime, by runtime (as in transformers.js's `env.backends.onnx`). */
export interface SdkBackendsEnv {
  /** ONNX Runtime settings. */
  readonly onnx: {
    /** onnxruntime-web's WebAssembly settings (`ort.env.wasm`): set them before the first `VAE.load`. */
    readonly wasm: WasmOptions;
  };
}

/** Detected platform capabilities and global runtime settings. */
export interface SdkEnv {
  /** `'node'` or `'browser'`, from the entry point that was loaded; `'core'` when only the core is. */
  readonly platform: 'node' | 'browser' | 'core';
  /** ONNX Runtime package behind the SDK here, or null before an entry point installed one. */
  readonly runtime: string | null;
  /** Device names accepted by `VAE.load` on this platform. */
  readonly devices: readonly Device[];
  /**
   * Global runtime settings. `env.backends.onnx.wasm.wasmPaths`, `numThreads`
   * and `proxy` are read when onnxruntime-web starts (the first `VAE.load` on a
   * wasm/webgpu device); changes after that are ignored, because the runtime
   * reads them once.
   */
  readonly backends: SdkBackendsEnv;
  /**
   * Cache Storage for downloaded model graphs (keyed by their sha256) and the
   * runtime's wasm (keyed by onnxruntime-web's version and the file name), so
   * a second visit downloads neither and works offline. Entries are verified
   * (sha256) before use; a corrupt one is dropped and fetched again.
   * `enabled: false` turns it off for the page; `LoadOptions.cache: false`
   * for one load. No effect in Node, which has no Cache API.
   */
  readonly cache: CacheSettings;
  /** Loads the runtime (if needed) and reports what it supports, e.g. which execution providers are bundled. */
  detect(): Promise<Record<string, unknown>>;
}

const tryBackend = () => {
  try {
    return getBackend();
  } catch {
    return null;
  }
};

const wasm: WasmOptions = {};

/**
 * The SDK's view of this platform, and its global runtime settings.
 *
 * @example
 * ```ts
 * import { env, VAE } from '@vae/sdk';
 * env.backends.onnx.wasm.wasmPaths = '/ort/'; // serve onnxruntime-web's .wasm yourself
 * env.backends.onnx.wasm.numThreads = 4;      // needs a cross-origin isolated page
 * env.cache.enabled = false;                  // no Cache Storage: download every visit
 * const vae = await VAE.load();
 * console.log(env.platform, env.devices, await env.detect());
 * ```
 */
export const env: SdkEnv = Object.freeze({
  get platform() {
    return installedPlatform()?.name ?? 'core';
  },
  get runtime() {
    return tryBackend()?.runtime ?? null;
  },
  get devices() {
    return tryBackend()?.devices ?? (['auto'] as const);
  },
  backends: Object.freeze({ onnx: Object.freeze({ wasm }) }),
  cache: cacheSettings,
  async detect() {
    const b = tryBackend();
    return b ? b.capabilities() : { runtime: null };
  },
});

const WASM_KEYS = ['wasmPaths', 'numThreads', 'proxy'] as const;

/**
 * Checks a {@link WasmOptions} object; a {@link VAEInputError} names the key
 * that is wrong and what it should be.
 * @internal
 */
export function checkWasmOptions(w: unknown, where: string): WasmOptions {
  if (w === null || typeof w !== 'object') throw new VAEInputError(`${where} must be an object like { wasmPaths, numThreads, proxy }, got ${describe(w)}`);
  const o = w as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(WASM_KEYS as readonly string[]).includes(k) && o[k] !== undefined) {
      throw new VAEInputError(`${where} has an unknown key ${JSON.stringify(k)}; expected only ${WASM_KEYS.join(', ')}`);
    }
  }
  const p = o.wasmPaths;
  const ref = (v: unknown) => typeof v === 'string' || v instanceof URL;
  if (p !== undefined && !ref(p) && !(typeof p === 'object' && p !== null && Object.values(p).every((v) => v === undefined || ref(v)))) {
    throw new VAEInputError(`${where}.wasmPaths must be a URL prefix (string or URL) or { mjs, wasm } URLs, got ${describe(p)}`);
  }
  if (o.numThreads !== undefined) checkCount(`${where}.numThreads`, o.numThreads, 1024);
  if (o.proxy !== undefined && typeof o.proxy !== 'boolean') throw new VAEInputError(`${where}.proxy must be a boolean, got ${describe(o.proxy)}`);
  return o as WasmOptions;
}

/**
 * A checked copy of `env.backends.onnx.wasm`, for a backend about to start
 * onnxruntime-web.
 * @internal
 */
export function wasmSettings(): WasmOptions {
  return { ...checkWasmOptions(wasm, 'env.backends.onnx.wasm') };
}

/**
 * `LoadOptions.wasm` (deprecated): its keys go into `env.backends.onnx.wasm`,
 * where the runtime reads them.
 * @internal
 */
export function mergeLegacyWasmOptions(w: unknown): void {
  const checked = checkWasmOptions(w, 'wasm');
  for (const k of WASM_KEYS) if (checked[k] !== undefined) (wasm as Record<string, unknown>)[k] = checked[k];
}
