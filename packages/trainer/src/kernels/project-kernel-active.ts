/**
 * Whether a fused op should run its project kernel: only on the `cpu`
 * backend, and only while the kernel is registered (the specs unregister it
 * to get the tfjs-ops formulation as a reference).
 */
import * as tf from '@tensorflow/tfjs-core';

/** True when the active backend is `cpu` and `kernelName` is registered on it. */
export function projectKernelActive(kernelName: string): boolean {
  return tf.getBackend() === 'cpu' && tf.getKernel(kernelName, 'cpu') !== undefined;
}
