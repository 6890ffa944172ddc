import { describe, expect, it } from 'vitest';
import { mix32, Xoshiro128 } from './xoshiro128.js';

const M = 0xffffffffn;

/** Independent BigInt version of the documented mix32, to pin the spec rather than the code. */
function mix32Ref(x: bigint): bigint {
  x = ((x ^ (x >> 16n)) * 0x85ebca6bn) & M;
  x = ((x ^ (x >> 13n)) * 0xc2b2ae35n) & M;
  return x ^ (x >> 16n);
}

/** Independent BigInt version of the documented seeding and xoshiro128** step. */
function streamRef(seed: number, count: number): number[] {
  let s = BigInt(seed >>> 0);
  const sm = () => {
    s = (s + 0x9e3779b9n) & M;
    return mix32Ref(s);
  };
  let [a, b, c, d] = [sm(), sm(), sm(), sm()];
  if ((a | b | c | d) === 0n) a = 1n;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((b * 5n) & M, 7n) * 9n) & M));
    const t = (b << 9n) & M;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11n);
  }
  return out;
}

describe('Xoshiro128', () => {
  it('draws the documented uint32 stream for edge and ordinary seeds', () => {
    for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff]) {
      const r = new Xoshiro128(seed);
      expect(Array.from({ length: 1000 }, () => r.nextUint32()), `seed ${seed}`).toEqual(streamRef(seed, 1000));
    }
  });

  it('returns unsigned 32-bit integers', () => {
    const r = new Xoshiro128(7);
    for (let i = 0; i < 10_000; i++) {
      const v = r.nextUint32();
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
    }
  });
});

describe('Xoshiro128 state', () => {
  it('continues the exact stream from words read mid-way', () => {
    const r = new Xoshiro128(9);
    for (let i = 0; i < 37; i++) r.nextUint32();
    const words = r.getWords();
    const next = Array.from({ length: 50 }, () => r.nextUint32());
    const resumed = new Xoshiro128(0);
    resumed.setWords(words);
    expect(Array.from({ length: 50 }, () => resumed.nextUint32())).toEqual(next);
  });

  it('refuses words xoshiro cannot hold, naming what it expected', () => {
    const r = new Xoshiro128(1);
    for (const bad of [[0, 0, 0, 0], [1, 2, 3], [1, 2, 3, 2 ** 32], [1, 2, 3, -1], [1, 2, 3, 0.5]]) {
      expect(() => r.setWords(bad), JSON.stringify(bad)).toThrow(new RangeError(`xoshiro128 state must be four uint32 words, not all 0; got ${JSON.stringify(bad)}`));
    }
  });
});

describe('mix32', () => {
  it('is the murmur3 finaliser, as a uint32', () => {
    for (const x of [0, 1, 0x9e3779b9, 0xdeadbeef, 0xffffffff, -1]) expect(mix32(x)).toBe(Number(mix32Ref(BigInt(x >>> 0))));
  });
});
