/**
 * The learning rate of each optimizer step: an optional linear warm-up from 0,
 * then either the base rate held (`constant`) or a half-cosine decay from it to
 * a floor (`cosine`, Loshchilov & Hutter's SGDR without restarts), ending at
 * the floor on the run's last step. A pure function of the step, so a resumed
 * run takes exactly the rates of an uninterrupted one.
 */

/** Shape of the learning-rate curve. */
export type LrScheduleKind = 'constant' | 'cosine';

/** Settings of {@link scheduledLr}. */
export interface LrSchedule {
  /** The base (peak) rate, `--lr`. */
  lr: number;
  kind: LrScheduleKind;
  /** Epochs of linear warm-up from 0 (fractional allowed); 0: none. */
  warmupEpochs: number;
  /** Floor the cosine decays to (`--lr-min`); unused by `constant`. */
  min: number;
}

/**
 * The rate for the step with 0-based index `step`. Like the KL warm-up, the
 * curve is read at the epoch progress the step reaches, `(step + 1) /
 * stepsPerEpoch`, so the first step of a warm-up already moves the weights and
 * the last step of a cosine run takes exactly `min`.
 */
export function scheduledLr(step: number, stepsPerEpoch: number, epochs: number, s: LrSchedule): number {
  const e = (step + 1) / stepsPerEpoch;
  if (s.warmupEpochs > 0 && e < s.warmupEpochs) return s.lr * (e / s.warmupEpochs);
  if (s.kind === 'constant') return s.lr;
  const span = epochs - s.warmupEpochs;
  // A warm-up as long as the run leaves no room for a decay: hold the peak.
  if (span <= 0) return s.lr;
  const p = Math.min(1, Math.max(0, (e - s.warmupEpochs) / span));
  return s.min + (s.lr - s.min) * 0.5 * (1 + Math.cos(Math.PI * p));
}
