/**
 * Seeded randomness for everything the trainer draws (init, shuffling, noise),
 * so the same seed on the same backend reproduces a run bit for bit, and a
 * resumed run draws exactly what the uninterrupted run would have.
 *
 * The uint32 stream is `@vae/format`'s xoshiro128** (the generator the SDK
 * documents); only the floats built on it are the trainer's own.
 */
import { mix32, Xoshiro128 } from '@vae/format';

/** Derives a stream seed from a base seed and any number of integer labels. */
export function deriveSeed(seed: number, ...labels: number[]): number {
  let h = mix32(seed >>> 0 || 0x9e3779b9);
  for (const l of labels) h = mix32(h ^ mix32((l >>> 0) + 0x632be5ab));
  return h;
}

/** An {@link Rng}'s state: `[a, b, c, d, spare]`. */
export type RngState = [number, number, number, number, number | null];

/** The shared xoshiro128** stream with the uniforms, normals and shuffles the trainer draws. */
export class Rng extends Xoshiro128 {
  private spare: number | null = null;

  /**
   * The generator's exact state: four uint32 words and the cached Box-Muller
   * value (or null), so a run stopped mid-epoch can resume its noise stream.
   */
  getState(): RngState {
    return [...this.getWords(), this.spare];
  }

  /** A generator continuing exactly from a state read by {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const ok = Array.isArray(state) && state.length === 5 && (state[4] === null || Number.isFinite(state[4]));
    if (!ok) throw new RangeError(`RNG state must be [uint32, uint32, uint32, uint32 (not all 0), number | null], got ${JSON.stringify(state)}`);
    const r = new Rng(0);
    try {
      r.setWords(state.slice(0, 4) as number[]);
    } catch {
      throw new RangeError(`RNG state must be [uint32, uint32, uint32, uint32 (not all 0), number | null], got ${JSON.stringify(state)}`);
    }
    r.spare = state[4];
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
