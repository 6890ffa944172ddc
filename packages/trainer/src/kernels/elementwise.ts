/**
 * Shared plumbing of the element-wise kernels. tfjs' generic element-wise
 * kernels call a closure per element and, when broadcasting, convert every
 * flat index to coordinates and back (~30 ns/element); these loops are plain
 * typed-array passes. Each kernel file keeps its own loop so every loop stays
 * monomorphic for V8.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './fallback.js';
import { callOriginal, f32 } from './fallback.js';
import type { WasmGemm } from './wasm/wasm-gemm.js';
import { wasmGemm } from './wasm/wasm-gemm.js';

/**
 * From this many elements an element-wise op runs in WebAssembly SIMD: it
 * pays for copying its operands into the module's memory and the result out
 * (~0.8 ns an element here) with four lanes of arithmetic, against ~4 ns an
 * element for a float32 loop in JS.
 */
export const WASM_ELEMENTWISE_MIN = 4096;

let wasmDisabled = false;

/** The WebAssembly module for element-wise ops of `n` elements, or null (small ops, no SIMD, or turned off). */
export function wasmFor(n: number): WasmGemm | null {
  if (wasmDisabled || n < WASM_ELEMENTWISE_MIN) return null;
  return wasmGemm();
}

/** Turns the WebAssembly element-wise path off or on (specs compare it with the JS loops). */
export function setWasmElementwise(enabled: boolean): void {
  wasmDisabled = !enabled;
}

/** The same-shape binary passes of the module. */
export type WasmBinaryOp = 'add_same' | 'sub_same' | 'mul_same' | 'div_same';

/** The module's `channel_op` mode for each binary op (`x op b[c]`). */
const CHANNEL_MODE: Record<WasmBinaryOp, number> = { add_same: 0, sub_same: 2, mul_same: 3, div_same: 4 };

/** Applies a float32 → float32 loop, deferring other dtypes to tfjs. */
export function unaryFloat32(
  kernelName: string,
  args: KernelArgs,
  loop: (x: Float32Array, out: Float32Array, n: number) => void,
): TensorInfo {
  const x = args.inputs.x;
  if (x.dtype !== 'float32') return callOriginal(kernelName, args) as TensorInfo;
  const xv = f32(args.backend, x);
  const out = new Float32Array(xv.length);
  loop(xv, out, xv.length);
  return args.backend.makeTensorInfo(x.shape, 'float32', out);
}

/**
 * How a binary op's two operands line up with its output, when one operand
 * has the output's shape and the other is that shape with 1s everywhere
 * outside one contiguous run of axes (scalars, biases `[C]` against
 * `[N,H,W,C]`, per-row values `[N,1]` against `[N,D]`, same shapes). Then the
 * small operand's flat index is `floor(i / inner) % small`.
 */
export interface BlockBroadcast {
  /** Which input is full-sized. */
  full: 'a' | 'b';
  /** Size of the smaller operand. */
  small: number;
  /** Output elements per step of the smaller operand. */
  inner: number;
  outShape: number[];
}

/** Classifies a broadcast as a {@link BlockBroadcast}, or `null` for anything more general. */
export function blockBroadcast(aShape: readonly number[], bShape: readonly number[]): BlockBroadcast | null {
  const rank = Math.max(aShape.length, bShape.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const a = pad(aShape);
  const b = pad(bShape);
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (a[d] !== b[d] && a[d] !== 1 && b[d] !== 1) return null;
    out.push(Math.max(a[d], b[d]));
  }
  const aFull = a.every((v, d) => v === out[d]);
  const bFull = b.every((v, d) => v === out[d]);
  if (!aFull && !bFull) return null;
  const full = aFull ? 'a' : 'b';
  const s = aFull ? b : a;
  // Axes where the small operand is not broadcast (size > 1 there).
  let first = -1;
  let last = -1;
  for (let d = 0; d < rank; d++) {
    if (s[d] !== 1) {
      if (first < 0) first = d;
      last = d;
    }
  }
  let small = 1;
  let inner = 1;
  if (first >= 0) {
    for (let d = first; d <= last; d++) {
      // A broadcast axis inside the run makes the pattern non-contiguous.
      if (s[d] !== out[d]) return null;
      small *= s[d];
    }
    for (let d = last + 1; d < rank; d++) inner *= out[d];
  } else {
    inner = out.reduce((p, v) => p * v, 1);
  }
  return { full, small, inner, outShape: out };
}

/** The loops one binary operation provides: `out = a op b` with `b` broadcast, and with `a` broadcast. */
export interface BinaryLoops {
  /** `a` full-sized, `b[floor(i / inner) % small]`. */
  bSmall(a: Float32Array, b: Float32Array, out: Float32Array, small: number, inner: number): void;
  /** `a[floor(i / inner) % small]`, `b` full-sized. */
  aSmall(a: Float32Array, b: Float32Array, out: Float32Array, small: number, inner: number): void;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs a float32 binary op through its block-broadcast loops, or defers to
 * tfjs; large same-shape operands go through the module's `wasmOp` pass, and
 * large `[.., C] op [C]` operands through its channel pass.
 */
export function binaryFloat32(kernelName: string, args: KernelArgs, loops: BinaryLoops, wasmOp?: WasmBinaryOp): TensorInfo {
  const { a, b } = args.inputs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return callOriginal(kernelName, args) as TensorInfo;
  // Same shapes (most calls: activations, gradients, Adam slots) skip the
  // broadcast analysis, which allocates and costs microseconds per call.
  const bb = sameShape(a.shape, b.shape)
    ? { full: 'a' as const, small: a.shape.reduce((p, v) => p * v, 1), inner: 1, outShape: a.shape.slice() }
    : blockBroadcast(a.shape, b.shape);
  if (!bb) return callOriginal(kernelName, args) as TensorInfo;
  const av = f32(args.backend, a);
  const bv = f32(args.backend, b);
  const n = bb.outShape.reduce((p, v) => p * v, 1);
  const w = wasmOp ? wasmFor(n) : null;
  if (w) {
    const sameShape = bb.small === n;
    // A [C] operand against the last axis (bias, BatchNorm scale and shift),
    // vectorised over whole groups of 4 channels; with the small operand
    // first only the commutative ops can swap sides.
    const commutes = wasmOp === 'add_same' || wasmOp === 'mul_same';
    const sided = bb.full === 'a' || commutes;
    const bias = bb.inner === 1 && !sameShape && bb.small % 4 === 0 && sided;
    // A scalar is a channel vector of four equal values over rows of 4.
    const scalar = bb.small === 1 && !sameShape && n % 4 === 0 && sided;
    if (sameShape || bias || scalar) {
      const [big, one] = bb.full === 'a' ? [av, bv] : [bv, av];
      const small = scalar ? new Float32Array(4).fill(one[0]) : one;
      const space = w.arena([n, sameShape ? n : small.length, n]);
      if (space) {
        const { ptrs: [pA, pB, pOut], heap } = space;
        if (sameShape) {
          heap.set(av, pA >> 2);
          heap.set(bv, pB >> 2);
          w.ew[wasmOp!](pA, pB, pOut, n);
        } else {
          heap.set(big, pA >> 2);
          heap.set(small, pB >> 2);
          w.ew.channel_op(pA, pB, small.length, pOut, n, CHANNEL_MODE[wasmOp!]);
        }
        return args.backend.makeTensorInfo(bb.outShape, 'float32', heap.slice(pOut >> 2, (pOut >> 2) + n));
      }
    }
  }
  const out = new Float32Array(n);
  if (n > 0) {
    if (bb.full === 'a') loops.bSmall(av, bv, out, bb.small, bb.inner);
    else loops.aSmall(av, bv, out, bb.small, bb.inner);
  }
  return args.backend.makeTensorInfo(bb.outShape, 'float32', out);
}

/** Casts a typed kernel function to tfjs' `KernelFunc`. */
export const asKernelFunc = (f: (args: KernelArgs) => TensorInfo): KernelFunc => f as unknown as KernelFunc;
