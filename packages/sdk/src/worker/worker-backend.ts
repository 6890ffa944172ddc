/**
 * The page's side of the SDK's worker: a {@link Backend} whose sessions live
 * in the worker. The VAE class runs unchanged on top of it (its checks, seeded
 * generator and queue stay on the page and cost microseconds); only
 * `InferenceSession.create`/`run` move off the main thread. Inputs are copied
 * once and the copies transferred, so the caller's arrays (and the latents a
 * result returns) are never detached; outputs come back transferred.
 */
import type { Backend, BackendSession, ConcreteDevice, SessionOptions, WasmOptions } from '../backends/types.js';
import { cacheSettings } from '../cache/settings.js';
import { VAEDeviceError } from '../errors.js';
import { wasmSettings } from '../env.js';
import type { LoadProgress } from '../source/types.js';
import type { CreatedSession, WorkerReply, WorkerRequest } from './protocol.js';
import { fromWire } from './protocol.js';

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
/** A request without its id, which the client assigns. @internal */
export type WorkerCall = Distribute<WorkerRequest>;

/** The part of a `Worker` (or a MessagePort) the client talks through. @internal */
export interface ClientPort {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (ev: { data?: unknown; message?: string }) => void): void;
  start?: () => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onProgress?: (p: LoadProgress) => void;
}

/** Requests to one worker, paired with their replies by id. @internal */
export class WorkerClient {
  readonly #port: ClientPort;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #broken: Error | undefined;

  constructor(port: ClientPort) {
    this.#port = port;
    port.addEventListener('message', (ev) => {
      const r = ev.data as WorkerReply;
      const p = r && this.#pending.get(r.id);
      if (!p) return;
      if ('progress' in r) {
        p.onProgress?.(r.progress);
        return;
      }
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(fromWire(r.error));
    });
    // A worker script that fails to load or throws at the top level: every call in flight, and every later one, fails with why.
    port.addEventListener('error', (ev) => this.#fail(`the SDK's worker (vae-worker.js) failed: ${ev.message ?? 'it could not be loaded'}`));
    port.addEventListener('messageerror', () => this.#fail("a message from the SDK's worker could not be read (structured clone failed)"));
    port.start?.();
  }

  #fail(why: string): void {
    this.#broken = new VAEDeviceError(`${why}; expected the worker to start (see LoadOptions.worker)`);
    for (const p of this.#pending.values()) p.reject(this.#broken);
    this.#pending.clear();
  }

  /** Sends one request; resolves with its value or rejects with the rebuilt error. */
  call(req: WorkerCall, transfer: Transferable[] = [], onProgress?: (p: LoadProgress) => void): Promise<unknown> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      try {
        this.#port.postMessage({ ...req, id }, transfer);
      } catch (e) {
        this.#pending.delete(id);
        reject(e);
      }
    });
  }
}

/** Relative URLs in `env.backends.onnx.wasm.wasmPaths` resolved against the page, since the worker's base URL is its own script's. */
function absoluteWasmPaths(): WasmOptions {
  const w = wasmSettings();
  const base = (globalThis as { document?: { baseURI?: string } }).document?.baseURI;
  const abs = (v: string | URL | undefined) => (v === undefined ? undefined : base ? new URL(String(v), base).href : String(v));
  const p = w.wasmPaths;
  if (p === undefined) return { ...w };
  return { ...w, wasmPaths: typeof p === 'string' || p instanceof URL ? abs(p) : { mjs: abs(p.mjs), wasm: abs(p.wasm) } };
}

/**
 * `base` (the page's own backend, for its device names and auto order) with
 * sessions started and run in the worker behind `client`.
 * @internal
 */
export function workerBackend(base: Backend, client: WorkerClient): Backend {
  async function createSession(model: Uint8Array, device: ConcreteDevice, options: SessionOptions): Promise<BackendSession> {
    // The caller keeps its bytes (a shipped model is read once per page and reused): the worker gets a copy.
    const copy = model.slice();
    const created = (await client.call(
      { op: 'create', device, model: copy, threads: options.threads, wasm: absoluteWasmPaths(), cache: { ...cacheSettings }, progress: Boolean(options.onProgress) },
      [copy.buffer],
      options.onProgress,
    )) as CreatedSession;
    let released = false;
    return {
      inputs: created.inputs,
      outputs: created.outputs,
      async run(input, data, dims, fetches, extra = []) {
        const mine = data.slice();
        const feeds = extra.map((f) => ({ name: f.name, data: f.data.slice(), dims: [...f.dims] }));
        const transfer = [mine.buffer, ...feeds.map((f) => f.data.buffer)];
        return (await client.call({ op: 'run', session: created.session, input, data: mine, dims: [...dims], fetches: [...fetches], extra: feeds }, transfer)) as Record<
          string,
          Float32Array
        >;
      },
      async release() {
        if (released) return;
        released = true;
        await client.call({ op: 'release', session: created.session });
      },
    };
  }
  return Object.freeze({
    ...base,
    runtime: base.runtime,
    precheck: (device: ConcreteDevice) => client.call({ op: 'precheck', device }) as Promise<string | null>,
    createSession,
    capabilities: () => client.call({ op: 'capabilities' }) as Promise<Record<string, unknown>>,
  });
}
