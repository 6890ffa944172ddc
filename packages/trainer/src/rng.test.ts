import { Xoshiro128 } from '@vae/format';
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it("is @vae/format's Xoshiro128, the generator the SDK documents, not a second copy", () => {
    for (const seed of [0, 1, 0x5eed, 0xffffffff]) {
      const rng = new Rng(seed);
      const ref = new Xoshiro128(seed);
      expect(rng).toBeInstanceOf(Xoshiro128);
      expect(Array.from({ length: 1000 }, () => rng.nextUint32())).toEqual(Array.from({ length: 1000 }, () => ref.nextUint32()));
    }
  });

  it('builds uniforms and Box–Muller normals on that stream (second value cached)', () => {
    const rng = new Rng(9);
    const ref = new Xoshiro128(9);
    const u = () => ref.nextUint32() / 2 ** 32;
    for (let i = 0; i < 500; i++) {
      let u1 = 0;
      while (u1 === 0) u1 = u();
      const u2 = u();
      const r = Math.sqrt(-2 * Math.log(u1));
      expect(rng.normal()).toBe(r * Math.cos(2 * Math.PI * u2));
      expect(rng.normal()).toBe(r * Math.sin(2 * Math.PI * u2));
    }
    expect(rng.uniform()).toBe(u());
  });
});
