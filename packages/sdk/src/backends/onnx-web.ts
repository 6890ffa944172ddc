/**
 * The only module that imports `onnxruntime-web`. Loaded lazily so that a page
 * pays for the runtime only when it loads a model.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { wrapSession } from './session-adapter.js';
import type { Backend, BackendSession, ConcreteDevice, SessionOptions } from './types.js';

type Ort = typeof OrtWeb;
let ortPromise: Promise<Ort> | undefined;

function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web').then((m) => ((m as { default?: Ort }).default?.InferenceSession ? (m as { default: Ort }).default : m));
  return ortPromise;
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
  const ort = await loadOrt();
  // numThreads is process-wide in onnxruntime-web and only read before the
  // first session starts; threads > 1 also need cross-origin isolation.
  if (options.threads) ort.env.wasm.numThreads = options.threads;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  return wrapSession(ort as never, session as never);
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
