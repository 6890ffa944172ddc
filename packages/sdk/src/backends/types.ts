/**
 * The contract between the platform-free core and a platform's ONNX Runtime
 * binding. Only `onnx-node.ts` and `onnx-web.ts` know which runtime is behind it.
 */
import type { LoadProgress } from '../source/types.js';

/** Devices a user can ask for. `auto` picks the best one that starts. */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'wasm' | 'webgl';

/** A concrete device (everything but `auto`). */
export type ConcreteDevice = Exclude<Device, 'auto'>;

/** Name, element type and (possibly symbolic) shape of a graph input or output. */
export interface ValueMeta {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

/**
 * onnxruntime-web's WebAssembly settings (`ort.env.wasm`), held in
 * `env.backends.onnx.wasm`. They are global to the page (or process) and read
 * once per runtime build, when its first session starts; later changes are
 * ignored. They apply to browsers and to the Node entry's onnxruntime-web
 * fallback; onnxruntime-node ignores them.
 */
export interface WasmOptions {
  /**
   * Where the runtime's `.wasm`/`.mjs` files are served: a URL prefix ending in
   * `/` (e.g. `'/ort/'`) or one URL per file. Default: next to onnxruntime-web's
   * own module, which bundlers emit as assets (`ort.env.wasm.wasmPaths`).
   */
  wasmPaths?: string | URL | { mjs?: string | URL; wasm?: string | URL };
  /** WASM threads (`ort.env.wasm.numThreads`); > 1 needs a cross-origin isolated page. Default: `LoadOptions.threads`, else the runtime's. */
  numThreads?: number;
  /** Run the runtime in a Web Worker so inference never blocks the page (`ort.env.wasm.proxy`). Default false. */
  proxy?: boolean;
}

/** One entry of `executionProviders` for `InferenceSession.create`: a provider name and its options. */
export interface ExecutionProviderConfig {
  /** ONNX Runtime's provider name (`cpu`, `cuda`, `webgpu`, `wasm`). */
  readonly name: string;
  /** Provider options, e.g. WebGPU's `preferredLayout`. */
  readonly [option: string]: unknown;
}

/** Options a backend needs to start a session. */
export interface SessionOptions {
  /** Intra-op threads (Node) or WASM threads (browser, unless `env.backends.onnx.wasm.numThreads` is set); undefined = runtime default. */
  threads?: number;
  /** Download progress of the runtime's own files (its `.wasm`), reported like the model's (`LoadOptions.onProgress`). */
  onProgress?: (p: LoadProgress) => void;
  /** Whether the runtime's `.wasm` may come from / go to Cache Storage (`LoadOptions.cache`); default true. */
  cache?: boolean;
}

/** One more float32 input of a run, beside the main one. */
export interface ExtraFeed {
  readonly name: string;
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** A started inference session on one device. */
export interface BackendSession {
  readonly inputs: readonly ValueMeta[];
  readonly outputs: readonly ValueMeta[];
  /**
   * Runs the graph on one float32 input (plus `extra` inputs, such as a
   * conditional model's one-hot labels `y`) and returns the requested outputs.
   * `data` is handed to the runtime without a copy.
   */
  run(input: string, data: Float32Array, dims: readonly number[], fetches: readonly string[], extra?: readonly ExtraFeed[]): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

/** One ONNX Runtime binding (onnxruntime-node or onnxruntime-web). */
export interface Backend {
  /** Package name of the runtime, e.g. `onnxruntime-node`. */
  readonly runtime: string;
  /** Devices this platform accepts, `auto` first. */
  readonly devices: readonly Device[];
  /** Order `auto` tries, best first. */
  readonly autoOrder: readonly ConcreteDevice[];
  /** Order `auto` tries for a model of this precision, when it depends on it; else {@link Backend.autoOrder}. */
  autoOrderFor?(dtype: string | undefined): readonly ConcreteDevice[];
  /**
   * Cheap check before trying a device: a reason it cannot work (and what to
   * install), or null when it is worth trying.
   */
  precheck(device: ConcreteDevice): Promise<string | null>;
  /**
   * Only for `auto`, after {@link Backend.precheck}: a reason to pass over a
   * device that would start but that `auto` should not pick here, or null.
   */
  autoSkip?(device: ConcreteDevice): Promise<string | null>;
  /**
   * Starts downloading what a session on `device` will need (its runtime)
   * while the model downloads, and returns what wakes its driver, to be called
   * once the model's bytes are flowing (waking it can block the page for a
   * moment). Never throws: {@link Backend.createSession} reports failures.
   */
  preload?(device: ConcreteDevice): () => void;
  /** Starts a session on a device; throws with the runtime's reason when it can't. */
  createSession(model: Uint8Array, device: ConcreteDevice, options: SessionOptions): Promise<BackendSession>;
  /** The runtime package behind a device when it is not {@link Backend.runtime} (a fallback). */
  runtimeFor?(device: ConcreteDevice): string;
  /** Why a device runs on a fallback runtime, once, for `vae.info.fallback`; undefined when it does not. */
  fallbackFor?(device: ConcreteDevice): string | undefined;
  /** The model precisions (`fp32`, `fp16`, `int8`) a device runs; undefined: every one. */
  dtypesFor?(device: ConcreteDevice): readonly string[] | undefined;
  /** Why a device runs only {@link Backend.dtypesFor}'s precisions, for the error. */
  dtypeLimit?(device: ConcreteDevice): string | undefined;
  /** The rule {@link Backend.autoOrder} follows, in words, for `vae.info.deviceReason`. */
  readonly autoRule?: string;
  /** Capabilities detected on this platform, for `env`. */
  capabilities(): Promise<Record<string, unknown>>;
}
