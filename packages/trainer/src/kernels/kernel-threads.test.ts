import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { createVaeModel } from '../model/vae.js';
import { TrainStep } from '../train/train-step.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2dConfig } from './conv2d.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { KernelPoolError } from './kernel-pool.js';
import { JOB } from './parallel-jobs.js';
import { compareWithTfjs, FLOAT32_TOLERANCE, randInt, randTensor, rng, setupCpu } from './test-util.js';
import { setParallelMinMacs, setWasmThreads, wasmGemm } from './wasm/wasm-gemm.js';

let backend: MathBackendCPU;
beforeAll(async () => {
  backend = await setupCpu();
  // Every job on the pool, however small, so random small shapes exercise the split.
  setParallelMinMacs(0);
});
afterAll(() => {
  setParallelMinMacs(undefined);
  setWasmThreads(1);
});

/** Runs a project kernel and returns its output values. */
function run(config: typeof conv2dConfig, inputs: Record<string, tf.Tensor>, attrs: object): Float32Array {
  const info = config.kernelFunc({ inputs, backend, attrs } as unknown as Parameters<typeof config.kernelFunc>[0]) as TensorInfo;
  const v = (backend.readSync(info.dataId) as Float32Array).slice();
  backend.disposeData(info.dataId);
  return v;
}

/** Random NHWC conv cases, from one image to batches whose split across threads is uneven. */
function cases(seed: number, n: number) {
  const r = rng(seed);
  const out = [];
  while (out.length < n) {
    const k = randInt(r, 1, 4);
    const x = [randInt(r, 1, 7), randInt(r, 4, 15), randInt(r, 4, 15), randInt(r, 1, 9)];
    const f = [k, k, x[3], randInt(r, 1, 13)];
    const strides = [randInt(r, 1, 2), randInt(r, 1, 2)];
    const pad = randInt(r, 0, 1) ? 'same' : 'valid';
    const info = tf.backend_util.computeConv2DInfo(x as never, f as never, strides as never, 1, pad);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    out.push({ x, f, strides, pad, dyShape: info.outShape });
  }
  return out;
}

describe('the kernels on several threads', () => {
  it('runs on the WebAssembly path these specs are about', () => {
    expect(wasmGemm()).not.toBeNull();
  });

  it.each(cases(77, 24).map((c, i) => [i, c] as const))(
    'conv case %i gives bit-identical results on 1, 2 and 3 threads, and agrees with tfjs on 3',
    (i, c) => {
      const r = rng(500 + i);
      const x = randTensor(r, c.x);
      const filter = randTensor(r, c.f, 0);
      const dy = randTensor(r, c.dyShape);
      const base = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
      const kernels = [
        [conv2dConfig, { x, filter }, { ...base, dilations: 1 }],
        [conv2dBackpropFilterConfig, { x, dy }, { ...base, filterShape: c.f }],
        [conv2dBackpropInputConfig, { dy, filter }, { ...base, inputShape: c.x }],
      ] as const;
      for (const [config, inputs, attrs] of kernels) {
        setWasmThreads(1);
        const one = run(config, inputs, attrs);
        for (const threads of [2, 3]) {
          setWasmThreads(threads);
          expect(run(config, inputs, attrs), `${config.kernelName} on ${threads} threads`).toEqual(one);
        }
        const agreement = compareWithTfjs(backend, config, inputs, attrs as unknown as NamedAttrMap);
        expect(agreement.scaledDiff, config.kernelName).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
      }
      tf.dispose([x, filter, dy]);
    },
  );

  it('gives bit-identical BatchMatMul results on 1 and 2 threads, rows not a multiple of the micro-kernel', () => {
    const r = rng(3);
    const a = randTensor(r, [2, 37, 29]);
    const b = randTensor(r, [2, 29, 11]);
    setWasmThreads(1);
    const one = run(batchMatMulConfig, { a, b }, { transposeA: false, transposeB: false });
    setWasmThreads(2);
    expect(run(batchMatMulConfig, { a, b }, { transposeA: false, transposeB: false })).toEqual(one);
    tf.dispose([a, b]);
  });

  it('reports a chunk that traps, on whichever thread claimed it, as a KernelPoolError, and keeps working afterwards', () => {
    setWasmThreads(2);
    const g = wasmGemm()!;
    const { ptrs: [p], heap } = g.arena([4096])!;
    const bytes = heap.length * 4;
    // 8 rows of 4 floats, rows `lda` floats apart: rows 0-3 (one chunk) lie
    // inside the memory, rows 4-7 (another) beyond its end.
    const lda = Math.floor(bytes / 16);
    expect(() => g.run([JOB.gemmRows, 8, 4, 4, p, lda, p, 4, p, 4, 0], Infinity)).toThrow(KernelPoolError);
    expect(() => g.run([JOB.gemmRows, 8, 4, 4, p, lda, p, 4, p, 4, 0], Infinity)).toThrow(/a chunk of a kernel job failed \(a WebAssembly trap/);
    heap.fill(1, p >> 2, (p >> 2) + 128);
    g.run([JOB.gemmRows, 8, 4, 4, p, 4, p + 256, 4, p + 512, 4, 0], Infinity);
    expect(Array.from(heap.subarray((p + 512) >> 2, ((p + 512) >> 2) + 32))).toEqual(new Array(32).fill(4));
  });
});

describe('training on several kernel threads', () => {
  it('gives the same losses and weights, bit for bit, on 1 and 2 threads (small arch, 4 Adam steps)', async () => {
    // Back to the default threshold: the real split a training run sees.
    setParallelMinMacs(undefined);
    const trace = async (threads: number) => {
      setWasmThreads(threads);
      const spec = buildArchSpec({ arch: 'small' });
      const model = createVaeModel(spec, 11);
      const step = new TrainStep(model, { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      const r = rng(12);
      const n = 64;
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) {
        const x = Float32Array.from({ length: n * 784 }, () => r());
        const noise = Float32Array.from({ length: n * spec.config.latent }, () => r() - 0.5);
        losses.push((await step.step(x, n, noise, 1)).objective);
      }
      const weights = [...model.params.values()].map((p) => Array.from(p.dataSync()));
      step.dispose();
      model.dispose();
      return { losses, weights };
    };
    const one = await trace(1);
    const two = await trace(2);
    expect(two.losses).toEqual(one.losses);
    expect(two.weights).toEqual(one.weights);
    setParallelMinMacs(0);
  });
});
