/**
 * The SDK's documented random numbers, so any runtime (Python, a browser, C)
 * can reproduce `sample()`'s latents from a seed:
 *
 * 1. **Seeding — splitmix32.** `s = seed >>> 0`; four times:
 *    `s = (s + 0x9e3779b9) >>> 0; z = s; z = imul(z ^ (z >>> 16), 0x85ebca6b); z = imul(z ^ (z >>> 13), 0xc2b2ae35); z ^= z >>> 16`
 *    gives the state words `a, b, c, d` (all uint32). If all four are 0, `a = 1`.
 * 2. **Uniforms — xoshiro128\*\*.** `r = rotl(imul(b, 5), 7) * 9`, then
 *    `t = b << 9; c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11)`; all uint32.
 * 3. **Gaussians — Box–Muller, in float64.** Draw `r1, r2`;
 *    `u1 = (r1 + 1) / 2^32` (in (0, 1], so the log is finite), `u2 = r2 / 2^32`;
 *    `g1 = sqrt(-2 ln u1) · cos(2π u2)`, `g2 = sqrt(-2 ln u1) · sin(2π u2)`.
 *    Values are used in the order g1, g2, g1, g2, …
 * 4. **Latents.** Element `k` of latent `i` is Gaussian number `i·latent + k`,
 *    times `temperature`, rounded to float32.
 * 5. **VampPrior models** (`model.json` has `prior`, K components): first `n`
 *    uint32 words `r_i` pick each sample's component
 *    `c_i = floor(r_i · K / 2^32)`; then the Gaussians `ε` of step 4 follow on
 *    the same generator (times `temperature`, rounded to float32 as in step 4),
 *    and `z_i = mean[c_i] + exp(logVar[c_i] / 2) · ε_i` in float64, rounded to float32.
 *
 * `Math.log/cos/sin` may differ by an ulp between JS engines and libms; after
 * rounding to float32 the latents agree except in rare last-bit cases.
 */
import type { DecodedPrior } from '@vae/format';
import { Xoshiro128 } from '@vae/format';
import { VAEInputError } from './errors.js';
import { checkOptions, t as types } from './options.js';

// One implementation for the SDK and the trainer; the stream above is its contract.
export { Xoshiro128 };

/** Largest accepted seed (seeds are uint32). */
export const MAX_SEED = 0xffffffff;

const TWO_POW_32 = 4294967296;

/**
 * Fills `out` with standard normal numbers (Box–Muller over {@link Xoshiro128}),
 * multiplied by `scale`, and returns it. Consecutive calls on one generator
 * continue the same stream, so filling in pieces gives the same numbers as one
 * fill only when every piece but the last has even length (values come in pairs).
 *
 * @example
 * ```ts
 * import { fillGaussian, Xoshiro128 } from '@vae/sdk';
 * const eps = fillGaussian(new Xoshiro128(7), new Float32Array(32));      // N(0, 1)
 * const z = fillGaussian(new Xoshiro128(7), new Float32Array(32), 0.5);   // N(0, 0.25): eps · 0.5
 * ```
 */
export function fillGaussian(rng: Xoshiro128, out: Float32Array, scale = 1): Float32Array {
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    const u1 = (rng.nextUint32() + 1) / TWO_POW_32;
    const u2 = rng.nextUint32() / TWO_POW_32;
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u2;
    out[i] = r * Math.cos(th) * scale;
    if (i + 1 < n) out[i + 1] = r * Math.sin(th) * scale;
  }
  return out;
}

/** Options for {@link gaussianLatents}. */
export interface LatentSampleOptions {
  /** uint32 seed; omitted → a fresh random seed (reported by `sample`). */
  seed?: number;
  /** Standard deviation of the prior, `z ~ N(0, temperature²·I)`. Default 1. */
  temperature?: number;
}

/** Throws unless `seed` is an integer in [0, 2^32 - 1]. */
export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new VAEInputError(`seed must be an integer in [0, ${MAX_SEED}], got ${describe(seed)}`);
  }
  return seed;
}

/**
 * Largest temperature whose latents always fit in float32: the generator's
 * largest |ε| is √(2·ln 2³²) ≈ 6.66 (u₁ ≥ 2⁻³²), float32's largest value
 * 3.4e38, and 3.4e38 / 6.66 ≈ 5.1e37, rounded down.
 */
export const MAX_TEMPERATURE = 5e37;

/** Throws unless `t` is a finite number in [0, {@link MAX_TEMPERATURE}]. */
export function checkTemperature(t: unknown): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new VAEInputError(`temperature must be a finite number >= 0, got ${describe(t)}`);
  }
  if (t > MAX_TEMPERATURE) {
    throw new VAEInputError(`temperature ${t} would make latents overflow float32 (largest |ε| 6.66 × ${t} > 3.4e38); expected a temperature in [0, ${MAX_TEMPERATURE}] (1 is the prior)`);
  }
  return t;
}

/** Throws unless `n` is a positive integer (within `max`); `why` explains the maximum. */
export function checkCount(name: string, n: unknown, max = 1 << 24, why?: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > max) {
    throw new VAEInputError(`${name} must be a positive integer <= ${max}, got ${describe(n)}${why && typeof n === 'number' && n > max ? ` (${why})` : ''}`);
  }
  return n;
}

/**
 * Most float32 values one buffer the SDK allocates may hold: 2^28 (1 GiB).
 * Larger requests get a {@link VAEInputError} up front instead of a
 * `RangeError` (or an out-of-memory crash) from the allocation.
 */
export const MAX_BUFFER_VALUES = 2 ** 28;

/**
 * Largest `n` for which `n` rows of `rowSize` float32 values fit in one
 * buffer of {@link MAX_BUFFER_VALUES}, checked like {@link checkCount}.
 * @internal
 */
export function checkRows(name: string, n: unknown, rowSize: number, what: string): number {
  const max = Math.floor(MAX_BUFFER_VALUES / rowSize);
  return checkCount(name, n, max, `the largest ${name} whose ${what} of ${rowSize} float32 values fit in one 1 GiB buffer`);
}

/** A random uint32 seed from the platform's CSPRNG. */
export function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * TWO_POW_32) >>> 0;
}

/**
 * The latents `sample(n, { seed, temperature })` decodes: `n × latent` float32
 * values from the documented generator.
 *
 * @example
 * ```ts
 * import { gaussianLatents } from '@vae/sdk';
 * const z = gaussianLatents(4, 32, { seed: 1 }); // Float32Array(128), same in every runtime
 * ```
 */
export function gaussianLatents(n: number, latent: number, options: LatentSampleOptions = {}): Float32Array {
  // Schema built per call: options.ts imports describe() from here, so nothing of it may run at load time.
  options = checkOptions('gaussianLatents', options, { seed: types.integer, temperature: types.number });
  checkCount('latent', latent);
  checkRows('n', n, latent, 'latents');
  const seed = options.seed === undefined ? randomSeed() : checkSeed(options.seed);
  const t = options.temperature === undefined ? 1 : checkTemperature(options.temperature);
  return fillGaussian(new Xoshiro128(seed), new Float32Array(n * latent), t);
}

/** Short, safe description of a value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v).slice(8, -1)})` : typeof v;
}

/**
 * Draws a VampPrior model's latents in the documented order (step 5 above) on
 * `rng`, freshly seeded: `n` component words, then the Gaussians times `t`.
 * `mix` comes from `decodeManifestPrior`, which has checked its sizes.
 * @internal
 */
export function mixtureLatents(rng: Xoshiro128, n: number, latent: number, mix: DecodedPrior, t: number): Float32Array {
  const c = Array.from({ length: n }, () => Math.floor((rng.nextUint32() * mix.components) / TWO_POW_32));
  const z = fillGaussian(rng, new Float32Array(n * latent), t);
  for (let i = 0; i < z.length; i++) {
    const k = c[Math.floor(i / latent)] * latent + (i % latent);
    z[i] = mix.mean[k] + Math.exp(0.5 * mix.logVar[k]) * z[i];
  }
  return z;
}
