/**
 * Registers the project's fast kernels on tfjs' `cpu` backend.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
// tfjs' cpu kernels must be registered before ours replace them: imported
// here so the originals (our fallbacks) always exist, whatever the caller imported.
import '@tensorflow/tfjs-backend-cpu';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { absConfig } from './abs.js';
import { addConfig } from './add.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { adamUpdateConfig } from './adam-update.js';
import { bceConfig, bceGradConfig } from './bce.js';
import { biasReluConfig, biasReluGradConfig } from './bias-relu.js';
import { conv2dConfig } from './conv2d.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { expConfig } from './exp.js';
import { logConfig } from './log.js';
import { log1pConfig } from './log1p.js';
import { multiplyConfig } from './multiply.js';
import { negConfig } from './neg.js';
import { realDivConfig } from './real-div.js';
import { reluConfig } from './relu.js';
import { sigmoidConfig } from './sigmoid.js';
import { softplusConfig } from './softplus.js';
import { sqrtConfig } from './sqrt.js';
import { squareConfig } from './square.js';
import { stepConfig } from './step.js';
import { subConfig } from './sub.js';
import { sumConfig } from './sum.js';
import { rememberOriginal } from './fallback.js';

/** Every kernel the project replaces, in registration order. */
export const FAST_CPU_KERNELS: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dConfig,
  conv2dBackpropInputConfig,
  batchMatMulConfig,
  sumConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  reluConfig,
  stepConfig,
  negConfig,
  expConfig,
  logConfig,
  log1pConfig,
  absConfig,
  squareConfig,
  sqrtConfig,
  sigmoidConfig,
  softplusConfig,
];

/**
 * Kernels under the project's own names (nothing of tfjs' to replace), for
 * ../model/bias-relu.ts, ../model/loss.ts and ../train/adam.ts; without them the model writes
 * the same maths with tfjs' ops.
 */
export const PROJECT_CPU_KERNELS: readonly KernelConfig[] = [biasReluConfig, biasReluGradConfig, bceConfig, bceGradConfig, adamUpdateConfig];

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
  for (const config of PROJECT_CPU_KERNELS) {
    if (getKernel(config.kernelName, 'cpu')?.kernelFunc !== config.kernelFunc) {
      if (getKernel(config.kernelName, 'cpu')) unregisterKernel(config.kernelName, 'cpu');
      registerKernel(config);
    }
  }
}
