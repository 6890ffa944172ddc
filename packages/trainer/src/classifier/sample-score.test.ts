import { describe, expect, it } from 'vitest';
import { ClassifyInputError } from './classify.js';
import { scoreProbabilities } from './sample-score.js';

describe('scoreProbabilities', () => {
  it('gives the mean top probability, the argmax histogram and its entropy for hand-made rows', () => {
    // 4 samples over 3 classes: argmax 0, 1, 1, 2; tops 0.7, 0.5, 0.9, 0.4.
    const probs = [0.7, 0.2, 0.1, 0.3, 0.5, 0.2, 0.05, 0.9, 0.05, 0.3, 0.3, 0.4];
    const s = scoreProbabilities(probs, 3);
    expect(s.n).toBe(4);
    expect(s.meanTopProbability).toBeCloseTo((0.7 + 0.5 + 0.9 + 0.4) / 4, 12);
    expect(s.histogram).toEqual([1, 2, 1]);
    // H = -(1/4 ln 1/4 + 1/2 ln 1/2 + 1/4 ln 1/4) = 1.5 ln 2
    expect(s.entropy).toBeCloseTo(1.5 * Math.LN2, 12);
    expect(s.entropyRatio).toBeCloseTo((1.5 * Math.LN2) / Math.log(3), 12);
  });

  it('gives entropy 0 when every sample is the same class and ln K when spread evenly', () => {
    expect(scoreProbabilities([0.9, 0.1, 0.8, 0.2], 2).entropy).toBe(0);
    const even = scoreProbabilities([1, 0, 0, 1], 2);
    expect(even.entropy).toBeCloseTo(Math.LN2, 12);
    expect(even.entropyRatio).toBeCloseTo(1, 12);
  });

  it('breaks ties towards the first class, as tf.argMax does', () => {
    expect(scoreProbabilities([0.5, 0.5], 2).histogram).toEqual([1, 0]);
  });

  it('rejects rows that do not divide into the class count', () => {
    expect(() => scoreProbabilities([0.5, 0.5, 1], 2)).toThrow(ClassifyInputError);
    expect(() => scoreProbabilities([0.5, 0.5, 1], 2)).toThrow('expected a non-empty [n, 2] array of probabilities, got 3 values');
  });

  it('rejects a largest probability outside [0, 1]', () => {
    expect(() => scoreProbabilities([Number.NaN, Number.NaN], 2)).toThrow('row 0 has a largest probability of NaN; expected probabilities in [0, 1]');
  });
});
