/**
 * tfjs' own CPU kernel functions, captured before the project's kernels
 * replace them, so a project kernel can hand off cases it does not specialise
 * (NCHW, dilation, int32, odd broadcasts) to the general implementation.
 */
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

const originals = new Map<string, KernelFunc>();

/** Remembers tfjs' kernel for `kernelName` (first registration wins, so re-registering is harmless). */
export function rememberOriginal(kernelName: string, kernelFunc: KernelFunc): void {
  if (!originals.has(kernelName)) originals.set(kernelName, kernelFunc);
}

/** Whether tfjs' original kernel for `kernelName` has been captured. */
export function hasOriginal(kernelName: string): boolean {
  return originals.has(kernelName);
}

/** Arguments every kernel function receives. */
export interface KernelArgs {
  /** Named inputs; tfjs always passes every input a kernel declares. */
  inputs: Record<string, TensorInfo>;
  backend: MathBackendCPU;
  attrs?: NamedAttrMap;
}

const fallbackCalls = new Map<string, number>();

/**
 * How many times each project kernel has handed a case to tfjs' original since
 * {@link resetFallbackCounts}: a hot path that shows up here runs at tfjs' speed.
 */
export function fallbackCounts(): ReadonlyMap<string, number> {
  return fallbackCalls;
}

/** Starts {@link fallbackCounts} again from zero. */
export function resetFallbackCounts(): void {
  fallbackCalls.clear();
}

/** Runs tfjs' original kernel; throws if the project kernels were never registered. */
export function callOriginal(kernelName: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  fallbackCalls.set(kernelName, (fallbackCalls.get(kernelName) ?? 0) + 1);
  const fn = originals.get(kernelName);
  if (!fn) throw new Error(`no original tfjs cpu kernel captured for ${kernelName}; call registerFastCpuKernels() first`);
  return fn(args as unknown as Parameters<KernelFunc>[0]);
}

/** The float32 values behind a tensor on the cpu backend. */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** tfjs' original kernel function for `kernelName`, if it has been captured (tests compare against it). */
export function originalKernel(kernelName: string): KernelFunc | undefined {
  return originals.get(kernelName);
}
