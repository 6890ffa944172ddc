/**
 * Picks the tfjs backend to train on.
 *
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, loaded
 *   dynamically because they cannot be installed everywhere (their install
 *   downloads libtensorflow); with the -gpu build training runs through CUDA.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` on dawn's `webgpu` package, so
 *   any Vulkan/Metal/D3D12 GPU trains the model.
 * - `cpu`: tfjs' CPU backend with the project's fast kernels registered.
 *
 * `auto` prefers a real GPU and reports in one line what it chose and why the
 * others were not.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { availableParallelism } from 'node:os';
import { setKernelThreads } from '../kernels/gemm.js';
import { wasmGemm } from '../kernels/wasm/wasm-gemm.js';
import { registerFastCpuKernels } from '../kernels/register-fast-cpu-kernels.js';

/** Backend names accepted by `--backend`. */
export const BACKEND_NAMES = Object.freeze(['auto', 'tensorflow', 'webgpu', 'cpu'] as const);
/** A `--backend` value. */
export type BackendRequest = (typeof BACKEND_NAMES)[number];

/** What {@link selectBackend} chose. */
export interface BackendChoice {
  /** The tfjs backend now active (`tensorflow`, `webgpu` or `cpu`). */
  name: 'tensorflow' | 'webgpu' | 'cpu';
  /** Device detail, e.g. `CUDA`, the GPU adapter, or `project CPU kernels`. */
  detail: string;
  /** True when it runs on a GPU. */
  gpu: boolean;
  /** Why each other backend was not used (for `auto`). */
  skipped: Record<string, string>;
  /** One human-readable line. */
  summary: string;
}

/** Thrown when an explicitly requested backend cannot start. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

interface Probe {
  ok: boolean;
  gpu: boolean;
  detail: string;
  activate?: () => Promise<void>;
}

// Module names in variables keep bundlers and tsc from resolving packages
// that are deliberately not dependencies.
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const TFJS_NODE = '@tensorflow/tfjs-node';

async function probeTensorflow(): Promise<Probe> {
  const reasons: string[] = [];
  for (const [mod, gpu] of [
    [TFJS_NODE_GPU, true],
    [TFJS_NODE, false],
  ] as const) {
    try {
      await import(/* @vite-ignore */ mod);
      if (!tf.findBackend('tensorflow')) {
        reasons.push(`${mod} loaded but registered no 'tensorflow' backend (a second copy of @tensorflow/tfjs-core?)`);
        continue;
      }
      return { ok: true, gpu, detail: gpu ? `${mod} (CUDA)` : `${mod} (libtensorflow CPU)`, activate: async () => void (await tf.setBackend('tensorflow')) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      reasons.push(code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? `${mod} not installed` : `${mod} failed to load: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { ok: false, gpu: false, detail: reasons.join('; ') };
}

let webgpuProbe: Promise<Probe> | undefined;

function probeWebgpu(): Promise<Probe> {
  webgpuProbe ??= (async (): Promise<Probe> => {
    let adapter: GPUAdapter | null = null;
    try {
      const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
      if (!g.navigator?.gpu) {
        const dawn = (await import('webgpu')) as unknown as { create: (o: string[]) => GPU; globals: object };
        Object.assign(globalThis, dawn.globals);
        // tfjs-backend-webgpu looks for navigator.gpu, as in a browser.
        Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu: dawn.create([]) }, configurable: true, writable: true });
      }
      adapter = await (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu.requestAdapter();
    } catch (e) {
      return { ok: false, gpu: false, detail: `dawn (webgpu package) failed: ${(e as Error).message.split('\n')[0]}` };
    }
    if (!adapter) return { ok: false, gpu: false, detail: 'no usable WebGPU adapter (Dawn found no Vulkan/Metal/D3D12 device it accepts)' };
    const info = (adapter as unknown as { info?: GPUAdapterInfo }).info;
    const desc = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
    const software = /swiftshader|llvmpipe|lavapipe|software|cpu/i.test(desc) || (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    return {
      ok: true,
      gpu: !software,
      detail: software ? `software adapter ${desc}` : desc,
      activate: async () => {
        await import('@tensorflow/tfjs-backend-webgpu');
        // Run every op on the GPU: tfjs otherwise hands small ops to the CPU
        // backend, which would hide WebGPU kernel bugs from the parity tests.
        tf.env().set('WEBGPU_CPU_FORWARD', false);
        if (!(await tf.setBackend('webgpu'))) throw new BackendUnavailableError('tfjs-backend-webgpu failed to initialise on this adapter');
      },
    };
  })();
  return webgpuProbe;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Threads of the project's CPU kernels (`cpu` backend): the calling thread
   * plus worker threads on a shared WebAssembly memory. Default: the cores
   * available (`os.availableParallelism()`). Results do not depend on it.
   */
  threads?: number;
}

async function activateCpu(threads: number): Promise<string> {
  // Prod mode skips tfjs' debug-only checks and its "install tfjs-node" banner,
  // which would be wrong advice here: the project's kernels are the fast path.
  tf.enableProdMode();
  registerFastCpuKernels();
  setKernelThreads(threads);
  await tf.setBackend('cpu');
  const w = wasmGemm();
  const simd = !w ? 'pure JS, no WebAssembly SIMD' : w.fma ? 'WebAssembly SIMD with FMA' : 'WebAssembly SIMD';
  return `project CPU kernels, ${threads} thread${threads === 1 ? '' : 's'} (${simd})`;
}

/**
 * Activates the requested backend. An explicit request that cannot start
 * throws {@link BackendUnavailableError} naming what is missing.
 */
export async function selectBackend(request: BackendRequest = 'auto', options: SelectBackendOptions = {}): Promise<BackendChoice> {
  if (!BACKEND_NAMES.includes(request)) {
    throw new BackendUnavailableError(`unknown backend "${String(request)}"; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${String(options.threads)}`);
  }
  if (request === 'cpu') {
    return choice('cpu', await activateCpu(threads), false, {});
  }
  if (request === 'tensorflow') {
    const p = await probeTensorflow();
    if (!p.ok) throw new BackendUnavailableError(`backend "tensorflow" unavailable: ${p.detail}. Install @tensorflow/tfjs-node (or -gpu with CUDA 11.2 + cuDNN 8.1) on a machine that can download libtensorflow.`);
    await p.activate!();
    return choice('tensorflow', p.detail, p.gpu, {});
  }
  if (request === 'webgpu') {
    const p = await probeWebgpu();
    if (!p.ok) throw new BackendUnavailableError(`backend "webgpu" unavailable: ${p.detail}`);
    await p.activate!();
    return choice('webgpu', p.detail, p.gpu, {});
  }
  // auto: a real GPU first, then libtensorflow on CPU, then the project's CPU kernels.
  const skipped: Record<string, string> = {};
  const tfp = await probeTensorflow();
  if (tfp.ok && tfp.gpu) {
    await tfp.activate!();
    return choice('tensorflow', tfp.detail, true, skipped);
  }
  const wgp = await probeWebgpu();
  if (wgp.ok && wgp.gpu) {
    try {
      await wgp.activate!();
      skipped.tensorflow = tfp.ok ? 'no GPU build installed' : tfp.detail;
      return choice('webgpu', wgp.detail, true, skipped);
    } catch (e) {
      skipped.webgpu = (e as Error).message;
    }
  } else {
    skipped.webgpu = wgp.ok ? `${wgp.detail} is slower than the cpu backend` : wgp.detail;
  }
  if (tfp.ok) {
    await tfp.activate!();
    return choice('tensorflow', tfp.detail, false, skipped);
  }
  skipped.tensorflow = tfp.detail;
  return choice('cpu', await activateCpu(threads), false, skipped);
}

function choice(name: BackendChoice['name'], detail: string, gpu: boolean, skipped: Record<string, string>): BackendChoice {
  const why = Object.entries(skipped)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  return { name, detail, gpu, skipped, summary: `backend: ${name} (${detail})${why ? ` — not used: ${why}` : ''}` };
}
