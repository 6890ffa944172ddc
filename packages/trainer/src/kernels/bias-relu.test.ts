import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from ops in tfjs-core.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { biasRelu } from '../model/bias-relu.js';
import { VAE_BIAS_RELU, VAE_BIAS_RELU_GRAD } from './bias-relu.js';
import { FLOAT32_TOLERANCE, randTensor, rng, scaledDiff, setupCpu } from './test-util.js';

beforeAll(async () => {
  await setupCpu();
});

const shapes = [[3, 5, 5, 8], [2, 4, 4, 64], [4, 6, 6, 1], [7, 3], [2, 3, 3, 5]];

describe('the fused bias + ReLU kernels', () => {
  it.each(shapes)('relu(x + bias) matches float32 arithmetic element by element, NaN kept (%j)', (...shape) => {
    const r = rng(shape.length * 31 + shape[shape.length - 1]);
    const x = randTensor(r, shape);
    const C = shape[shape.length - 1];
    const bias = randTensor(r, [C], 0);
    const xv = x.dataSync().slice();
    xv[1] = NaN;
    const xn = tf.tensor(xv, shape);
    const got = (tf.engine().runKernel(VAE_BIAS_RELU, { x: xn, bias }) as tf.Tensor).dataSync();
    const b = bias.dataSync();
    for (let i = 0; i < xv.length; i++) {
      const v = Math.fround(xv[i] + b[i % C]);
      expect(Object.is(got[i], v < 0 || Object.is(v, -0) ? 0 : v), `element ${i}`).toBe(true);
    }
    tf.dispose([x, bias, xn]);
  });

  it.each(shapes)('its gradient passes dy where the output is positive and sums the bias gradient in float64 (%j)', (...shape) => {
    const r = rng(shape.length * 17 + shape[0]);
    const C = shape[shape.length - 1];
    const y = tf.relu(randTensor(r, shape, 0.3));
    const dy = randTensor(r, shape);
    const [dx, db] = tf.engine().runKernel(VAE_BIAS_RELU_GRAD, { dy, y }) as unknown as tf.Tensor[];
    const yv = y.dataSync();
    const dyv = dy.dataSync();
    const want = new Float64Array(C);
    const dxv = dx.dataSync();
    for (let i = 0; i < yv.length; i++) {
      const g = yv[i] > 0 ? dyv[i] : 0;
      expect(dxv[i], `dx ${i}`).toBe(g);
      want[i % C] += g;
    }
    expect(db.shape).toEqual([C]);
    const dbv = db.dataSync();
    for (let c = 0; c < C; c++) expect(dbv[c]).toBe(Math.fround(want[c]));
    tf.dispose([y, dy, dx, db]);
  });

  it('gives biasRelu the gradients of relu(x + bias) written with tfjs ops (x and bias)', () => {
    const r = rng(5);
    const x = randTensor(r, [4, 7, 7, 16]);
    const bias = randTensor(r, [16], 0);
    const w = randTensor(r, [4, 7, 7, 16]);
    const loss = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), w));
    const fused = tf.grads(loss(biasRelu))([x, bias]);
    const plain = tf.grads(loss((a, b) => tf.relu(tf.add(a, b))))([x, bias]);
    for (let k = 0; k < 2; k++) {
      expect(scaledDiff(fused[k].dataSync(), plain[k].dataSync()), k === 0 ? 'dx' : 'dbias').toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    }
    tf.dispose([x, bias, w, ...fused, ...plain]);
  });
});
