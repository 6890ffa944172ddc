/**
 * The only module that imports `onnxruntime-web`, lazily, so that a page pays
 * for the runtime only when it loads a model, and only for the build it needs:
 *
 * - `wasm` loads `onnxruntime-web/wasm` (CPU kernels only; its `.wasm` is
 *   about half the size of the full build's, which also carries JSEP/WebGPU);
 * - `webgpu` loads the full `onnxruntime-web`.
 *
 * Once the full build is loaded, `wasm` runs on it too (its wasm execution
 * provider is the same code), so a webgpu → wasm fallback or switch never
 * downloads a second runtime. Only a wasm → webgpu switch does.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { wrapSession } from './session-adapter.js';
import { withRuntimeFetch } from '../cache/runtime-fetch.js';
import { wasmSettings } from '../env.js';
import { executionProvidersFor } from './registry.js';
import type { Backend, BackendSession, ConcreteDevice, SessionOptions } from './types.js';

type Ort = typeof OrtWeb;

const unwrap = (m: unknown): Ort => ((m as { default?: Ort }).default?.InferenceSession ? (m as { default: Ort }).default : (m as Ort));

let fullPromise: Promise<Ort> | undefined;
let wasmPromise: Promise<Ort> | undefined;
/** The full build, once it has loaded. */
let fullLoaded: Ort | undefined;

/** The runtime build for a device: the full one for webgpu; for wasm, the full one if already loaded, else the wasm-only one. */
function loadOrt(device: ConcreteDevice): Promise<Ort> {
  if (device === 'webgpu') {
    fullPromise ??= import('onnxruntime-web').then(unwrap).then((ort) => (fullLoaded = ort));
    return fullPromise;
  }
  if (fullLoaded) return Promise.resolve(fullLoaded);
  wasmPromise ??= import('onnxruntime-web/wasm').then(unwrap);
  return wasmPromise;
}

/** Builds whose `env.wasm` has been set; the runtime reads it once, before its first session. */
const configured = new WeakSet<object>();

/**
 * Copies `env.backends.onnx.wasm` into a runtime build's `ort.env.wasm`, once
 * per build (the runtime reads it when its first session starts). Shared with
 * the Node entry's onnxruntime-web fallback.
 * @internal
 */
export function configureWasm(ort: { env: { wasm: Record<string, unknown> } }, options: SessionOptions): void {
  if (configured.has(ort.env)) return;
  const w = wasmSettings();
  configured.add(ort.env);
  const threads = w.numThreads ?? options.threads;
  // numThreads > 1 also needs cross-origin isolation; the runtime drops to 1 without it.
  if (threads) ort.env.wasm.numThreads = threads;
  if (w.proxy !== undefined) ort.env.wasm.proxy = w.proxy;
  if (w.wasmPaths !== undefined) ort.env.wasm.wasmPaths = w.wasmPaths instanceof URL ? w.wasmPaths.href : w.wasmPaths;
}

type GpuNavigator = { gpu?: { requestAdapter(): Promise<unknown> } };

async function precheck(device: ConcreteDevice): Promise<string | null> {
  if (device === 'cpu' || device === 'cuda') return `'${device}' is a Node device; in browsers use 'wasm' or 'webgpu'`;
  if (device === 'webgpu') {
    const nav = (globalThis as { navigator?: GpuNavigator }).navigator;
    if (!nav?.gpu) return 'navigator.gpu is missing: this browser has no WebGPU (or the page is not a secure context)';
    try {
      if (!(await nav.gpu.requestAdapter())) return 'navigator.gpu.requestAdapter() returned null: no usable GPU adapter';
    } catch (e) {
      return `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`;
    }
  }
  return null;
}

// onnxruntime-web initialises its WASM/WebGPU runtime on the first create;
// creating sessions one at a time keeps that initialisation single.
let creating: Promise<unknown> = Promise.resolve();

function createSession(model: Uint8Array, device: ConcreteDevice, options: SessionOptions): Promise<BackendSession> {
  const next = creating.then(() => createSessionNow(model, device, options));
  creating = next.catch(() => {});
  return next;
}

async function createSessionNow(model: Uint8Array, device: ConcreteDevice, options: SessionOptions): Promise<BackendSession> {
  const ort = await loadOrt(device);
  configureWasm(ort as never, options);
  // With the proxy on, the runtime transfers (detaches) the ArrayBuffer behind
  // the model and behind every input tensor to its worker: the caller's arrays,
  // the shipped model's bytes kept for the next load, or the rest of a batch
  // split into views of one buffer would be emptied. The runtime gets its own
  // copies; a copy of a view is exactly the view's bytes.
  const proxied = ort.env.wasm.proxy === true;
  // The runtime's wasm, fetched while the first session starts, goes through Cache Storage and onProgress.
  const runtimeFetch = { version: ort.env.versions?.web ?? 'unknown', cache: options.cache ?? true, onProgress: options.onProgress };
  const session = await withRuntimeFetch(runtimeFetch, () =>
    ort.InferenceSession.create(proxied ? model.slice() : model, {
      executionProviders: executionProvidersFor(device) as never,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    }),
  );
  const wrapped = wrapSession(ort as never, session as never);
  const run: BackendSession['run'] = proxied
    ? (input, data, dims, fetches, extra) => wrapped.run(input, data.slice(), dims, fetches, extra?.map((f) => ({ ...f, data: f.data.slice() })))
    : wrapped.run;
  return { ...wrapped, run: (...args) => oneAtATime(() => run(...args)) };
}

// onnxruntime-web runs one session at a time per page: its WebGPU backend
// throws "Session already started" when a second session runs before the
// first has finished. Each VAE queues its own calls; this queues the runs of
// every session, so two models (the demo's mnist and mnist-cvae) can be used at once.
let running: Promise<unknown> = Promise.resolve();

function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  const next = running.then(task);
  running = next.catch(() => {});
  return next;
}

/** The browser backend: `webgpu` when the browser has an adapter, else `wasm`. */
export const webBackend: Backend = Object.freeze({
  runtime: 'onnxruntime-web',
  devices: Object.freeze(['auto', 'wasm', 'webgpu'] as const),
  autoOrder: Object.freeze(['webgpu', 'wasm'] as const),
  precheck,
  createSession,
  async capabilities() {
    const nav = (globalThis as { navigator?: GpuNavigator & { hardwareConcurrency?: number } }).navigator;
    return {
      runtime: 'onnxruntime-web',
      webgpu: Boolean(nav?.gpu),
      crossOriginIsolated: Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated),
      hardwareConcurrency: nav?.hardwareConcurrency,
    };
  },
});
