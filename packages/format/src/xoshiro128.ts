/**
 * The one seeded generator of the project: splitmix32 seeding into
 * xoshiro128**. The SDK documents its stream (so any runtime can reproduce
 * `sample()`'s latents from a seed) and the trainer draws from it for
 * initialisation, shuffling and noise (so a resumed run draws exactly what the
 * uninterrupted one would have). Each builds its own floats on top:
 * the SDK's Box–Muller (`fillGaussian`) and the trainer's `Rng`.
 *
 * 1. **Seeding: splitmix32.** `s = seed >>> 0`; four times:
 *    `s = (s + 0x9e3779b9) >>> 0; z = mix32(s)` gives the state words `a, b, c, d`
 *    (all uint32), where `mix32(z) = z ^= z >>> 16; z = imul(z, 0x85ebca6b); z ^= z >>> 13; z = imul(z, 0xc2b2ae35); z ^= z >>> 16`.
 *    If all four are 0, `a = 1`.
 * 2. **Uniforms: xoshiro128\*\*.** `r = rotl(imul(b, 5), 7) * 9`, then
 *    `t = b << 9; c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11)`; all uint32.
 */

/**
 * The murmur3 / splitmix32 finaliser: mixes a 32-bit value into a uint32.
 *
 * @example
 * ```ts
 * import { mix32 } from '@vae/format';
 * const h = mix32(0x9e3779b9); // a well-mixed uint32
 * ```
 */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded with splitmix32; see the module docs for the exact
 * algorithm, which any runtime can reimplement.
 *
 * @example
 * ```ts
 * import { Xoshiro128 } from '@vae/sdk';
 * const rng = new Xoshiro128(42);
 * const r = rng.nextUint32();                 // the same uint32 stream for seed 42 everywhere
 * const u = rng.nextUint32() / 2 ** 32;       // a uniform in [0, 1)
 * ```
 */
export class Xoshiro128 {
  // Kept as int32 between calls (only `nextUint32`'s result is made unsigned):
  // every operation on them is a 32-bit xor, shift or imul, so the sign is moot.
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed - an integer in [0, 2^32 - 1] (other numbers are taken `>>> 0`) */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /**
   * The four state words as uint32s, so a stopped run can continue the exact
   * stream later with {@link Xoshiro128.setWords}.
   */
  getWords(): [number, number, number, number] {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /**
   * Continues from words read by {@link Xoshiro128.getWords}.
   * @throws RangeError unless they are four uint32s, not all 0 (a state xoshiro never reaches)
   */
  setWords(words: readonly number[]): void {
    const ok = Array.isArray(words) && words.length === 4 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && words.some((w) => w !== 0);
    if (!ok) throw new RangeError(`xoshiro128 state must be four uint32 words, not all 0; got ${JSON.stringify(words)}`);
    [this.#a, this.#b, this.#c, this.#d] = words.map((w) => w | 0);
  }

  /** Next uint32 of the stream. */
  nextUint32(): number {
    const b = this.#b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.#c ^= this.#a;
    this.#d ^= b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
