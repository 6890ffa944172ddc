/**
 * "Nice" axis ticks and compact tick labels, shared by the line chart and the
 * latent scatter so both axes read the same way (steps of 1, 2, 2.5 or 5 × 10^k).
 */

/** A numeric axis: the visible range and the tick values inside it. */
export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  /** Tick labels, same order as `ticks`. */
  readonly labels: readonly string[];
}

const MANTISSAS = [1, 2, 2.5, 5];

/**
 * Pads a data range so lines and markers don't sit on the frame, and widens a
 * degenerate range (one point, or a constant loss) so it still has extent.
 */
export function paddedRange(lo: number, hi: number, fraction = 0.05): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const half = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return [lo - half, hi + half];
  }
  const pad = (hi - lo) * fraction;
  return [lo - pad, hi + pad];
}

/**
 * Picks 4–6 "nice" tick values for data spanning [`min`, `max`].
 *
 * Ticks inside the range are preferred (the data then fills the plot); when
 * no nice step yields 4–6 ticks inside, the range may be widened out to the
 * next tick on each side, choosing the step that wastes the least room. The
 * returned ticks may therefore lie slightly outside [`min`, `max`]; callers
 * widen their axis to include them.
 *
 * With `integer` (epoch axes), steps below 1 are not considered and the range
 * is never widened, because half an epoch or an epoch 0 is not a thing; a
 * short run may then get only 1–3 ticks (one per epoch).
 */
export function niceTicks(min: number, max: number, target = 5, integer = false): number[] {
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) return [min];
  const span = max - min;
  const base = Math.floor(Math.log10(span / target));
  let best: { first: number; last: number; step: number } | undefined;
  let bestScore = Infinity;
  let fallback: { first: number; last: number; step: number } | undefined;
  let fallbackScore = Infinity;
  for (let k = base - 1; k <= base + 2; k++) {
    for (const m of MANTISSAS) {
      const step = m * 10 ** k;
      if (integer && (step < 1 || !Number.isInteger(step))) continue;
      // Inside: only ticks within the range.
      const first = Math.ceil(min / step - 1e-9);
      const last = Math.floor(max / step + 1e-9);
      const count = last - first + 1;
      if (count >= 4 && count <= 6) {
        const score = Math.abs(count - target);
        if (score < bestScore) [best, bestScore] = [{ first, last, step }, score];
      } else if (count >= 2) {
        const score = Math.abs(count - target);
        if (score < fallbackScore) [fallback, fallbackScore] = [{ first, last, step }, score];
      }
      // Widened: extend to the enclosing ticks; scored worse than any inside fit.
      // Never for integer axes: widening epochs 1..3 would invent epochs 0 and 4.
      if (integer) continue;
      const wFirst = Math.floor(min / step + 1e-9);
      const wLast = Math.ceil(max / step - 1e-9);
      const wCount = wLast - wFirst + 1;
      if (wCount >= 4 && wCount <= 6) {
        const score = 10 + ((wLast - wFirst) * step) / span;
        if (score < bestScore) [best, bestScore] = [{ first: wFirst, last: wLast, step }, score];
      }
    }
  }
  const pick = best ?? fallback;
  const ticks: number[] = [];
  if (pick) {
    // Multiply from integers rather than accumulating, so 0.1+0.2 drift
    // can't produce a 0.30000000000000004 label.
    for (let i = pick.first; i <= pick.last; i++) ticks.push(Number((i * pick.step).toPrecision(12)));
  } else if (integer) {
    // A very narrow integer axis (e.g. one epoch): show the integers inside it.
    for (let v = Math.ceil(min); v <= Math.floor(max); v++) ticks.push(v);
  }
  return ticks.length > 0 ? ticks : [min, max];
}

/**
 * Formats tick values with just enough digits to tell neighbours apart:
 * "0.25", "107.9", "12000", and exponent form ("1.2e6", "5e-4") for very large
 * or very small magnitudes where fixed notation would crowd the axis.
 */
export function formatTicks(ticks: readonly number[]): string[] {
  if (ticks.length === 0) return [];
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(ticks[0]) || 1;
  const maxAbs = Math.max(...ticks.map(Math.abs));
  const useExp = maxAbs >= 1e6 || (maxAbs > 0 && maxAbs < 1e-3);
  if (useExp) return ticks.map((t) => formatNumber(t, true, exactMantissaDigits(t)));
  // Ticks are multiples of the step, so the step's decimals show every tick exactly.
  const decimals = decimalsFor(step);
  return ticks.map((t) => formatNumber(t, false, decimals));
}

// Fewest mantissa digits that print `t` exactly: 7.5e5 needs 1, or it would
// round to a misleading "8e5".
function exactMantissaDigits(t: number): number {
  for (let d = 0; d < 8; d++) {
    if (Math.abs(Number(t.toExponential(d)) - t) <= Math.abs(t) * 1e-9) return d;
  }
  return 8;
}

/** Formats a single value compactly (for legends or annotations). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return formatNumber(v, true, 2);
  return String(Number(v.toPrecision(4)));
}

function decimalsFor(step: number): number {
  // Decimals needed to show a step exactly: 0.25 -> 2, 0.5 -> 1, 20 -> 0.
  for (let d = 0; d < 10; d++) {
    if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  }
  return 10;
}

function formatNumber(v: number, exp: boolean, digits: number): string {
  if (v === 0) return '0';
  if (!exp) return v.toFixed(digits);
  // "1.20e+6" -> "1.2e6": the bitmap font is narrow, every glyph counts.
  const [mant, e] = v.toExponential(digits).split('e');
  const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  return `${m}e${Number(e)}`;
}

/** Builds an {@link Axis} for data spanning [`lo`, `hi`], with padding and nice ticks. */
export function buildAxis(lo: number, hi: number, opts: { integer?: boolean; pad?: number } = {}): Axis {
  const [pMin, pMax] = paddedRange(lo, hi, opts.pad ?? 0.05);
  const ticks = niceTicks(pMin, pMax, 5, opts.integer ?? false);
  // Widen to any ticks niceTicks placed just outside, so every tick is on the axis.
  const min = Math.min(pMin, ticks[0]);
  const max = Math.max(pMax, ticks[ticks.length - 1]);
  return { min, max, ticks, labels: formatTicks(ticks) };
}
