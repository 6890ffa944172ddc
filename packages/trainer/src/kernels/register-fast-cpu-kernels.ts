/**
 * Registers the project's fast kernels on tfjs' `cpu` backend.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { conv2dConfig } from './conv2d.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { rememberOriginal } from './fallback.js';

/** Every kernel the project replaces, in registration order. */
export const FAST_CPU_KERNELS: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dConfig,
  conv2dBackpropInputConfig,
];

/**
 * Replaces tfjs' cpu kernels with the project's, keeping tfjs' own kernel
 * functions as fallbacks. Idempotent: calling it again changes nothing.
 *
 * tfjs' `registerKernel` refuses a name that is already registered, so each
 * original is captured with `getKernel` and unregistered first.
 */
export function registerFastCpuKernels(): void {
  for (const config of FAST_CPU_KERNELS) {
    const current = getKernel(config.kernelName, 'cpu');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      rememberOriginal(config.kernelName, current.kernelFunc);
      unregisterKernel(config.kernelName, 'cpu');
    }
    registerKernel(config);
  }
}
