/**
 * The `VAE` class: loads a model on the best device and runs encode/decode and
 * everything built on them. Platform-free: it reaches ONNX Runtime only through
 * the backend the `node` or `web` entry point registered.
 */
import { GRAPH_IO } from '@vae/format';
import { startOnDevice } from './backends/registry.js';
import type { BackendSession, ConcreteDevice, Device, WasmOptions } from './backends/types.js';
import type { DeviceFailure } from './errors.js';
import { VAEDisposedError, VAEInputError, VAEModelError } from './errors.js';
import { lerp, linspace, normalQuantile, slerp } from './interpolate.js';
import type { ModelManifest } from './manifest.js';
import { throwIfAborted } from './source/abort.js';
import { DEFAULT_TIMEOUT_MS, readModel } from './source/read-model.js';
import type { LoadProgress, ModelSource } from './source/types.js';
import { verifySessionIo } from './source/validate-graphs.js';
import { checkCount, checkRows, checkSeed, checkTemperature, describe, fillGaussian, randomSeed, Xoshiro128 } from './random.js';
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
  /** Intra-op threads (Node) or WASM threads (browser). Default: the runtime's. */
  threads?: number;
  /** Largest batch sent to the runtime in one run; bigger requests are split. Default 1024. */
  batchSize?: number;
  /**
   * Browser only (ignored in Node): onnxruntime-web's WebAssembly settings,
   * e.g. `{ wasmPaths: '/ort/' }` to serve the runtime's `.wasm` from your own
   * folder, `numThreads`, `proxy`. Global to the page and read when the runtime
   * first starts.
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
  /** Devices tried or skipped before `device`, and why. */
  readonly skipped: readonly DeviceFailure[];
  /** Latent size (the manifest's `latent`): the length of one latent vector. */
  readonly latent: number;
  /** One image's shape, `[channels, height, width]` (`[1, 28, 28]` for MNIST). */
  readonly imageShape: readonly [number, number, number];
  /** Intra-op threads as requested in {@link LoadOptions.threads}; `undefined`: the runtime's default. */
  readonly threads: number | undefined;
  /** Largest batch sent to the runtime in one run ({@link LoadOptions.batchSize}, default 1024). */
  readonly batchSize: number;
}

/** Options for {@link VAE.sample}. */
export interface SampleOptions {
  /** uint32 seed; the same seed gives bit-identical images on the same device. Omitted → random (returned as `seed`). */
  seed?: number;
  /** `z ~ N(0, temperature²·I)`; default 1. Lower values give cleaner, less varied digits. */
  temperature?: number;
}

/** Images from {@link VAE.sample}, with the latents and seed that made them. */
export interface SampleResult extends ImageBatch {
  readonly latents: LatentBatch;
  readonly seed: number;
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
}

/** Options for {@link VAE.manifold}. */
export interface ManifoldOptions {
  /** Which two latent dimensions span the grid; default `[0, 1]`. */
  dims?: readonly [number, number];
  /** Probability range mapped through the normal quantile; default `[0.05, 0.95]`. */
  range?: readonly [number, number];
}

/** Options for {@link VAE.decode}. */
export interface DecodeOptions {
  /** `'x'` (default): pixel means in [0, 1]; `'logits'`: Bernoulli logits, for likelihoods. */
  output?: 'x' | 'logits';
}

const noop = () => {};
const FETCH_X = Object.freeze([GRAPH_IO.x]);
const FETCH_LOGITS = Object.freeze([GRAPH_IO.logits]);

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
   * @param source - a folder, a URL, or bytes; omitted → the MNIST model shipped in the package
   * @throws {@link VAESourceError} when the source can't be read, {@link VAEModelError} when the
   *   files are corrupt or disagree with `model.json`, {@link VAEDeviceError} when no device starts
   *
   * @example
   * ```ts
   * const vae = await VAE.load();                                     // bundled model, best device
   * const gpu = await VAE.load('./models/mnist', { device: 'cuda' }); // throws if CUDA is missing
   * console.log(vae.info.executionProvider, vae.info.skipped);
   * ```
   */
  static async load(source?: ModelSource, options: LoadOptions = {}): Promise<VAE> {
    if (options === null || typeof options !== 'object') throw new VAEInputError(`options must be an object, got ${describe(options)}`);
    const threads = options.threads;
    if (threads !== undefined) checkCount('threads', threads, 1024);
    const batchSize = options.batchSize === undefined ? 1024 : checkCount('batchSize', options.batchSize, 1 << 20);
    const wasm = checkWasm(options.wasm);
    const { signal, onProgress } = options;
    const timeoutMs = checkReadOptions(options);
    const model = await readModel(source, { signal, timeoutMs, onProgress });
    const m = model.manifest;
    throwIfAborted(signal, 'the model');
    const started = await startOnDevice(options.device, async (backend, device) => {
      // Both sessions start together: graph optimisation of one overlaps the other (cold start).
      const [e, d] = await Promise.allSettled([
        startGraph(() => backend.createSession(model.encoder, device, { threads, wasm }), m.graphs.encoder.file, device),
        startGraph(() => backend.createSession(model.decoder, device, { threads, wasm }), m.graphs.decoder.file, device),
      ]);
      if (e.status === 'rejected' || d.status === 'rejected') {
        await Promise.all([e, d].map((r) => (r.status === 'fulfilled' ? r.value.release().catch(noop) : undefined)));
        throw e.status === 'rejected' ? e.reason : (d as PromiseRejectedResult).reason;
      }
      const [enc, dec] = [e.value, d.value];
      try {
        verifySessionIo(m, 'encoder', enc.inputs, enc.outputs);
        verifySessionIo(m, 'decoder', dec.inputs, dec.outputs);
      } catch (e) {
        await Promise.all([enc.release().catch(noop), dec.release().catch(noop)]);
        throw e;
      }
      return { enc, dec };
    });
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
      skipped: Object.freeze(started.skipped),
      latent: m.latent,
      imageShape: Object.freeze([...m.imageShape]) as unknown as readonly [number, number, number],
      threads,
      batchSize,
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
  ): Promise<Record<string, Float32Array>> {
    const bs = this.#info.batchSize;
    if (n <= bs) return session.run(input, data, [n, ...tail], fetches);
    return this.#runChunks(session, input, data, n, rowIn, tail, fetches, rowsOut, bs);
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
  ): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    fetches.forEach((f, i) => (out[f] = new Float32Array(n * rowsOut[i])));
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const r = await session.run(input, data.subarray(s * rowIn, (s + m) * rowIn), [m, ...tail], fetches);
      fetches.forEach((f, i) => out[f].set(r[f], s * rowsOut[i]));
    }
    return out;
  }

  /**
   * Encodes images to the posterior's mean and log-variance.
   *
   * @param images - `[N,1,28,28]` float32 in [0, 1], uint8 (scaled by 1/255), `number[][]`, or a tensor-like
   * @throws {@link VAEInputError} naming the expected shape, dtype, length or range
   *
   * @example
   * ```ts
   * const { mu, logvar } = await vae.encode(imagesFromPng(await readFile('3.png')));
   * ```
   */
  encode(images: ImagesInput): Promise<{ mu: LatentBatch; logvar: LatentBatch }> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('encode'));
    let batch: ImageBatch;
    try {
      batch = toImageBatch(images, this.#info.imageShape);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('encode', () => this.#encodeNow(batch));
  }

  async #encodeNow(batch: ImageBatch): Promise<{ mu: LatentBatch; logvar: LatentBatch }> {
    const n = batch.shape[0];
    const L = this.#info.latent;
    const r = await this.#runBatched(this.#enc, GRAPH_IO.x, batch.data, n, this.#imageSize, batch.shape.slice(1), [GRAPH_IO.mu, GRAPH_IO.logvar], [L, L]);
    return { mu: { data: r[GRAPH_IO.mu], shape: [n, L] }, logvar: { data: r[GRAPH_IO.logvar], shape: [n, L] } };
  }

  /**
   * Decodes latents to images (pixel means in [0, 1], or logits).
   *
   * @param z - `[N, latent]` float32, `number[][]`, or one `number[]` vector
   * @throws {@link VAEInputError} for a latent of the wrong size or non-finite values
   *
   * @example
   * ```ts
   * const images = await vae.decode(new Float32Array(vae.latent)); // the prior's mean
   * ```
   */
  decode(z: LatentsInput, options: DecodeOptions = {}): Promise<ImageBatch> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('decode'));
    let batch: LatentBatch;
    const output = options?.output ?? 'x';
    try {
      if (output !== 'x' && output !== 'logits') throw new VAEInputError(`output must be 'x' or 'logits', got ${describe(output)}`);
      batch = toLatentBatch(z, this.#info.latent);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('decode', () => this.#decodeNow(batch.data, batch.shape[0], output));
  }

  #decodeNow(z: Float32Array, n: number, output: 'x' | 'logits' = 'x'): Promise<ImageBatch> {
    const [c, h, w] = this.#info.imageShape;
    const fetches = output === 'x' ? FETCH_X : FETCH_LOGITS;
    return this.#runBatched(this.#dec, GRAPH_IO.z, z, n, this.#info.latent, [this.#info.latent], fetches, [this.#imageSize]).then((r) => ({
      data: r[fetches[0]],
      shape: [n, c, h, w] as const,
    }));
  }

  /**
   * Draws `n` digits from the prior: `z ~ N(0, temperature²·I)` from the
   * documented generator (see `gaussianLatents`), decoded in batches.
   *
   * @throws {@link VAEInputError} for `n <= 0`, a non-integer `n`, an `n` whose images would not
   *   fit in one 1 GiB buffer (342,392 for 28×28; the message names the maximum), a bad seed or temperature
   *
   * @example
   * ```ts
   * const a = await vae.sample(16, { seed: 42 });
   * const b = await vae.sample(16, { seed: 42 }); // bit-identical to a on the same device
   * ```
   */
  sample(n: number, options: SampleOptions = {}): Promise<SampleResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('sample'));
    let z: Float32Array;
    let seed: number;
    try {
      // The decoded images are the bigger buffer: n·784 float32 values for MNIST.
      checkRows('n', n, Math.max(this.#imageSize, this.#info.latent), 'images');
      seed = options?.seed === undefined ? randomSeed() : checkSeed(options.seed);
      const t = options?.temperature === undefined ? 1 : checkTemperature(options.temperature);
      z = fillGaussian(new Xoshiro128(seed), new Float32Array(n * this.#info.latent), t);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('sample', async () => {
      const images = await this.#decodeNow(z, n);
      return { ...images, latents: { data: z, shape: [n, this.#info.latent] }, seed };
    });
  }

  /**
   * Encodes and decodes images. Uses the posterior mean by default; with
   * `{ sample: true }` draws `z = μ + σ·ε` with ε from the seeded generator.
   *
   * @example
   * ```ts
   * const recon = await vae.reconstruct(images);
   * ```
   */
  reconstruct(images: ImagesInput, options: { sample?: boolean; seed?: number } = {}): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('reconstruct'));
    let batch: ImageBatch;
    let rng: Xoshiro128 | undefined;
    try {
      batch = toImageBatch(images, this.#info.imageShape);
      if (options?.sample) rng = new Xoshiro128(options.seed === undefined ? randomSeed() : checkSeed(options.seed));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('reconstruct', async () => {
      const { mu, logvar } = await this.#encodeNow(batch);
      let z = mu.data;
      if (rng) {
        const eps = fillGaussian(rng, new Float32Array(z.length));
        z = new Float32Array(z.length);
        for (let i = 0; i < z.length; i++) z[i] = mu.data[i] + Math.exp(0.5 * logvar.data[i]) * eps[i];
      }
      const out = await this.#decodeNow(z, batch.shape[0]);
      return { ...out, latents: { data: z, shape: mu.shape } };
    });
  }

  /**
   * Decodes a path from `a` to `b` (both ends included). `a` and `b` are
   * single images (encoded to their posterior means) or single latents.
   *
   * @example
   * ```ts
   * const path = await vae.interpolate(three, eight, { steps: 10, method: 'slerp' });
   * ```
   */
  interpolate(a: ImagesInput | LatentsInput, b: ImagesInput | LatentsInput, options: InterpolateOptions = {}): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('interpolate'));
    const steps = options?.steps ?? 10;
    const method = options?.method ?? 'linear';
    const input = options?.input ?? 'auto';
    let ends: { kind: 'image' | 'latent'; data: Float32Array }[];
    try {
      if (!Number.isInteger(steps) || steps < 2 || steps > 1 << 16) throw new VAEInputError(`steps must be an integer in [2, 65536], got ${describe(steps)}`);
      if (method !== 'linear' && method !== 'slerp') throw new VAEInputError(`method must be 'linear' or 'slerp', got ${describe(method)}`);
      if (!['auto', 'image', 'latent'].includes(input)) throw new VAEInputError(`input must be 'auto', 'image' or 'latent', got ${describe(input)}`);
      ends = [this.#endpoint(a, 'a', input), this.#endpoint(b, 'b', input)];
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue('interpolate', async () => {
      const L = this.#info.latent;
      const images = ends.filter((e) => e.kind === 'image');
      if (images.length) {
        const packed = new Float32Array(images.length * this.#imageSize);
        images.forEach((e, i) => packed.set(e.data, i * this.#imageSize));
        const { mu } = await this.#encodeNow({ data: packed, shape: [images.length, ...this.#info.imageShape] });
        images.forEach((e, i) => {
          e.data = mu.data.slice(i * L, (i + 1) * L);
          e.kind = 'latent';
        });
      }
      const [za, zb] = [ends[0].data, ends[1].data];
      const z = new Float32Array(steps * L);
      const f = method === 'slerp' ? slerp : lerp;
      for (let s = 0; s < steps; s++) f(za, zb, s / (steps - 1), z.subarray(s * L, (s + 1) * L));
      const out = await this.#decodeNow(z, steps);
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
  traverse(z: LatentsInput, dim: number, values: readonly number[]): Promise<PathResult> {
    if (this.#disposed) return Promise.reject(new VAEDisposedError('traverse'));
    const L = this.#info.latent;
    let base: Float32Array;
    try {
      const b = toLatentBatch(z, L);
      if (b.shape[0] !== 1) throw new VAEInputError(`z holds ${b.shape[0]} latents; expected exactly one of size ${L}`);
      base = b.data;
      if (!Number.isInteger(dim) || dim < 0 || dim >= L) throw new VAEInputError(`dim must be an integer in [0, ${L - 1}], got ${describe(dim)}`);
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new VAEInputError(`values must be a non-empty array of finite numbers, got ${describe(values)}`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const out = new Float32Array(values.length * L);
    values.forEach((v, i) => {
      out.set(base, i * L);
      out[i * L + dim] = v;
    });
    return this.#enqueue('traverse', async () => ({ ...(await this.#decodeNow(out, values.length)), latents: { data: out, shape: [values.length, L] } }));
  }

  /**
   * Decodes an `n × n` grid over two latent dimensions (the others 0), spaced
   * evenly in probability through the normal quantile, as in Kingma & Welling
   * (2014). Row-major: columns sweep `dims[0]` upwards, rows sweep `dims[1]`
   * downwards, so `tile(result, n)` reads like a plot. Meant for 2-D latents.
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
    try {
      checkCount('n', n, 256);
      const [dx, dy] = options?.dims ?? [0, 1];
      if (L < 2) throw new VAEInputError(`manifold needs a latent size >= 2, this model has ${L}`);
      for (const d of [dx, dy]) if (!Number.isInteger(d) || d < 0 || d >= L) throw new VAEInputError(`dims must be integers in [0, ${L - 1}], got ${describe(d)}`);
      if (dx === dy) throw new VAEInputError(`dims must be two different dimensions, got [${dx}, ${dy}]`);
      const [lo, hi] = options?.range ?? [0.05, 0.95];
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
    return this.#enqueue('manifold', async () => ({ ...(await this.#decodeNow(z, n * n)), latents: { data: z, shape: [n * n, L] } }));
  }

  /** Waits for queued calls, then releases both sessions. Later calls throw {@link VAEDisposedError}. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#tail;
    await Promise.all([this.#enc.release().catch(noop), this.#dec.release().catch(noop)]);
  }
}

function checkWasm(w: WasmOptions | undefined): WasmOptions | undefined {
  if (w === undefined) return undefined;
  if (w === null || typeof w !== 'object') throw new VAEInputError(`wasm must be an object like { wasmPaths, numThreads, proxy }, got ${describe(w)}`);
  const p = w.wasmPaths;
  const ref = (v: unknown) => typeof v === 'string' || v instanceof URL;
  if (p !== undefined && !ref(p) && !(typeof p === 'object' && p !== null && Object.values(p).every((v) => v === undefined || ref(v)))) {
    throw new VAEInputError(`wasm.wasmPaths must be a URL prefix (string or URL) or { mjs, wasm } URLs, got ${describe(p)}`);
  }
  if (w.numThreads !== undefined) checkCount('wasm.numThreads', w.numThreads, 1024);
  if (w.proxy !== undefined && typeof w.proxy !== 'boolean') throw new VAEInputError(`wasm.proxy must be a boolean, got ${describe(w.proxy)}`);
  return w;
}

/** The reading options of {@link LoadOptions}; returns the idle timeout to use. */
function checkReadOptions(o: LoadOptions): number {
  const s = o.signal as unknown;
  if (s !== undefined && (s === null || typeof s !== 'object' || typeof (s as AbortSignal).aborted !== 'boolean' || typeof (s as AbortSignal).addEventListener !== 'function')) {
    throw new VAEInputError(`signal must be an AbortSignal (e.g. new AbortController().signal), got ${describe(s)}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new VAEInputError(`onProgress must be a function ({ file, loaded, total }) => void, got ${describe(o.onProgress)}`);
  const t = o.timeoutMs;
  if (t === undefined) return DEFAULT_TIMEOUT_MS;
  // setTimeout holds at most 2^31-1 ms; a longer wait is for ever in practice.
  if (t === Infinity) return t;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 2 ** 31 - 1) {
    throw new VAEInputError(`timeoutMs must be a positive number of milliseconds up to ${2 ** 31 - 1}, or Infinity, got ${describe(t)}`);
  }
  return t;
}

const MODEL_FAILURE = /protobuf|INVALID_GRAPH|INVALID_PROTOBUF|INVALID_ARGUMENT|NO_MODEL|Load model|ShapeInference|opset|ir_version|Node \(|TypeInference|not supported|Unsupported model/i;

/** Session creation: a graph the baseline device can't load (or that fails to parse anywhere) is a model error, not a device error. */
async function startGraph(create: () => Promise<BackendSession>, file: string, device: ConcreteDevice): Promise<BackendSession> {
  try {
    return await create();
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (device === 'cpu' || device === 'wasm' || MODEL_FAILURE.test(msg)) {
      throw new VAEModelError(`ONNX Runtime cannot load ${file}: ${msg.split('\n')[0].slice(0, 300)}; expected a valid ONNX graph matching model.json`, { cause: e });
    }
    throw e;
  }
}
