/**
 * The only module that imports `onnxruntime-web`, lazily, so that a page pays
 * for the runtime only when it loads a model, and only for the build it needs:
 *
 * - `wasm` loads `onnxruntime-web/wasm` (CPU kernels only; its `.wasm` is
 *   about half the size of the full build's, which also carries JSEP/WebGPU);
 * - `webgpu` loads the full `onnxruntime-web`;
 * - `webgl` loads `onnxruntime-web/webgl` (about 100 KB gzip and no `.wasm`
 *   at all: the lightest runtime, in maintenance mode upstream). It has no
 *   DequantizeLinear (int8) and no float16 tensors, so int8 and fp16 graphs
 *   reach it with their weights widened to float32 (onnx-rewrite.ts).
 *
 * Once the full build is loaded, `wasm` runs on it too (its wasm execution
 * provider is the same code), so a webgpu → wasm fallback or switch never
 * downloads a second runtime. Only a wasm → webgpu switch does.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { wrapSession } from './session-adapter.js';
import type { WebglOrtSession } from './webgl-session.js';
import { webglSession } from './webgl-session.js';
import { wasmSettings } from '../env.js';
import { executionProvidersFor } from './registry.js';
import type { Backend, BackendSession, ConcreteDevice, SessionOptions } from './types.js';

type Ort = typeof OrtWeb;

const unwrap = (m: unknown): Ort => ((m as { default?: Ort }).default?.InferenceSession ? (m as { default: Ort }).default : (m as Ort));

let fullPromise: Promise<Ort> | undefined;
let webglPromise: Promise<Ort> | undefined;
let wasmPromise: Promise<Ort> | undefined;
/** The full build, once it has loaded. */
let fullLoaded: Ort | undefined;

/** The runtime build for a device: the full one for webgpu; for wasm, the full one if already loaded, else the wasm-only one. */
function loadOrt(device: ConcreteDevice): Promise<Ort> {
  if (device === 'webgl') {
    webglPromise ??= import('onnxruntime-web/webgl').then(unwrap);
    return webglPromise;
  }
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

type Gl = { getExtension(n: string): { UNMASKED_RENDERER_WEBGL: number } | null; getParameter(p: number): unknown; RENDERER: number };

/** A new WebGL2 context (on an OffscreenCanvas where there is one, e.g. in a worker), or null. */
function webgl2(): Gl | null | undefined {
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(k: 'webgl2'): unknown }; document?: { createElement(t: 'canvas'): { getContext(k: 'webgl2'): unknown } } };
  return (g.OffscreenCanvas ? new g.OffscreenCanvas(1, 1) : g.document?.createElement('canvas'))?.getContext('webgl2') as Gl | null | undefined;
}

async function precheck(device: ConcreteDevice): Promise<string | null> {
  if (device === 'cpu' || device === 'cuda') return `'${device}' is a Node device; in browsers use 'wasm', 'webgpu' or 'webgl'`;
  if (device === 'webgl') {
    try {
      if (!webgl2()) return 'no WebGL2 context: this browser (or its GPU settings) has no WebGL2';
    } catch (e) {
      return `creating a WebGL2 context failed: ${(e as Error).message}`;
    }
  }
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

/** What WebGPU runs right: int8 came out wrong (test/browser/webgl-dtype.test.ts, Chromium on SwiftShader), fp32 and fp16 within 1e-5 of cpu. */
const WEBGPU_DTYPES = Object.freeze(['fp32', 'fp16'] as const);

/** A WebGL renderer that is the CPU, not a GPU (ANGLE's SwiftShader, Mesa's llvmpipe, Windows' Basic Render Driver). */
export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|basic render driver|software/i;

/**
 * `auto` passes over webgl when WebGL2 renders on the CPU: there it decoded
 * 80 digits/s at batch 64 against wasm's 1,600 (pnpm bench:web, SwiftShader),
 * though its first grid came sooner, having 3.5 MB less to download. A
 * renderer the browser does not name counts as a GPU.
 */
async function autoSkip(device: ConcreteDevice): Promise<string | null> {
  if (device !== 'webgl') return null;
  try {
    const gl = webgl2();
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl ? gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : '');
    return SOFTWARE_RENDERER.test(renderer) ? `WebGL2 renders on the CPU here (${renderer.slice(0, 120)}): it decodes 20× slower than wasm; pass { device: 'webgl' } to use it` : null;
  } catch {
    return null;
  }
}

const noop = () => {};

/**
 * Fetches a device's runtime build (and WebGL's graph rewriter) at once; the
 * function it returns wakes the driver: precheck creates a WebGL2 context or
 * requests a WebGPU adapter, and a page's first WebGL2 context takes
 * 0.1–0.6 s on SwiftShader, during which the page cannot even send a request.
 */
function preload(device: ConcreteDevice): () => void {
  if (device === 'webgl') import('./onnx-rewrite.js').catch(noop);
  const ort = loadOrt(device);
  let woken: unknown;
  return () => {
    woken ??= ort.then(() => precheck(device)).catch(noop);
  };
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
  if (device === 'webgl') {
    // The WebGL build has no DequantizeLinear and no float16 tensors: the int8
    // and fp16 variants are widened to float32 here, after the (small) download.
    // A chunk of its own, fetched beside the runtime: wasm pages never load it.
    const [ort, { rewriteForWebgl }] = await Promise.all([loadOrt(device), import('./onnx-rewrite.js')]);
    const graph = rewriteForWebgl(model);
    // Unpacked (one float per texel) shaders: the same speed as packed ones
    // here once compiled, and 0.2–0.7 s less compiling on a first run (SwiftShader, a one-off page,
    // mnist decoder at batch 1, 16 and 64). Read once, before the first session.
    ort.env.webgl.pack = false;
    const create = () => ort.InferenceSession.create(graph, { executionProviders: executionProvidersFor(device) as never }) as unknown as Promise<WebglOrtSession>;
    const wrapped = webglSession(ort as never, await create(), create);
    return { ...wrapped, run: (...args) => oneAtATime(() => wrapped.run(...args)) };
  }
  const [ort, { withRuntimeFetch }] = await Promise.all([loadOrt(device), import('../cache/runtime-fetch.js')]);
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

/** What `auto` does in browsers, for `vae.info.deviceReason`. */
export const WEB_AUTO_RULE =
  'int8 runs on webgl where WebGL2 is on a GPU (no .wasm: 0.52 MB gzip to a first grid against 4.05 MB on wasm, pnpm bench:web), not on a CPU renderer (20× slower than wasm); other precisions on webgpu when there is an adapter, else wasm';

/** `auto`'s order for a model of precision `dtype` ({@link WEB_AUTO_RULE}). */
const autoOrderFor = (dtype: string | undefined): readonly ConcreteDevice[] => (dtype === 'int8' ? INT8_AUTO_ORDER : AUTO_ORDER);
const AUTO_ORDER = Object.freeze(['webgpu', 'wasm'] as const);
const INT8_AUTO_ORDER = Object.freeze(['webgl', 'webgpu', 'wasm'] as const);

/**
 * The browser backend. `auto` follows {@link WEB_AUTO_RULE}: webgl first for
 * an int8 model, else webgpu, then wasm; `webgl` runs every precision (int8
 * and fp16 widened to float32 on the client).
 */
export const webBackend: Backend = Object.freeze({
  runtime: 'onnxruntime-web',
  devices: Object.freeze(['auto', 'wasm', 'webgpu', 'webgl'] as const),
  autoOrder: AUTO_ORDER,
  autoOrderFor,
  autoRule: WEB_AUTO_RULE,
  dtypesFor: (device: ConcreteDevice) => (device === 'webgpu' ? WEBGPU_DTYPES : undefined),
  dtypeLimit: (device: ConcreteDevice) =>
    device === 'webgpu' ? "onnxruntime-web 1.30's WebGPU DequantizeLinear gave wrong int8 results (max |Δ| 0.99 against cpu), so it is not used" : undefined,
  precheck,
  autoSkip,
  preload,
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
