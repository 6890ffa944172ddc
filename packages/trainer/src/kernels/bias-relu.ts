/**
 * `VaeBiasRelu` and `VaeBiasReluGrad`: the project's own cpu kernels for
 * `relu(x + bias)` and its gradient, which the model uses after every
 * conv, transposed conv and dense layer without BatchNorm (see
 * ../model/bias-relu.ts).
 *
 * Written with tfjs' ops, the pair costs five passes over the activation
 * (Add, Relu; then Step, Multiply and a Sum for the bias gradient), each
 * allocating a new tensor; these kernels do one pass each way. Their
 * semantics are those of the ops they replace: NaN stays NaN, the bias
 * gradient is summed in float64 like the Sum kernel.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, wasmFor } from './elementwise.js';
import type { KernelArgs } from './fallback.js';
import { f32 } from './fallback.js';
import { columnSums } from './sum.js';

/** Kernel name of `relu(x + bias)`, bias `[C]` over the last axis of `x`. */
export const VAE_BIAS_RELU = 'VaeBiasRelu';
/** Kernel name of its gradient: inputs `dy` and the forward output `y`; outputs `dx` and `dbias`. */
export const VAE_BIAS_RELU_GRAD = 'VaeBiasReluGrad';

/** Element-wise `relu(x + bias)`. */
export function biasReluFast(args: KernelArgs): TensorInfo {
  const { x, bias } = args.inputs;
  const xv = f32(args.backend, x);
  const bv = f32(args.backend, bias);
  const n = xv.length;
  const C = bv.length;
  // The module's pass is vectorised over whole groups of 4 channels.
  const w = C % 4 === 0 ? wasmFor(n) : null;
  const space = w?.arena([n, C, n]);
  if (w && space) {
    const { ptrs: [pX, pB, pOut], heap } = space;
    heap.set(xv, pX >> 2);
    heap.set(bv, pB >> 2);
    w.ew.channel_op(pX, pB, C, pOut, n, 1);
    return args.backend.makeTensorInfo(x.shape, 'float32', heap.slice(pOut >> 2, (pOut >> 2) + n));
  }
  const out = new Float32Array(n);
  const oi = new Int32Array(out.buffer, 0, n);
  // One induction variable and a wrapping bias index: V8 compiles this far
  // better than a loop nest whose inner trip count is a handful of channels.
  for (let i = 0, c = 0; i < n; i++) {
    out[i] = xv[i] + bv[c];
    if (++c === C) c = 0;
    // Branch-free on the sign bit, as in relu.ts (a branch on random signs mispredicts).
    const b = oi[i];
    oi[i] = (b & 0x7fffffff) > 0x7f800000 ? b : b & ~(b >> 31);
  }
  return args.backend.makeTensorInfo(x.shape, 'float32', out);
}

/** `dx = y > 0 ? dy : 0` (NaN where `y` is NaN) and `dbias = Σ dx` over every axis but the last. */
export function biasReluGradFast(args: KernelArgs): TensorInfo[] {
  const { dy, y } = args.inputs;
  const dyv = f32(args.backend, dy);
  const yv = f32(args.backend, y);
  const C = y.shape[y.shape.length - 1];
  const n = yv.length;
  const db = new Float32Array(C);
  const w = wasmFor(n);
  const space = w?.arena([n, n, n]);
  if (w && space) {
    const { ptrs: [pDy, pY, pDx], heap } = space;
    heap.set(dyv, pDy >> 2);
    heap.set(yv, pY >> 2);
    w.ew.relu_grad(pDy, pY, pDx, n);
    columnSums(heap, pDx >> 2, n / C, C, db, 0);
    return [args.backend.makeTensorInfo(y.shape, 'float32', heap.slice(pDx >> 2, (pDx >> 2) + n)), args.backend.makeTensorInfo([C], 'float32', db)];
  }
  const dx = new Float32Array(n);
  const yi = new Int32Array(yv.buffer, yv.byteOffset, n);
  const dyi = new Int32Array(dyv.buffer, dyv.byteOffset, n);
  const dxi = new Int32Array(dx.buffer, 0, n);
  for (let i = 0; i < n; i++) {
    const b = yi[i];
    // relu's output is +0, positive or NaN: (-b >> 31) is all ones exactly
    // when it is positive, and keeps dy's bits.
    dxi[i] = (b & 0x7fffffff) > 0x7f800000 ? b : dyi[i] & (-b >> 31);
  }
  columnSums(dx, 0, n / C, C, db, 0);
  return [args.backend.makeTensorInfo(y.shape, 'float32', dx), args.backend.makeTensorInfo([C], 'float32', db)];
}

/** Registers `relu(x + bias)` on the cpu backend. */
export const biasReluConfig: KernelConfig = {
  kernelName: VAE_BIAS_RELU,
  backendName: 'cpu',
  kernelFunc: asKernelFunc(biasReluFast),
};

/** Registers its gradient on the cpu backend. */
export const biasReluGradConfig: KernelConfig = {
  kernelName: VAE_BIAS_RELU_GRAD,
  backendName: 'cpu',
  kernelFunc: biasReluGradFast as unknown as KernelConfig['kernelFunc'],
};
