/** Latent-space paths: linear and spherical interpolation, and grid values. */
import { VAEInputError } from './errors.js';
import { describe } from './random.js';

/**
 * `(1 - t)·a + t·b`, element-wise, written into `out` (a new array by default).
 *
 * @example
 * ```ts
 * import { lerp } from '@vae/sdk';
 * const [a, b] = [gaussianLatents(1, 32, { seed: 1 }), gaussianLatents(1, 32, { seed: 2 })];
 * const mid = lerp(a, b, 0.5);
 * const image = await vae.decode(mid);
 * ```
 */
export function lerp(a: Float32Array, b: Float32Array, t: number, out?: Float32Array): Float32Array {
  out = checkEnds('lerp', a, b, t, out);
  for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
  return out;
}

/**
 * Spherical interpolation (Shoemake; White 2016 for VAEs), which keeps the
 * path at a typical distance from the origin of a Gaussian prior instead of
 * cutting through its low-density centre. Falls back to {@link lerp} when `a`
 * and `b` are (anti)parallel or zero. Exact at t = 0 and t = 1.
 *
 * @example
 * ```ts
 * import { slerp } from '@vae/sdk';
 * const [a, b] = [gaussianLatents(1, 32, { seed: 1 }), gaussianLatents(1, 32, { seed: 2 })];
 * const path = [0, 0.25, 0.5, 0.75, 1].map((t) => slerp(a, b, t));
 * const images = await vae.decode(path);               // rows of latents: 5 images
 * ```
 */
export function slerp(a: Float32Array, b: Float32Array, t: number, out?: Float32Array): Float32Array {
  out = checkEnds('slerp', a, b, t, out);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 1;
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  const s = Math.sin(omega);
  if (s < 1e-6) return lerp(a, b, t, out);
  const ka = Math.sin((1 - t) * omega) / s;
  const kb = Math.sin(t * omega) / s;
  for (let i = 0; i < a.length; i++) out[i] = ka * a[i] + kb * b[i];
  return out;
}

const isVector = (v: unknown): v is ArrayLike<number> => ArrayBuffer.isView(v) ? !(v instanceof DataView) : Array.isArray(v);

/** Both ends must be vectors of one length (a shorter one would read as zeros), `t` a finite number, `out` as long as they are. */
function checkEnds(where: string, a: unknown, b: unknown, t: unknown, out: unknown): Float32Array {
  if (!isVector(a) || !isVector(b)) throw new VAEInputError(`${where}(a, b, t): a and b must be latent vectors (Float32Array or number[]), got ${describe(a)} and ${describe(b)}`);
  if (a.length !== b.length) throw new VAEInputError(`${where}(a, b, t): a has ${a.length} values and b has ${b.length}; expected two latents of the same length`);
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new VAEInputError(`${where}(a, b, t): t must be a finite number (0 → a, 1 → b), got ${describe(t)}`);
  if (out === undefined) return new Float32Array(a.length);
  if (!(out instanceof Float32Array) || out.length !== a.length) throw new VAEInputError(`${where}: out must be a Float32Array of length ${a.length}, got ${describe(out)}`);
  return out;
}

/** `steps` evenly spaced values from `lo` to `hi`, both included. */
export function linspace(lo: number, hi: number, steps: number): number[] {
  if (steps === 1) return [lo];
  return Array.from({ length: steps }, (_, i) => lo + ((hi - lo) * i) / (steps - 1));
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation,
 * relative error < 1.2e-9). Used for manifold grids, which are evenly spaced
 * in probability rather than in z.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new VAEInputError(`probability must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - plow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
