import { describe, expect, it } from 'vitest';
import { scheduledLr } from './lr-schedule.js';

// 10 steps per epoch, 4 epochs: steps 0..39; step s reaches epoch progress (s + 1) / 10.
const at = (step: number, kind: 'constant' | 'cosine', warmupEpochs: number, min = 0) => scheduledLr(step, 10, 4, { lr: 0.01, kind, warmupEpochs, min });

describe('learning-rate schedule', () => {
  it('warms up linearly from 0 over the warm-up epochs, then holds the base rate when constant', () => {
    expect(at(0, 'constant', 2)).toBeCloseTo(0.01 * (0.1 / 2), 15); // 5e-4 at the first step
    expect(at(9, 'constant', 2)).toBeCloseTo(0.005, 15); // half-way through the warm-up
    expect(at(19, 'constant', 2)).toBe(0.01); // end of the warm-up
    expect(at(39, 'constant', 2)).toBe(0.01);
    expect(at(0, 'constant', 0)).toBe(0.01);
  });

  it('decays by a half cosine from the base rate after the warm-up to the floor at the last step', () => {
    // Warm-up 1 epoch, then cosine over the remaining 3 epochs from 0.01 to 0.001.
    expect(at(0, 'cosine', 1, 0.001)).toBeCloseTo(0.001, 15); // 0.01 * 0.1 / 1
    expect(at(9, 'cosine', 1, 0.001)).toBeCloseTo(0.01, 15); // end of warm-up: cos(0) = 1
    // Progress 2.5 epochs: (2.5 - 1) / 3 = 0.5 of the decay, cos(pi/2) = 0: the mean of peak and floor.
    expect(at(24, 'cosine', 1, 0.001)).toBeCloseTo(0.0055, 15);
    // Progress 1.3: p = 0.3 / 3 = 0.1, 0.001 + 0.0045 * (1 + cos(pi/10)), cos(pi/10) = 0.9510565162951535.
    expect(at(12, 'cosine', 1, 0.001)).toBeCloseTo(0.001 + 0.0045 * 1.9510565162951535, 15);
    expect(at(39, 'cosine', 1, 0.001)).toBeCloseTo(0.001, 15); // the last step takes the floor
  });

  it('without warm-up or floor, starts just below the base rate and ends at 0', () => {
    // Step 0 reaches progress 0.1 of 4 epochs: 0.005 * (1 + cos(pi * 0.025)).
    expect(at(0, 'cosine', 0)).toBeCloseTo(0.005 * (1 + 0.996917333733128), 15);
    expect(at(19, 'cosine', 0)).toBeCloseTo(0.005, 15); // the midpoint, 2 of 4 epochs
    expect(at(39, 'cosine', 0)).toBe(0);
  });
});
