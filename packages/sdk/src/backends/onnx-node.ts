/**
 * The only module that imports `onnxruntime-node`. It is loaded lazily on the
 * first `VAE.load`, so importing `@vae/sdk` stays cheap and a broken native
 * install surfaces as a {@link VAEDeviceError} rather than an import crash.
 *
 * onnxruntime-node is an optional dependency (its install script downloads
 * the CUDA provider and fails offline, which must not fail `npm i @vae/sdk`).
 * When it is missing or does not load, device `wasm` runs onnxruntime-web's
 * Node build instead, and `auto` ends there.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as OrtNode from 'onnxruntime-node';
import { wasmFallback } from './onnx-web-node.js';
import { executionProvidersFor } from './registry.js';
import { wrapSession } from './session-adapter.js';
import type { Backend, BackendSession, ConcreteDevice, SessionOptions } from './types.js';

type Ort = typeof OrtNode;
let ortPromise: Promise<Ort> | undefined;

/**
 * Loads onnxruntime-node once. It is a CommonJS package: `require` skips the
 * ESM→CJS translation (`import()` runs cjs-module-lexer over it and
 * onnxruntime-common's re-exports), about 8 ms of a ~20–30 ms import at cold start.
 */
function loadOrt(): Promise<Ort> {
  ortPromise ??= new Promise<Ort>((resolve) => resolve(createRequire(import.meta.url)('onnxruntime-node') as Ort));
  return ortPromise;
}

/** Why onnxruntime-node did not load (first line of the error), or null when it did; loads it on the first call. */
async function nodeLoadError(): Promise<string | null> {
  try {
    await loadOrt();
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** Set once onnxruntime-node failed to load; {@link fallbackFor} reports it. */
let unavailable: string | null = null;

/** Where onnxruntime-node keeps its native libraries for this platform. */
function nativeDir(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/**
 * What to do when `device: 'cuda'` can't start because onnxruntime-node was
 * installed without its CUDA provider: the `ONNXRUNTIME_NODE_INSTALL=cuda12`
 * reinstall. Part of the {@link VAEDeviceError} message for `cuda`.
 *
 * @example
 * ```ts
 * import { CUDA_INSTALL_HINT, VAE, VAEDeviceError } from '@vae/sdk';
 * const vae = await VAE.load(undefined, { device: 'cuda' }).catch((e) => {
 *   if (e instanceof VAEDeviceError) console.error(CUDA_INSTALL_HINT);
 *   throw e;
 * });
 * ```
 */
export const CUDA_INSTALL_HINT =
  'onnxruntime-node ships the CUDA execution provider separately; reinstall it with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm i onnxruntime-node` (needs an NVIDIA GPU, CUDA 12 and cuDNN 9)';

/**
 * What to do when `device: 'webgpu'` finds no GPU adapter in Node: a Vulkan
 * driver, or SwiftShader's ICD from Debian's chromium on a machine without a
 * GPU. Part of the {@link VAEDeviceError} message for `webgpu`.
 */
export const WEBGPU_HINT =
  'Dawn found no GPU adapter: install a Vulkan driver (libvulkan1 plus your GPU\'s ICD); without a GPU, SwiftShader works with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian chromium; its libvulkan.so.1 is in /usr/lib/chromium)';

/** ORT prefixes messages with a source location; keep the human part. */
function lastLine(msg: string): string {
  const first = msg.split('\n')[0];
  const i = first.indexOf(' was false. ');
  return i >= 0 ? first.slice(i + ' was false. '.length) : first;
}

async function precheck(device: ConcreteDevice): Promise<string | null> {
  const err = await nodeLoadError();
  if (err) unavailable = err;
  if (device === 'wasm') return wasmFallback.precheck();
  if (err) return `onnxruntime-node is not installed or failed to load (${err}); reinstall it with \`npm i onnxruntime-node\`, or use device 'wasm' (onnxruntime-web)`;
  const ort = await loadOrt();
  const supported = ort.listSupportedBackends?.() ?? [];
  const entry = supported.find((b) => b.name === device);
  if (!entry) return `this onnxruntime-node build has no '${device}' execution provider`;
  if (device === 'cuda' && !entry.bundled) {
    // Trying it would make the native side log a load failure; check the file first.
    const dir = nativeDir();
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!dir || !existsSync(join(dir, lib))) return `CUDA execution provider not installed (${lib} missing): ${CUDA_INSTALL_HINT}`;
  }
  return null;
}

async function createSession(model: Uint8Array, device: ConcreteDevice, options: SessionOptions): Promise<BackendSession> {
  if (device === 'wasm') return wasmFallback.createSession(model, options);
  const ort = await loadOrt();
  let session: OrtNode.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      executionProviders: executionProvidersFor(device) as never,
      graphOptimizationLevel: 'all',
      // The graphs are tiny; more inter-op threads only add wake-up latency.
      interOpNumThreads: 1,
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      logSeverityLevel: 3,
      // An int8 model's DequantizeLinear → Conv/Gemm would otherwise be fused into
      // kernels that also quantize the activations (measured: encoder mu off by
      // 5e-3 from the graph's own semantics, which onnxruntime-web's wasm computes
      // to 1e-6); no effect on fp32/fp16 graphs, which have no QDQ nodes.
      extra: { session: { disable_quant_qdq: '1' } },
    });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (device === 'cuda') throw new Error(`${msg.split('\n')[0]} — ${CUDA_INSTALL_HINT}`);
    if (device === 'webgpu' && /adapter/i.test(msg)) throw new Error(`${lastLine(msg)} — ${WEBGPU_HINT}`);
    throw e;
  }
  return wrapSession(ort, session);
}

/**
 * The Node backend: `cpu`, `cuda` (when installed) and `webgpu` (Dawn) on
 * onnxruntime-node; `wasm` on onnxruntime-web, the fallback when
 * onnxruntime-node is missing.
 */
export const nodeBackend: Backend = Object.freeze({
  runtime: 'onnxruntime-node',
  devices: Object.freeze(['auto', 'cpu', 'cuda', 'webgpu', 'wasm'] as const),
  // WebGPU is not in auto: for graphs this small a CPU beats GPU dispatch
  // latency, and on machines without a GPU Dawn falls back to a slow software
  // adapter. Ask for it explicitly. wasm is last: only reached when
  // onnxruntime-node can't run on the CPU, i.e. when it is not installed.
  autoOrder: Object.freeze(['cuda', 'cpu', 'wasm'] as const),
  precheck,
  createSession,
  runtimeFor: (device: ConcreteDevice) => (device === 'wasm' ? wasmFallback.runtime : 'onnxruntime-node'),
  fallbackFor(device: ConcreteDevice) {
    if (device !== 'wasm' || unavailable === null) return undefined;
    return `onnxruntime-node is not installed or failed to load (${unavailable}), so this runs on onnxruntime-web's WebAssembly build (CPU, slower); \`npm i onnxruntime-node\` brings back cpu, cuda and webgpu`;
  },
  async capabilities() {
    const err = await nodeLoadError();
    if (err) return { runtime: 'onnxruntime-node', error: err, fallback: wasmFallback.runtime };
    const ort = await loadOrt();
    return { runtime: 'onnxruntime-node', version: ort.env.versions?.common, backends: ort.listSupportedBackends() };
  },
});
