import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Conv2DSpec, ResidualSpec } from '@vae/format';
import { buildArchSpec } from '@vae/format';
import { applyLayer, createVaeModel } from './vae.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const conv = (name: string, activation: 'relu' | 'linear'): Conv2DSpec => ({
  kind: 'conv2d', name, inChannels: 1, outChannels: 1, kernelSize: 3, stride: 1,
  pads: { top: 1, bottom: 1, left: 1, right: 1 }, inputShape: [2, 2, 1], outputShape: [2, 2, 1], activation,
});
const block: ResidualSpec = { kind: 'residual', name: 'r', layers: [conv('r_a', 'relu'), conv('r_b', 'linear')], activation: 'relu' };
// 3x3 kernels [kh, kw, 1, 1], flat index ky * 3 + kx.
const kernel = (taps: Record<number, number>) => tf.tensor4d(Array.from({ length: 9 }, (_, i) => taps[i] ?? 0), [3, 3, 1, 1]);

describe('residual block', () => {
  it('computes relu(x + conv_b(relu(conv_a(x)))) with zero padding, on a hand-computed 2x2 case', () => {
    // x = [[1, -2], [3, 4]].
    // conv_a: centre 1, right neighbour 0.5, bias -1 -> [[-1, -3], [4, 3]], relu -> [[0, 0], [4, 3]].
    // conv_b: centre -1, upper neighbour 1, bias 0.5 -> [[0.5, 0.5], [-3.5, -2.5]] (linear).
    // x + that = [[1.5, -1.5], [-0.5, 1.5]], relu -> [[1.5, 0], [0, 1.5]].
    const params: Record<string, tf.Tensor> = {
      'r_a/kernel': kernel({ 4: 1, 5: 0.5 }),
      'r_a/bias': tf.tensor1d([-1]),
      'r_b/kernel': kernel({ 4: -1, 1: 1 }),
      'r_b/bias': tf.tensor1d([0.5]),
    };
    const x = tf.tensor4d([1, -2, 3, 4], [1, 2, 2, 1]);
    const y = applyLayer(block, x, (n) => params[n]);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect([...y.dataSync()]).toEqual([1.5, 0, 0, 1.5]);
  });

  it('passes the gradient through the skip: with zero convs the block is relu(x), d/dx = [x > 0]', () => {
    const zero = { 'r_a/kernel': kernel({}), 'r_a/bias': tf.tensor1d([0]), 'r_b/kernel': kernel({}), 'r_b/bias': tf.tensor1d([0]) } as Record<string, tf.Tensor>;
    const x = tf.tensor4d([1, -2, 3, 0.5], [1, 2, 2, 1]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(applyLayer(block, v, (n) => zero[n])))(x);
    expect([...g.dataSync()]).toEqual([1, 0, 1, 1]);
  });

  it('runs inside a small resBlocks 2 model, wide latent 128: encode and decode keep their shapes', () => {
    const model = createVaeModel(buildArchSpec({ arch: 'small', resBlocks: 2, latent: 128 }), 7);
    const { mu, logvar } = model.encode(tf.zeros([2, 28, 28, 1]) as tf.Tensor4D);
    expect(mu.shape).toEqual([2, 128]);
    expect(logvar.shape).toEqual([2, 128]);
    expect(model.decodeLogits(mu).shape).toEqual([2, 28, 28, 1]);
    expect(model.params.get('decoder/res1_b/kernel')!.shape).toEqual([3, 3, 32, 32]);
    model.dispose();
  });
});
