import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { limitSplit, loadMnist } from '../data/datasets.js';
import type { Dataset } from '../data/datasets.js';
import type { Rng } from '../rng.js';
import { ClassifierOptionsError, evaluateClassifier, shiftImages, trainClassifier } from './train-classifier.js';

let data: Dataset;
beforeAll(async () => {
  await selectBackend('cpu');
  data = await loadMnist();
});

describe('trainClassifier', () => {
  it('learns: two short epochs lower the cross-entropy and beat chance on held-out digits', async () => {
    const train = limitSplit(data.train, 1024);
    const test = limitSplit(data.test, 500);
    const seen: number[] = [];
    const { model, history } = await trainClassifier(train, test, {
      epochs: 2, batch: 64, lr: 1e-3, lrDecay: 1, shift: 0, seed: 1,
      // Each epoch hands over its confusion on the test split, e.g. for the CLI to save beside the weights.
      onEpoch: (m, _model, t) => {
        expect(t.matrix.flat().reduce((a, b) => a + b, 0)).toBe(500);
        seen.push(t.overall);
      },
    });
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(seen).toEqual(history.map((h) => h.testAccuracy));
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
      const { model } = await trainClassifier(train, test, { epochs: 1, batch: 64, lr: 1e-3, lrDecay: 1, shift: 0, seed: 9 });
      const p = await model.readParams();
      model.dispose();
      return p;
    };
    const [a, b] = [await run(), await run()];
    for (const [name, v] of a) expect(b.get(name)).toEqual(v);
  });

  it('halves the learning rate each epoch with lrDecay 0.5', async () => {
    const { model, history } = await trainClassifier(limitSplit(data.train, 64), limitSplit(data.test, 10), { epochs: 3, batch: 64, lr: 1e-3, lrDecay: 0.5, shift: 0, seed: 1 });
    expect(history.map((h) => h.lr)).toEqual([1e-3, 5e-4, 2.5e-4]);
    model.dispose();
  });

  it('continues from given weights instead of a fresh init', async () => {
    const { model: a } = await trainClassifier(limitSplit(data.train, 64), limitSplit(data.test, 10), { epochs: 1, batch: 64, lr: 1e-3, lrDecay: 1, shift: 0, seed: 1 });
    const start = await a.readParams();
    a.dispose();
    // lr so small that one step leaves the weights within float32 rounding of where they started.
    const { model: b } = await trainClassifier(limitSplit(data.train, 64), limitSplit(data.test, 10), { epochs: 1, batch: 64, lr: 1e-12, lrDecay: 1, shift: 0, seed: 2, from: start });
    const after = await b.readParams();
    b.dispose();
    for (const [name, v] of start) {
      const w = after.get(name)!;
      let diff = 0;
      let big = 0;
      v.forEach((x, i) => {
        diff = Math.max(diff, Math.abs(x - w[i]));
        big = Math.max(big, Math.abs(x));
      });
      expect(diff, name).toBeLessThanOrEqual(1e-6 * big);
    }
  });

  it('refuses a batch size that is not a positive integer', async () => {
    await expect(trainClassifier(limitSplit(data.train, 8), limitSplit(data.test, 8), { epochs: 1, batch: 0, lr: 1e-3, lrDecay: 1, shift: 0, seed: 1 })).rejects.toThrow(
      new ClassifierOptionsError('batch must be a positive integer, got 0'),
    );
  });
});

describe('shiftImages', () => {
  it('moves each image by its own drawn offset, filling with zeros and dropping what leaves the frame', () => {
    const x = new Float32Array(2 * 28 * 28);
    x[5 * 28 + 5] = 1; // image 0: one pixel at row 5, column 5
    x[784 + 0 * 28 + 27] = 0.5; // image 1: top-right corner
    // uniform() draws dy then dx per image; with shift 2 the span is 5, so u in [0.8, 1) -> +2 and [0.2, 0.4) -> -1.
    const draws = [0.9, 0.3, 0.5, 0.9];
    const rng = { uniform: () => draws.shift()! } as unknown as Rng;
    shiftImages(x, 2, 28, 28, 2, rng);
    expect([...x.subarray(0, 784)].flatMap((v, i) => (v ? [[Math.floor(i / 28), i % 28, v]] : []))).toEqual([[7, 4, 1]]);
    // Image 1 moved right by 2 (dy 0): its corner pixel left the frame.
    expect(x.subarray(784).every((v) => v === 0)).toBe(true);
  });
});
