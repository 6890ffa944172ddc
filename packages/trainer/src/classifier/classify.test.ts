import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { classifierFromParams, initClassifierParams } from './classifier-model.js';
import { ClassifyInputError, classify, tally } from './classify.js';
import { crossEntropy } from './train-classifier.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('tally', () => {
  it('counts each (requested, predicted) pair and the per-class and overall accuracy', () => {
    const t = tally([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2], 3);
    expect(t.matrix).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(t.perClass).toEqual([0.5, 1, 0.5]);
    expect(t.overall).toBeCloseTo(4 / 6, 12);
  });

  it('refuses a prediction out of range, naming it and the range', () => {
    expect(() => tally([0, 1], [0, 3], 3)).toThrow(ClassifyInputError);
    expect(() => tally([0, 1], [0, 3], 3)).toThrow('label 1 / prediction 3 at index 1 is out of range; expected integers in 0..2');
  });

  it('refuses label and prediction lists of different lengths', () => {
    expect(() => tally([0, 1], [0], 3)).toThrow('2 true labels but 1 predictions; expected one prediction per label');
  });
});

describe('classify', () => {
  it('gives the argmax of the logits, whatever the batch size', async () => {
    const model = classifierFromParams(initClassifierParams(5));
    const n = 7;
    const x = new Float32Array(n * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
    const want = tf.tidy(() => tf.argMax(model.logits(tf.tensor4d(x, [n, 28, 28, 1])), 1).dataSync());
    expect(await classify(model, x, n, 3)).toEqual(Uint8Array.from(want));
    model.dispose();
  });

  it('refuses images of the wrong size, naming the size it expected', async () => {
    const model = classifierFromParams(initClassifierParams(5));
    await expect(classify(model, new Float32Array(783), 1)).rejects.toThrow(new ClassifyInputError('expected 1 images of 28x28x1 (784 floats), got 783 floats'));
    model.dispose();
  });
});

describe('crossEntropy', () => {
  it('is the mean of -log softmax at the true class', () => {
    const logits = [
      [2, 0, -1],
      [0.5, 0.5, 3],
    ];
    const want =
      (-(2 - Math.log(Math.exp(2) + 1 + Math.exp(-1))) - (3 - Math.log(2 * Math.exp(0.5) + Math.exp(3)))) / 2;
    const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), Uint8Array.from([0, 2])).dataSync()[0]);
    expect(got).toBeCloseTo(want, 5);
  });
});
