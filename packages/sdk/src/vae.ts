/**
 * The `VAE` class: loads a model on the best device and runs encode/decode and
 * everything built on them. Platform-free: it reaches ONNX Runtime only through
 * the backend the `node` or `web` entry point registered.
 */
import { GRAPH_IO, decodeManifestPrior } from '@vae/format';
import type { ManifestCondition } from '@vae/format';
import { preloadDevice, startOnDevice } from './backends/registry.js';
import type { BackendSession, ConcreteDevice, Device, ExtraFeed, WasmOptions } from './backends/types.js';
import type { LabelInput } from './condition.js';
import { checkLabels, drawLabels, expectedLabel, oneHot } from './condition.js';
import { checkCacheSettings } from './cache/settings.js';
import { mergeLegacyWasmOptions } from './env.js';
import { workerBackendHere } from './worker/start-worker.js';
import type { DeviceFailure } from './errors.js';
import { VAEDeviceError, VAEDisposedError, VAEError, VAEInputError, VAEModelError, VAESourceError } from './errors.js';
import { lerp, linspace, normalQuantile, slerp } from './interpolate.js';
import type { ModelManifest } from './manifest.js';
import { throwIfAborted } from './source/abort.js';
import { DEFAULT_TIMEOUT_MS, readModel } from './source/read-model.js';
import type { ModelDType } from './source/select-variant.js';
import { MODEL_DTYPES } from './source/select-variant.js';
import type { LoadedModel, LoadProgress, ModelSource } from './source/types.js';
import { verifySessionIo } from './source/validate-graphs.js';
import type { OptionSchema } from './options.js';
import { checkOptions, t } from './options.js';
import { platform } from './platform.js';
import { checkCount, checkRows, checkSeed, checkTemperature, describe, fillGaussian, mixtureLatents, randomSeed, Xoshiro128 } from './random.js';
import type { ImageBatch, ImagesInput, LatentBatch, LatentsInput } from './tensors.js';
import { toImageBatch, toLatentBatch } from './tensors.js';

/** Options for {@link VAE.load}. */
export interface LoadOptions {
  /**
   * `'auto'` (default) tries the best device and falls back: `cuda` then `cpu`
   * in Node, `webgpu` then `wasm` in browsers. An explicit device either
   * starts or throws a {@link VAEDeviceError} saying what is missing.
   */
  device?: Device;
  /**
   * Weight precision to load, as transformers.js's `dtype`: `'fp32'` (the
   * default: the model's own graphs), `'fp16'` or `'int8'` when model.json
   * lists that variant (the bundled `mnist` ships all three). A dtype the model
   * lacks is a {@link VAEInputError} naming the ones it has; a device that
   * cannot run it, a {@link VAEDeviceError} naming the ones that device runs.
   */
  dtype?: ModelDType;
  /**
   * Intra-op threads of this model's sessions (Node). In browsers WASM threads
   * are global to the page: set `env.backends.onnx.wasm.numThreads` (this is
   * used only when that is unset). Default: the runtime's.
   */
  threads?: number;
  /** Largest batch sent to the runtime in one run; bigger requests are split. Default 1024. */
  batchSize?: number;
  /**
   * onnxruntime-web's WebAssembly settings, which are global to the page, not
   * to one load: its keys are copied into `env.backends.onnx.wasm`, read when
   * the runtime first starts.
   * @deprecated Set `env.backends.onnx.wasm` (`wasmPaths`, `numThreads`, `proxy`) before the first `VAE.load`.
   */
  wasm?: WasmOptions;
  /**
   * Cancels the load: requests in flight stop, and the load rejects with a
   * {@link VAESourceError} whose `cause` is `signal.reason` (so
   * `err.cause === signal.reason` tells an abort from a failure). An abort
   * while the sessions start releases them once they have started.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds a URL may go without sending a byte (waiting for headers, or
   * between chunks of a body) before the load fails with a
   * {@link VAESourceError}. An idle timeout, not a limit on the whole download:
   * a slow link that keeps sending never trips it. Default 30000; `Infinity`
   * waits for ever (`signal` can still stop it).
   */
  timeoutMs?: number;
  /**
   * Called as bytes arrive: `file` is `model.json` or a graph's file name,
   * `total` the size model.json declares for a graph (for model.json, the
   * Content-Length when the server sends one). Local files report once each,
   * when read; bytes already in memory report nothing.
   */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Browsers: run the ONNX Runtime sessions in a dedicated Web Worker that the
   * SDK starts itself (one per page, shared by every such load), so inference
   * never blocks the page; results come back as transferred buffers and the
   * API is the same. The runtime's wasm is then downloaded by the worker.
   * In Node a {@link VAEDeviceError}: onnxruntime-node already runs off the
   * JavaScript thread. Default false.
   */
  worker?: boolean;
  /**
   * Whether this load may read graphs and the runtime's wasm from Cache
   * Storage and store them there (see `env.cache`). Default true; no effect
   * where there is no Cache API (Node).
   */
  cache?: boolean;
  /**
   * Read and start the encoder at the first call that needs it (`encode`,
   * `reconstruct`, `restyle`, `interpolate` between images, `negativeElbo`),
   * not in `load`: a page that only samples downloads model.json and the
   * decoder alone (for the bundled int8 mnist, 186 KB instead of 397 KB).
   * A missing or corrupt encoder, or one the device cannot start, is then
   * that call's error, with the same types `load` would have thrown; the
   * call after it tries again. Default false.
   */
  lazyEncoder?: boolean;
}

/** What was loaded and where it runs. */
export interface VAEInfo {
  /** The validated `model.json`. */
  readonly manifest: ModelManifest;
  /** Where the model came from (folder, URL or `bytes`). */
  readonly source: string;
  /** The device actually running the graphs. */
  readonly device: ConcreteDevice;
  /** The ONNX Runtime execution provider behind `device`. */
  readonly executionProvider: string;
  /** `onnxruntime-node` or `onnxruntime-web`. */
  readonly runtime: string;
  /**
   * Set when the model runs on a fallback runtime, saying what was missing and
   * what runs instead: in Node, onnxruntime-web's wasm build when
   * onnxruntime-node (an optional dependency) is not installed or does not
   * load. Undefined otherwise.
   */
  readonly fallback: string | undefined;
  /** Devices tried or skipped before `device`, and why. */
  readonly skipped: readonly DeviceFailure[];
  /** Why `device` runs: asked for by name, or the rule `auto` followed and what it skipped. */
  readonly deviceReason: string;
  /** Whether the sessions run in the SDK's Web Worker ({@link LoadOptions.worker}). */
  readonly worker: boolean;
  /** Latent size (the manifest's `latent`): the length of one latent vector. */
  readonly latent: number;
  /** One image's shape, `[channels, height, width]` (`[1, 28, 28]` for MNIST). */
  readonly imageShape: readonly [number, number, number];
  /** Intra-op threads as requested in {@link LoadOptions.threads}; `undefined`: the runtime's default. */
  readonly threads: number | undefined;
  /** Largest batch sent to the runtime in one run ({@link LoadOptions.batchSize}, default 1024). */
  readonly batchSize: number;
  /**
   * A conditional model's classes: how many, and their names (`"0"` … `"9"`
   * for MNIST), from the manifest's `condition`. Undefined for an
   * unconditional model, which takes no `label`.
   */
  readonly condition: VAECondition | undefined;
  /** The prior `sample` draws from: `{ kind: 'standard' }` (N(0, I)) or `{ kind: 'vamp', components: K }` (model.json's `prior`). */
  readonly prior: VAEPrior;
}

/**
 * The prior a model samples from ({@link VAEInfo.prior}): the standard normal,
 * or a VampPrior mixture of `components` Gaussians stored in model.json.
 */
export type VAEPrior = { readonly kind: 'standard' } | { readonly kind: 'vamp'; readonly components: number };

/** The classes a conditional model is conditioned on ({@link VAEInfo.condition}). */
export interface VAECondition {
  /** Number of classes K; labels are integers in `[0, K)`. */
  readonly classes: number;
  /** One name per class, index order. */
  readonly names: readonly string[];
}

/** Options for {@link VAE.sample}. */
export interface SampleOptions {
  /** uint32 seed; the same seed gives bit-identical images on the same device. Omitted → random (returned as `seed`). */
  seed?: number;
  /** `z ~ N(0, temperature²·I)`; default 1. Lower values give cleaner, less varied digits. */
  temperature?: number;
  /**
   * Conditional models only: the class of every sample (one index), or one
   * index per sample (an array of `n`). Omitted on a conditional model → each
   * sample's label is drawn from the seeded generator (see {@link VAE.sample}).
   */
  label?: LabelInput;
}

/** Images from {@link VAE.sample}, with the latents and seed that made them. */
export interface SampleResult extends ImageBatch {
  readonly latents: LatentBatch;
  readonly seed: number;
  /** The class each sample was decoded with (given or drawn); undefined for an unconditional model. */
  readonly labels: readonly number[] | undefined;
}

/** Options for {@link VAE.encode}. */
export interface EncodeOptions {
  /** Conditional models only, and required there: the class of every image, or one per image. */
  label?: LabelInput;
}

/** Options for {@link VAE.reconstruct}. */
export interface ReconstructOptions {
  /** Draw `z = μ + σ·ε` instead of decoding the posterior mean. */
  sample?: boolean;
  /** uint32 seed of ε when `sample` is true. */
  seed?: number;
  /** Conditional models only, and required there: the class of every image (encoded and decoded with it), or one per image. */
  label?: LabelInput;
}

/** Options for {@link VAE.restyle}. */
export interface RestyleOptions {
  /** The class the images show (one index, or one per image); required. */
  from: LabelInput;
  /** The class to redraw them as (one index, or one per image), or `'all'`: every class, in index order. */
  to: LabelInput | 'all';
}

/** Images from {@link VAE.restyle}, with the latents and the class each was decoded with. */
export interface RestyleResult extends PathResult {
  /** The class of each output image. */
  readonly labels: readonly number[];
}

/** Images along a latent path, with the latents decoded. */
export interface PathResult extends ImageBatch {
  readonly latents: LatentBatch;
}

/** Options for {@link VAE.interpolate}. */
export interface InterpolateOptions {
  /** Number of images including both ends; default 10. */
  steps?: number;
  /** `'linear'` (default) or `'slerp'` (spherical). */
  method?: 'linear' | 'slerp';
  /** Whether `a`/`b` are images or latents; `'auto'` (default) decides by length. */
  input?: 'auto' | 'image' | 'latent';
  /**
   * Conditional models only, and required there: the classes of `a` and `b`
   * `[la, lb]`. Images are encoded with their own class; step `s` of the path
   * is decoded with the blended label `(1 - t)·onehot(la) + t·onehot(lb)`,
   * `t = s / (steps - 1)`, always linearly (the blend must stay a mixture of
   * classes, even when `method` is `'slerp'` for the latent).
   */
  labels?: readonly [number, number];
}

/** Options for {@link VAE.manifold}. */
export interface ManifoldOptions {
  /** Which two latent dimensions span the grid; default `[0, 1]`. */
  dims?: readonly [number, number];
  /** Probability range mapped through the normal quantile; default `[0.05, 0.95]`. */
  range?: readonly [number, number];
  /** Conditional models only, and required there: the class of every grid cell, or one per cell (`n·n`, row-major). */
  label?: LabelInput;
}

/** Options for {@link VAE.decode}. */
export interface DecodeOptions {
  /** `'x'` (default): pixel means in [0, 1]; `'logits'`: Bernoulli logits, for likelihoods. */
  output?: 'x' | 'logits';
  /** Conditional models only, and required there: the class to decode every latent as, or one per latent. */
  label?: LabelInput;
}

const noop = () => {};
const FETCH_X = Object.freeze([GRAPH_IO.x]);
const FETCH_LOGITS = Object.freeze([GRAPH_IO.logits]);

const LOAD_SCHEMA: OptionSchema = {
  // Which names are valid is the device registry's to say (a VAEDeviceError listing them).
  device: t.string,
  dtype: t.oneOf(...MODEL_DTYPES),
  threads: t.positiveInteger,
  batchSize: t.positiveInteger,
  wasm: t.object,
  signal: t.abortSignal,
  timeoutMs: t.timeoutMs,
  onProgress: t.function,
  worker: t.boolean,
  cache: t.boolean,
  lazyEncoder: t.boolean,
};
const SAMPLE_SCHEMA: OptionSchema = { seed: t.integer, temperature: t.number, label: t.label };
const ENCODE_SCHEMA: OptionSchema = { label: t.label };
const RECONSTRUCT_SCHEMA: OptionSchema = { sample: t.boolean, seed: t.integer, label: t.label };
const RESTYLE_SCHEMA: OptionSchema = { from: t.label, to: t.either(t.oneOf('all'), t.label) };
const INTERPOLATE_SCHEMA: OptionSchema = { steps: t.integer, method: t.oneOf('linear', 'slerp'), input: t.oneOf('auto', 'image', 'latent'), labels: t.integerPair };
const MANIFOLD_SCHEMA: OptionSchema = { dims: t.integerPair, range: t.numberPair, label: t.label };
const DECODE_SCHEMA: OptionSchema = { output: t.oneOf('x', 'logits'), label: t.label };

/**
 * Most intra-op threads per core {@link VAE.load} accepts. ONNX Runtime's
 * workers spin while they wait, so threads beyond the cores only take turns:
 * 1000 threads on 2 cores made 4 samples take 70 s instead of milliseconds.
 */
export const THREADS_PER_CORE = 2;

/** Logical cores where the platform says (browsers, workers, the Node entry), else undefined. */
function coreCount(): number | undefined {
  const n = platform.cores?.() ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Number.isInteger(n) && (n as number) > 0 ? n : undefined;
}

function checkThreads(threads: number): number {
  const cores = coreCount();
  const max = cores === undefined ? 1024 : THREADS_PER_CORE * cores;
  return checkCount('threads', threads, max, cores === undefined ? undefined : `${THREADS_PER_CORE}× the ${cores} cores here: more threads than cores only wait on each other and make every run slower`);
}

/** Any NaN or ±Infinity in a graph's outputs is the model's fault: the SDK only feeds finite inputs. */
function checkFinite(file: string, graph: string, out: Record<string, Float32Array>, rowSize: readonly number[], fetches: readonly string[]): void {
  fetches.forEach((name, k) => {
    const a = out[name];
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v - v !== 0) {
        throw new VAEModelError(
          `the ${graph} graph (${file}) returned ${v} in output ${JSON.stringify(name)} at index ${i} (item ${Math.floor(i / rowSize[k])}) from finite inputs; expected finite values (inputs too large for float32, or a corrupt model)`,
        );
      }
    }
  });
}

/**
 * A loaded variational autoencoder.
 *
 * Calls on one instance are queued and run one at a time, in call order, so
 * any number of concurrent calls is safe (ONNX Runtime Web sessions cannot run
 * twice at once) and results never depend on timing.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { VAE, tile, encodePng } from '@vae/sdk';
 * const vae = await VAE.load();                       // the bundled MNIST model
 * const digits = await vae.sample(64, { seed: 1 });   // [64,1,28,28] in [0,1]
 * await writeFile('samples.png', encodePng(tile(digits, 8)));
 * ```
 */
export class VAE {
  readonly #enc: BackendSession;
  readonly #dec: BackendSession;
  readonly #info: VAEInfo;
  readonly #imageSize: number;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #disposed = false;

  private constructor(info: VAEInfo, enc: BackendSession, dec: BackendSession) {
    this.#info = info;
    this.#enc = enc;
    this.#dec = dec;
    const [c, h, w] = info.imageShape;
    this.#imageSize = c * h * w;
  }

  /**
   * Loads a model and starts it on a device.
   *
   * @param source - a bundled model's name (`'mnist'`, the default, or `'mnist-cvae'`, conditional on
   *   the digit), a folder, a URL, or bytes; omitted → `'mnist'`. Only a bare name (no slash, dot or
   *   colon) can name a bundled model: `'./mnist'` is the folder. A bare name that is not a bundled
   *   model is still tried as a relative folder or URL; if that fails, the error lists the bundled names.
   * @throws {@link VAESourceError} when the source can't be read, {@link VAEModelError} when the
   *   files are corrupt or disagree with `model.json`, {@link VAEDeviceError} when no device starts
   *
   * @example
   * ```ts
   * const vae = await VAE.load();                                     // bundled model, best device
   * const cvae = await VAE.load('mnist-cvae');                        // the bundled conditional model
   * const gpu = await VAE.load('./models/mnist', { device: 'cuda' }); // throws if CUDA is missing
   * console.log(vae.info.executionProvider, vae.info.skipped);
   * ```
   */
  static async load(source?: ModelSource, options: LoadOptions = {}): Promise<VAE> {
    if (source !== undefined && typeof source !== 'string' && (typeof source !== 'object' || source === null)) {
      throw new VAESourceError(`VAE.load: source must be a folder or URL string, a URL, { manifest, encoder, decoder } (bytes or URLs), or omitted for the bundled model; got ${describe(source)}`);
    }
    options = checkOptions('VAE.load', options, LOAD_SCHEMA);
    const threads = options.threads;
    if (threads !== undefined) checkThreads(threads);
    const batchSize = options.batchSize === undefined ? 1024 : checkCount('batchSize', options.batchSize, 1 << 20);
    if (options.wasm !== undefined) mergeLegacyWasmOptions(options.wasm);
    checkCacheSettings(); // env.cache is a plain object anyone can write: a wrong value fails here, not in a worker
    const { signal, onProgress, cache } = options;
    const worker = options.worker === true;
    // Before any download: a platform without a worker says so at once.
    const backend = worker ? workerBackendHere() : undefined;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Cold start: a device asked for by name downloads its runtime beside the
    // model, and its driver wakes once the graphs' requests are out.
    const wake = backend ? undefined : preloadDevice(options.device);
    const progress = wake ? (p: LoadProgress) => (p.file !== 'model.json' && wake(), onProgress?.(p)) : onProgress;
    const lazy = options.lazyEncoder === true;
    const model = await readModel(source, { signal, timeoutMs, onProgress: progress, dtype: options.dtype, cache, lazyEncoder: lazy });
    const m = model.manifest;
    throwIfAborted(signal, 'the model');
    const started = await startOnDevice(options.device, async (backend, device) => {
      const start = (graph: 'encoder' | 'decoder', bytes: Uint8Array) => startChecked(m, graph, () => backend.createSession(bytes, device, { threads, onProgress, cache }), device);
      if (lazy) return { enc: lazySession(() => startEncoder(model, device, (bytes) => start('encoder', bytes))), dec: await start('decoder', model.decoder) };
      // Both sessions start together: graph optimisation of one overlaps the other (cold start).
      const [e, d] = await Promise.allSettled([start('encoder', model.encoder!), start('decoder', model.decoder)]);
      if (e.status === 'rejected' || d.status === 'rejected') {
        await Promise.all([e, d].map((r) => (r.status === 'fulfilled' ? r.value.release().catch(noop) : undefined)));
        throw e.status === 'rejected' ? e.reason : (d as PromiseRejectedResult).reason;
      }
      return { enc: e.value, dec: d.value };
    }, m.precision, backend);
    if (signal?.aborted) {
      // ONNX Runtime cannot cancel a session start; an abort meanwhile takes effect
      // here, not inside startOnDevice, where auto would take it for a device failure.
      await Promise.all([started.value.enc.release().catch(noop), started.value.dec.release().catch(noop)]);
      throwIfAborted(signal, 'the model');
    }
    const info: VAEInfo = Object.freeze({
      manifest: m,
      source: model.origin,
      device: started.device,
      executionProvider: started.executionProvider,
      runtime: started.runtime,
      fallback: started.fallback,
      skipped: Object.freeze(started.skipped),
      deviceReason: started.reason,
      worker,
      latent: m.latent,
      imageShape: Object.freeze([...m.imageShape]) as unknown as readonly [number, number, number],
      threads,
      batchSize,
      condition: m.condition ? Object.freeze({ classes: m.condition.classes, names: Object.freeze([...m.condition.names]) }) : undefined,
      prior: Object.freeze(m.prior ? { kind: 'vamp' as const, components: m.prior.components } : { kind: 'standard' as const }),
    });
    return new VAE(info, started.value.enc, started.value.dec);
  }

  /** The manifest, the device and execution provider actually running, and why others were skipped. */
  get info(): VAEInfo {
    return this.#info;
  }

  /** Latent dimensionality. */
  get latent(): number {
    return this.#info.latent;
  }

  get #condition(): ManifestCondition | undefined {
    return this.#info.manifest.condition;
  }

  /** `y` for `labels`, or undefined for an unconditional model. */
  #y(labels: Int32Array | undefined): Float32Array | undefined {
    return labels && oneHot(labels, (this.#condition as ManifestCondition).classes);
  }

  /** Runs `task` after every earlier call on this instance has finished. */
  #enqueue<T>(method: string, task: () => Promise<T>): Promise<T> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError(method));
    // Idle queue: start now instead of one microtask later (batch-1 latency).
    let run: Promise<T>;
    try {
      run = this.#pending === 0 ? task() : this.#tail.then(task);
    } catch (e) {
      run = Promise.reject(e);
    }
    this.#pending++;
    this.#tail = run.then(this.#settle, this.#settle);
    return run;
  }

  readonly #settle = (): void => {
    this.#pending--;
  };

  /** Runs one graph over `n` rows in chunks of at most `batchSize`, writing into one output per fetch. */
  #runBatched(
    session: BackendSession,
    input: string,
    data: Float32Array,
    n: number,
    rowIn: number,
    tail: readonly number[],
    fetches: readonly string[],
    rowsOut: readonly number[],
    y?: Float32Array,
  ): Promise<Record<string, Float32Array>> {
    const bs = this.#info.batchSize;
    const graph = session === this.#enc ? 'encoder' : 'decoder';
    const file = this.#info.manifest.graphs[graph].file;
    const K = this.#condition?.classes ?? 0;
    const label = (s: number, m: number): ExtraFeed[] | undefined => (y ? [{ name: GRAPH_IO.y, data: y.subarray(s * K, (s + m) * K), dims: [m, K] }] : undefined);
    const run = n <= bs ? session.run(input, data, [n, ...tail], fetches, label(0, n)) : this.#runChunks(session, input, data, n, rowIn, tail, fetches, rowsOut, bs, label);
    return run.then((out) => {
      checkFinite(file, graph, out, rowsOut, fetches);
      return out;
    });
  }

  async #runChunks(
    session: BackendSession,
    input: string,
    data: Float32Array,
    n: number,
    rowIn: number,
    tail: readonly number[],
    fetches: readonly string[],
    rowsOut: readonly number[],
    bs: number,
    label: (s: number, m: number) => ExtraFeed[] | undefined,
  ): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    fetches.forEach((f, i) => (out[f] = new Float32Array(n * rowsOut[i])));
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const r = await session.run(input, data.subarray(s * rowIn, (s + m) * rowIn), [m, ...tail], fetches, label(s, m));
      fetches.forEach((f, i) => out[f].set(r[f], s * rowsOut[i]));
    }
    return out;
  }

  /**
   * Encodes images to the posterior's mean and log-variance.
   *
   * @param images - `[N,1,28,28]` float32 in [0, 1], uint8 (scaled by 1/255), `number[][]`, or a tensor-like
   * @param options - `label`: on a conditional model (and only there) the class the images show,
   *   one index for all or one per image; required there
   * @throws {@link VAEInputError} naming the expected shape, dtype, length or range, or the expected label
   *
   * @example
   * ```ts
   * const { mu, logvar } = await vae.encode(imagesFromPng(await readFile('3.png')));
   * const cond = await cvae.encode(imagesFromPng(await readFile('3.png')), { label: 3 }); // a conditional model
   * ```
   */
  encode(images: ImagesInput, options: EncodeOptions = {}): Promise<{ mu: LatentBatch; logvar: LatentBatch }> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('encode'));
    let batch: ImageBatch;
    let y: Float32Array | undefined;
    try {
      options = checkOptions('vae.encode', options, ENCODE_SCHEMA);
      batch = toImageBatch(images, this.#info.imageShape);
      y = this.#y(checkLabels(this.#condition, options.label, batch.shape[0], 'vae.encode'));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('encode', () => this.#encodeNow(batch, y));
  }

  async #encodeNow(batch: ImageBatch, y: Float32Array | undefined): Promise<{ mu: LatentBatch; logvar: LatentBatch }> {
    const n = batch.shape[0];
    const L = this.#info.latent;
    const r = await this.#runBatched(this.#enc, GRAPH_IO.x, batch.data, n, this.#imageSize, batch.shape.slice(1), [GRAPH_IO.mu, GRAPH_IO.logvar], [L, L], y);
    return { mu: { data: r[GRAPH_IO.mu], shape: [n, L] }, logvar: { data: r[GRAPH_IO.logvar], shape: [n, L] } };
  }

  /**
   * Decodes latents to images (pixel means in [0, 1], or logits).
   *
   * @param z - `[N, latent]` float32, `number[][]`, or one `number[]` vector
   * @param options - `output`, and on a conditional model (required there) `label`: the class
   *   to draw, one index for all latents or one per latent
   * @throws {@link VAEInputError} for a latent of the wrong size, non-finite values, or a missing or bad label
   *
   * @example
   * ```ts
   * const images = await vae.decode(new Float32Array(vae.latent));              // the prior's mean
   * const seven = await cvae.decode(new Float32Array(cvae.latent), { label: 7 }); // a conditional model
   * ```
   */
  decode(z: LatentsInput, options: DecodeOptions = {}): Promise<ImageBatch> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('decode'));
    let batch: LatentBatch;
    let output: 'x' | 'logits';
    let y: Float32Array | undefined;
    try {
      options = checkOptions('vae.decode', options, DECODE_SCHEMA);
      output = options.output ?? 'x';
      if (output !== 'x' && output !== 'logits') throw new VAEInputError(`output must be 'x' or 'logits', got ${describe(output)}`);
      batch = toLatentBatch(z, this.#info.latent);
      y = this.#y(checkLabels(this.#condition, options.label, batch.shape[0], 'vae.decode', { what: 'latents' }));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('decode', () => this.#decodeNow(batch.data, batch.shape[0], output, y));
  }

  #decodeNow(z: Float32Array, n: number, output: 'x' | 'logits' = 'x', y?: Float32Array): Promise<ImageBatch> {
    const [c, h, w] = this.#info.imageShape;
    const fetches = output === 'x' ? FETCH_X : FETCH_LOGITS;
    return this.#runBatched(this.#dec, GRAPH_IO.z, z, n, this.#info.latent, [this.#info.latent], fetches, [this.#imageSize], y).then((r) => ({
      data: r[fetches[0]],
      shape: [n, c, h, w] as const,
    }));
  }

  /**
   * Draws `n` digits from the prior: `z ~ N(0, temperature²·I)` from the
   * documented generator (see `gaussianLatents`), decoded in batches.
   *
   * On a VampPrior model (`info.prior.kind === 'vamp'`) the latents come from
   * its mixture (model.json's `prior`) instead: the first `n` words of the
   * generator pick each sample's component uniformly, `c_i = floor(r_i · K / 2^32)`,
   * then the Gaussians ε follow as above (times `temperature`, rounded to
   * float32), and `z_i = mean[c_i] + exp(logVar[c_i] / 2) · ε_i` (float64,
   * rounded to float32).
   *
   * On a conditional model, `label` picks the class: one index for all `n`
   * samples, or an array of `n`. The latents never depend on the label: they
   * are always `gaussianLatents(n, latent, { seed, temperature })`, so one
   * seed draws the same styles in every class. Without `label`, each sample's
   * class is drawn from the same generator, after the latents: the
   * Gaussians use `2·ceil(n·latent / 2)` uint32 words, and the next `n` words
   * `r_i` give `label_i = floor(r_i · K / 2^32)` (K = `info.condition.classes`).
   * The labels used are returned as `labels`.
   *
   * @throws {@link VAEInputError} for `n <= 0`, a non-integer `n`, an `n` whose images would not
   *   fit in one 1 GiB buffer (342,392 for 28×28; the message names the maximum), a bad seed or
   *   temperature, a label on an unconditional model, or a label out of range, not an integer
   *   or an array of other than `n` indices
   *
   * @example
   * ```ts
   * const a = await vae.sample(16, { seed: 42 });
   * const b = await vae.sample(16, { seed: 42 }); // bit-identical to a on the same device
   * const sevens = await cvae.sample(16, { label: 7, seed: 1 }); // a conditional model: sixteen 7s
   * ```
   */
  sample(n: number, options: SampleOptions = {}): Promise<SampleResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('sample'));
    let z: Float32Array;
    let seed: number;
    let labels: Int32Array | undefined;
    try {
      // The decoded images are the bigger buffer: n·784 float32 values for MNIST.
      options = checkOptions('vae.sample', options, SAMPLE_SCHEMA);
      checkRows('n', n, Math.max(this.#imageSize, this.#info.latent), 'images');
      seed = options?.seed === undefined ? randomSeed() : checkSeed(options.seed);
      const t = options?.temperature === undefined ? 1 : checkTemperature(options.temperature);
      labels = checkLabels(this.#condition, options.label, n, 'vae.sample', { what: 'samples', required: false });
      const rng = new Xoshiro128(seed);
      const L = this.#info.latent;
      // parseManifest has bounded and checked the prior; decoding K x latent floats is cheap next to decoding images.
      const prior = this.#info.manifest.prior;
      z = prior ? mixtureLatents(rng, n, L, decodeManifestPrior(prior, L), t) : fillGaussian(rng, new Float32Array(n * L), t);
      const cond = this.#condition;
      if (cond && !labels) {
        // fillGaussian draws words in pairs, so an odd n·latent has used (and dropped) a whole pair already.
        labels = drawLabels(rng, n, cond.classes);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const y = this.#y(labels);
    return this.#enqueue('sample', async () => {
      const images = await this.#decodeNow(z, n, 'x', y);
      return { ...images, latents: { data: z, shape: [n, this.#info.latent] }, seed, labels: labels && Array.from(labels) };
    });
  }

  /**
   * Encodes and decodes images. Uses the posterior mean by default; with
   * `{ sample: true }` draws `z = μ + σ·ε` with ε from the seeded generator.
   * A conditional model needs `label` (the class the images show), used for
   * both graphs; to decode as another class, see {@link VAE.restyle}.
   *
   * @throws {@link VAEInputError} for bad images, options, or a missing or bad label
   *
   * @example
   * ```ts
   * const recon = await vae.reconstruct(images);
   * const recon3 = await cvae.reconstruct(three, { label: 3 }); // a conditional model
   * ```
   */
  reconstruct(images: ImagesInput, options: ReconstructOptions = {}): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('reconstruct'));
    let batch: ImageBatch;
    let rng: Xoshiro128 | undefined;
    let y: Float32Array | undefined;
    try {
      options = checkOptions('vae.reconstruct', options, RECONSTRUCT_SCHEMA);
      batch = toImageBatch(images, this.#info.imageShape);
      y = this.#y(checkLabels(this.#condition, options.label, batch.shape[0], 'vae.reconstruct'));
      if (options?.sample) rng = new Xoshiro128(options.seed === undefined ? randomSeed() : checkSeed(options.seed));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('reconstruct', async () => {
      const { mu, logvar } = await this.#encodeNow(batch, y);
      let z = mu.data;
      if (rng) {
        const eps = fillGaussian(rng, new Float32Array(z.length));
        z = new Float32Array(z.length);
        for (let i = 0; i < z.length; i++) z[i] = mu.data[i] + Math.exp(0.5 * logvar.data[i]) * eps[i];
      }
      const out = await this.#decodeNow(z, batch.shape[0], 'x', y);
      return { ...out, latents: { data: z, shape: mu.shape } };
    });
  }

  /**
   * Redraws images as other classes (conditional models only): encodes them
   * with `from` (the class they show) to their posterior means, and decodes
   * those with `to`, keeping the style (slant, thickness) and changing the class.
   *
   * With `to: 'all'` every image is decoded as every class: `N·K` images,
   * image-major (image `i` as class `k` is output `i·K + k`), so
   * `tile(result, { cols: K })` gives one row per input image, classes left
   * to right. `latents` holds the latent of each output (each input's mean
   * repeated K times), `labels` the class of each output.
   *
   * @throws {@link VAEInputError} on an unconditional model, or for a missing or bad `from`/`to`
   *
   * @example
   * ```ts
   * const cvae = await VAE.load('mnist-cvae');
   * const row = await cvae.restyle(three, { from: 3, to: 'all' }); // ten images: the 3 written as 0…9
   * const eight = await cvae.restyle(three, { from: 3, to: 8 });
   * ```
   */
  restyle(images: ImagesInput, options: RestyleOptions): Promise<RestyleResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('restyle'));
    let batch: ImageBatch;
    let from: Int32Array;
    let to: Int32Array;
    let repeat: number;
    try {
      const cond = this.#condition;
      if (!cond) throw new VAEInputError('vae.restyle: this model is unconditional (its model.json has no condition); expected a conditional model (e.g. VAE.load("mnist-cvae"))');
      if (options === undefined) throw new VAEInputError(`vae.restyle: options { from, to } are required; expected from and to, each ${expectedLabel(cond)}`);
      options = checkOptions('vae.restyle', options, RESTYLE_SCHEMA);
      batch = toImageBatch(images, this.#info.imageShape);
      const n = batch.shape[0];
      from = checkLabels(cond, options.from, n, 'vae.restyle', { key: 'from' }) as Int32Array;
      if (options.to === 'all') {
        repeat = cond.classes;
        to = new Int32Array(n * repeat).map((_, i) => i % repeat);
      } else {
        repeat = 1;
        to = checkLabels(cond, options.to, n, 'vae.restyle', { key: 'to' }) as Int32Array;
      }
      checkRows('images × classes', n * repeat, this.#imageSize, 'images');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('restyle', async () => {
      const n = batch.shape[0];
      const L = this.#info.latent;
      const { mu } = await this.#encodeNow(batch, this.#y(from));
      let z = mu.data;
      if (repeat > 1) {
        z = new Float32Array(n * repeat * L);
        for (let i = 0; i < n * repeat; i++) z.set(mu.data.subarray(Math.floor(i / repeat) * L, (Math.floor(i / repeat) + 1) * L), i * L);
      }
      const out = await this.#decodeNow(z, n * repeat, 'x', this.#y(to));
      return { ...out, latents: { data: z, shape: [n * repeat, L] }, labels: Array.from(to) };
    });
  }

  /**
   * Decodes a path from `a` to `b` (both ends included). `a` and `b` are
   * single images (encoded to their posterior means) or single latents.
   * On a conditional model `labels: [la, lb]` is required: image ends are
   * encoded with their own class, and the label is interpolated with the
   * latent (see {@link InterpolateOptions.labels}), morphing a 3 into an 8.
   *
   * @throws {@link VAEInputError} for bad ends or options, or missing or bad `labels`
   *
   * @example
   * ```ts
   * const path = await vae.interpolate(three, eight, { steps: 10, method: 'slerp' });
   * const morph = await cvae.interpolate(three, eight, { steps: 10, labels: [3, 8] }); // a conditional model
   * ```
   */
  interpolate(a: ImagesInput | LatentsInput, b: ImagesInput | LatentsInput, options: InterpolateOptions = {}): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('interpolate'));
    let ends: { kind: 'image' | 'latent'; data: Float32Array; label: number | undefined }[];
    let steps: number;
    let method: 'linear' | 'slerp';
    try {
      options = checkOptions('vae.interpolate', options, INTERPOLATE_SCHEMA);
      steps = options.steps ?? 10;
      method = options.method ?? 'linear';
      const input = options.input ?? 'auto';
      if (!Number.isInteger(steps) || steps < 2 || steps > 1 << 16) throw new VAEInputError(`steps must be an integer in [2, 65536], got ${describe(steps)}`);
      if (method !== 'linear' && method !== 'slerp') throw new VAEInputError(`method must be 'linear' or 'slerp', got ${describe(method)}`);
      if (!['auto', 'image', 'latent'].includes(input)) throw new VAEInputError(`input must be 'auto', 'image' or 'latent', got ${describe(input)}`);
      const cond = this.#condition;
      if (cond && options.labels === undefined) {
        throw new VAEInputError(`vae.interpolate: this model is conditional on ${cond.classes} classes, so labels is required; expected { labels: [la, lb] }, the classes of a and b, each ${expectedLabel(cond)}`);
      }
      const labels = checkLabels(cond, options.labels, 2, 'vae.interpolate', { key: 'labels', what: 'ends' });
      ends = [
        { ...this.#endpoint(a, 'a', input), label: labels?.[0] },
        { ...this.#endpoint(b, 'b', input), label: labels?.[1] },
      ];
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('interpolate', async () => {
      const L = this.#info.latent;
      const images = ends.filter((e) => e.kind === 'image');
      if (images.length) {
        const packed = new Float32Array(images.length * this.#imageSize);
        images.forEach((e, i) => packed.set(e.data, i * this.#imageSize));
        const y = this.#condition ? this.#y(Int32Array.from(images, (e) => e.label as number)) : undefined;
        const { mu } = await this.#encodeNow({ data: packed, shape: [images.length, ...this.#info.imageShape] }, y);
        images.forEach((e, i) => {
          e.data = mu.data.slice(i * L, (i + 1) * L);
          e.kind = 'latent';
        });
      }
      const [za, zb] = [ends[0].data, ends[1].data];
      const z = new Float32Array(steps * L);
      const f = method === 'slerp' ? slerp : lerp;
      for (let s = 0; s < steps; s++) f(za, zb, s / (steps - 1), z.subarray(s * L, (s + 1) * L));
      let y: Float32Array | undefined;
      const cond = this.#condition;
      if (cond) {
        const K = cond.classes;
        const [ya, yb] = [oneHot([ends[0].label as number], K), oneHot([ends[1].label as number], K)];
        y = new Float32Array(steps * K);
        for (let s = 0; s < steps; s++) lerp(ya, yb, s / (steps - 1), y.subarray(s * K, (s + 1) * K));
      }
      const out = await this.#decodeNow(z, steps, 'x', y);
      return { ...out, latents: { data: z, shape: [steps, L] } };
    });
  }

  #endpoint(v: unknown, name: string, input: string): { kind: 'image' | 'latent'; data: Float32Array } {
    const L = this.#info.latent;
    let len = -1;
    if (Array.isArray(v) && v.length === 1 && (Array.isArray(v[0]) || ArrayBuffer.isView(v[0]))) len = (v[0] as ArrayLike<number>).length;
    else if (v && typeof v === 'object' && 'data' in (v as object) && !ArrayBuffer.isView(v)) len = (v as { data: ArrayLike<number> }).data?.length ?? -1;
    else if (v && typeof (v as ArrayLike<number>).length === 'number') len = (v as ArrayLike<number>).length;
    const kind = input === 'image' ? 'image' : input === 'latent' ? 'latent' : len === L ? 'latent' : len === this.#imageSize ? 'image' : null;
    if (!kind) {
      throw new VAEInputError(`${name} has ${len < 0 ? 'no' : len} values; expected one image (${this.#imageSize} values) or one latent (${L} values)`);
    }
    if (kind === 'image') {
      const batch = toImageBatch(v, this.#info.imageShape);
      if (batch.shape[0] !== 1) throw new VAEInputError(`${name} holds ${batch.shape[0]} images; expected exactly one`);
      return { kind, data: batch.data };
    }
    const batch = toLatentBatch(v, L);
    if (batch.shape[0] !== 1) throw new VAEInputError(`${name} holds ${batch.shape[0]} latents; expected exactly one of size ${L}`);
    return { kind, data: batch.data };
  }

  /**
   * Varies one latent dimension of `z` over `values`, decoding each.
   *
   * @example
   * ```ts
   * const row = await vae.traverse(new Float32Array(vae.latent), 3, [-3, -1.5, 0, 1.5, 3]);
   * ```
   */
  traverse(z: LatentsInput, dim: number, values: readonly number[], options: EncodeOptions = {}): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('traverse'));
    const L = this.#info.latent;
    let base: Float32Array;
    let label: Int32Array | undefined;
    try {
      options = checkOptions('vae.traverse', options, ENCODE_SCHEMA);
      const b = toLatentBatch(z, L);
      if (b.shape[0] !== 1) throw new VAEInputError(`z holds ${b.shape[0]} latents; expected exactly one of size ${L}`);
      base = b.data;
      if (!Number.isInteger(dim) || dim < 0 || dim >= L) throw new VAEInputError(`dim must be an integer in [0, ${L - 1}], got ${describe(dim)}`);
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new VAEInputError(`values must be a non-empty array of finite numbers, got ${describe(values)}`);
      }
      label = checkLabels(this.#condition, options.label, values.length, 'vae.traverse', { what: 'values' });
    } catch (e) {
      return Promise.reject(e);
    }
    const out = new Float32Array(values.length * L);
    values.forEach((v, i) => {
      out.set(base, i * L);
      out[i * L + dim] = v;
    });
    return this.#enqueue('traverse', async () => ({ ...(await this.#decodeNow(out, values.length, 'x', this.#y(label))), latents: { data: out, shape: [values.length, L] } }));
  }

  /**
   * Decodes an `n × n` grid over two latent dimensions (the others 0), spaced
   * evenly in probability through the normal quantile, as in Kingma & Welling
   * (2014). Row-major: columns sweep `dims[0]` upwards, rows sweep `dims[1]`
   * downwards, so `tile(result, n)` reads like a plot. Meant for 2-D latents.
   * The quantiles are the standard normal's even on a VampPrior model, whose
   * mixture may put little mass on parts of that grid.
   *
   * @example
   * ```ts
   * const grid = tile(await vae.manifold(20), 20);
   * ```
   */
  manifold(n: number, options: ManifoldOptions = {}): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('manifold'));
    const L = this.#info.latent;
    let z: Float32Array;
    let label: Int32Array | undefined;
    try {
      options = checkOptions('vae.manifold', options, MANIFOLD_SCHEMA);
      checkCount('n', n, 256);
      label = checkLabels(this.#condition, options.label, n * n, 'vae.manifold', { what: 'grid cells' });
      const [dx, dy] = options.dims ?? [0, 1];
      if (L < 2) throw new VAEInputError(`manifold needs a latent size >= 2, this model has ${L}`);
      for (const d of [dx, dy]) if (!Number.isInteger(d) || d < 0 || d >= L) throw new VAEInputError(`dims must be integers in [0, ${L - 1}], got ${describe(d)}`);
      if (dx === dy) throw new VAEInputError(`dims must be two different dimensions, got [${dx}, ${dy}]`);
      const [lo, hi] = options.range ?? [0.05, 0.95];
      if (!(lo > 0 && hi < 1 && lo < hi)) throw new VAEInputError(`range must satisfy 0 < lo < hi < 1, got [${lo}, ${hi}]`);
      const q = linspace(lo, hi, n).map(normalQuantile);
      z = new Float32Array(n * n * L);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < n; c++) {
          z[(r * n + c) * L + dx] = q[c];
          z[(r * n + c) * L + dy] = q[n - 1 - r];
        }
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('manifold', async () => ({ ...(await this.#decodeNow(z, n * n, 'x', this.#y(label))), latents: { data: z, shape: [n * n, L] } }));
  }

  /** Waits for queued calls, then releases both sessions. Later calls throw {@link VAEDisposedError}. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#tail;
    await Promise.all([this.#enc.release().catch(noop), this.#dec.release().catch(noop)]);
  }
}

/**
 * A session that starts at its first run ({@link LoadOptions.lazyEncoder}).
 * A failed start is not kept: the next run tries again.
 */
function lazySession(start: () => Promise<BackendSession>): BackendSession {
  let session: Promise<BackendSession> | undefined;
  const get = () => (session ??= start().catch((e) => {
    session = undefined;
    throw e;
  }));
  return {
    inputs: [],
    outputs: [],
    run: (...args) => get().then((s) => s.run(...args)),
    release: async () => {
      await (await session?.catch(noop))?.release();
    },
  };
}

/** The encoder of a lazy load, on the device the decoder runs on. */
async function startEncoder(model: LoadedModel, device: ConcreteDevice, start: (bytes: Uint8Array) => Promise<BackendSession>): Promise<BackendSession> {
  try {
    return await start(model.encoder ?? (await model.readEncoder!()));
  } catch (e) {
    if (e instanceof VAEError) throw e;
    throw new VAEDeviceError(`the encoder could not start on '${device}', where the decoder runs: ${(e as Error)?.message ?? String(e)}`, [], { cause: e });
  }
}

/** {@link startGraph}, then the session's inputs and outputs checked against model.json; one that disagrees is released. */
async function startChecked(m: ModelManifest, graph: 'encoder' | 'decoder', create: () => Promise<BackendSession>, device: ConcreteDevice): Promise<BackendSession> {
  const session = await startGraph(create, m.graphs[graph].file, device);
  try {
    verifySessionIo(m, graph, session.inputs, session.outputs);
  } catch (e) {
    await session.release().catch(noop);
    throw e;
  }
  return session;
}

const MODEL_FAILURE = /protobuf|INVALID_GRAPH|INVALID_PROTOBUF|INVALID_ARGUMENT|NO_MODEL|Load model|ShapeInference|opset|ir_version|Node \(|TypeInference|not supported|Unsupported model/i;

/** Session creation: a graph the baseline device can't load (or that fails to parse anywhere) is a model error, not a device error. */
async function startGraph(create: () => Promise<BackendSession>, file: string, device: ConcreteDevice): Promise<BackendSession> {
  try {
    return await create();
  } catch (e) {
    // The runtime's own files could not be downloaded (offline on a first visit): not the model's fault.
    if (e instanceof VAESourceError) throw e;
    const msg = (e as Error)?.message ?? String(e);
    if (device === 'cpu' || device === 'wasm' || MODEL_FAILURE.test(msg)) {
      throw new VAEModelError(`ONNX Runtime cannot load ${file}: ${msg.split('\n')[0].slice(0, 300)}; expected a valid ONNX graph matching model.json`, { cause: e });
    }
    throw e;
  }
}
