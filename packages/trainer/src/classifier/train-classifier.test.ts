import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { limitSplit, loadMnist } from '../data/datasets.js';
import type { Dataset } from '../data/datasets.js';
import { ClassifierOptionsError, evaluateClassifier, trainClassifier } from './train-classifier.js';

let data: Dataset;
beforeAll(async () => {
  await selectBackend('cpu');
  data = await loadMnist();
});

describe('trainClassifier', () => {
  it('learns: two short epochs lower the cross-entropy and beat chance on held-out digits', async () => {
    const train = limitSplit(data.train, 1024);
    const test = limitSplit(data.test, 500);
    const { model, history } = await trainClassifier(train, test, { epochs: 2, batch: 64, lr: 1e-3, lrDecay: 1, seed: 1 });
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(history[1].trainLoss).toBeLessThan(history[0].trainLoss);
    // Chance is 10%; 32 steps on 1,024 digits reach well above it.
    expect(history[1].testAccuracy).toBeGreaterThan(0.6);
    expect((await evaluateClassifier(model, test)).overall).toBe(history[1].testAccuracy);
    model.dispose();
  });

  it('is reproducible: the same seed gives the same weights', async () => {
    const train = limitSplit(data.train, 128);
    const test = limitSplit(data.test, 10);
    const run = async () => {
      const { model } = await trainClassifier(train, test, { epochs: 1, batch: 64, lr: 1e-3, lrDecay: 1, seed: 9 });
      const p = await model.readParams();
      model.dispose();
      return p;
    };
    const [a, b] = [await run(), await run()];
    for (const [name, v] of a) expect(b.get(name)).toEqual(v);
  });

  it('halves the learning rate each epoch with lrDecay 0.5', async () => {
    const { model, history } = await trainClassifier(limitSplit(data.train, 64), limitSplit(data.test, 10), { epochs: 3, batch: 64, lr: 1e-3, lrDecay: 0.5, seed: 1 });
    expect(history.map((h) => h.lr)).toEqual([1e-3, 5e-4, 2.5e-4]);
    model.dispose();
  });

  it('refuses a batch size that is not a positive integer', async () => {
    await expect(trainClassifier(limitSplit(data.train, 8), limitSplit(data.test, 8), { epochs: 1, batch: 0, lr: 1e-3, lrDecay: 1, seed: 1 })).rejects.toThrow(
      new ClassifierOptionsError('batch must be a positive integer, got 0'),
    );
  });
});
