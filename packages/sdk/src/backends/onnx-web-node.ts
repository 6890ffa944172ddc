/**
 * onnxruntime-web's Node build (`ort.node.min.js`, wasm only) as the Node
 * entry's device `wasm`: what runs when onnxruntime-node, an optional
 * dependency, is missing or failed to install. Loaded lazily and only then.
 *
 * It finds its `.wasm` next to its own module in `node_modules`, so unlike in
 * a browser no `wasmPaths` is needed; `env.backends.onnx.wasm` still applies.
 */
import { createRequire } from 'node:module';
import type * as OrtWeb from 'onnxruntime-web';
import { configureWasm } from './onnx-web.js';
import { executionProvidersFor } from './registry.js';
import { wrapSession } from './session-adapter.js';
import type { BackendSession, SessionOptions } from './types.js';

type Ort = typeof OrtWeb;

let ortPromise: Promise<Ort> | undefined;

/** `require` resolves onnxruntime-web's `node` export (the ESM and CJS builds both load the same CJS file). */
function loadOrt(): Promise<Ort> {
  ortPromise ??= new Promise<Ort>((resolve) => resolve(createRequire(import.meta.url)('onnxruntime-web') as Ort));
  return ortPromise;
}

/** The onnxruntime-web fallback of the Node backend. @internal */
export const wasmFallback = Object.freeze({
  runtime: 'onnxruntime-web',
  /** Why `wasm` can't start in Node (onnxruntime-web missing too), or null. */
  async precheck(): Promise<string | null> {
    try {
      await loadOrt();
      return null;
    } catch (e) {
      return `onnxruntime-web failed to load in Node: ${(e as Error).message.split('\n')[0]}; reinstall @vae/sdk`;
    }
  },
  createSession(model: Uint8Array, options: SessionOptions): Promise<BackendSession> {
    // One at a time, as in browsers: the runtime initialises on the first create.
    const next = creating.then(() => createSessionNow(model, options));
    creating = next.catch(() => {});
    return next;
  },
});

let creating: Promise<unknown> = Promise.resolve();

async function createSessionNow(model: Uint8Array, options: SessionOptions): Promise<BackendSession> {
  const ort = await loadOrt();
  configureWasm(ort as never, options);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: executionProvidersFor('wasm') as never,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  return wrapSession(ort as never, session as never);
}
