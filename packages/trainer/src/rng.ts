/**
 * Seeded randomness for everything the trainer draws (init, shuffling, noise),
 * so the same seed on the same backend reproduces a run bit for bit, and a
 * resumed run draws exactly what the uninterrupted run would have.
 */

/** Mixes a 32-bit value (murmur3 finaliser); used to derive independent streams. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Derives a stream seed from a base seed and any number of integer labels. */
export function deriveSeed(seed: number, ...labels: number[]): number {
  let h = mix32(seed >>> 0 || 0x9e3779b9);
  for (const l of labels) h = mix32(h ^ mix32((l >>> 0) + 0x632be5ab));
  return h;
}

/** An {@link Rng}'s state: `[a, b, c, d, spare]`. */
export type RngState = [number, number, number, number, number | null];

/** xoshiro128** generator: small state, fast, good statistical quality. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    // splitmix32 expands the seed into a non-zero 128-bit state.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /**
   * The generator's exact state: four uint32 words and the cached Box-Muller
   * value (or null), so a run stopped mid-epoch can resume its noise stream.
   */
  getState(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0, this.spare];
  }

  /** A generator continuing exactly from a state read by {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const ok =
      Array.isArray(state) &&
      state.length === 5 &&
      state.slice(0, 4).every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) <= 0xffffffff) &&
      (state[4] === null || Number.isFinite(state[4])) &&
      state.slice(0, 4).some((w) => w !== 0);
    if (!ok) throw new RangeError(`RNG state must be [uint32, uint32, uint32, uint32 (not all 0), number | null], got ${JSON.stringify(state)}`);
    const r = new Rng(0);
    [r.a, r.b, r.c, r.d] = state.slice(0, 4) as number[];
    r.spare = state[4];
    return r;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal by the Box-Muller transform (the second value is cached). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills a new Float32Array with standard normals. */
  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
