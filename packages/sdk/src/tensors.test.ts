import { describe, expect, it } from 'vitest';
import { VAEInputError } from './errors.js';
import { imageAt, toImageBatch, toLatentBatch } from './tensors.js';

const SHAPE = [1, 28, 28] as const;

describe('toImageBatch', () => {
  it('copies a valid Float32Array, so reusing the caller\'s buffer afterwards cannot change the batch', () => {
    const data = new Float32Array(2 * 784).fill(0.5);
    const b = toImageBatch(data, SHAPE);
    expect(b.data).not.toBe(data);
    expect(b.shape).toEqual([2, 1, 28, 28]);
    data.fill(NaN);
    expect(b.data.every((v) => v === 0.5)).toBe(true);
    const t = { data: new Float32Array(784).fill(0.25), shape: [1, 1, 28, 28] };
    const tb = toImageBatch(t, SHAPE);
    t.data.fill(2);
    expect(tb.data.every((v) => v === 0.25)).toBe(true);
  });

  it('scales uint8 by 1/255 and accepts rows, Float64Array, number[] and tensors', () => {
    const u8 = new Uint8Array(784).fill(255);
    expect(toImageBatch(u8, SHAPE).data[0]).toBe(1);
    expect(toImageBatch(new Uint8ClampedArray(784).fill(51), SHAPE).data[5]).toBeCloseTo(0.2, 6);
    expect(toImageBatch([Array(784).fill(0.25), Array(784).fill(0.75)], SHAPE).shape[0]).toBe(2);
    expect(toImageBatch([new Uint8Array(784).fill(255)], SHAPE).data[0]).toBe(1);
    expect(toImageBatch(new Float64Array(784), SHAPE).data).toBeInstanceOf(Float32Array);
    expect(toImageBatch(Array(784 * 3).fill(0), SHAPE).shape[0]).toBe(3);
    expect(toImageBatch({ data: new Float32Array(784), dims: [1, 1, 28, 28] }, SHAPE).shape[0]).toBe(1);
  });

  it('names the expected shape, dtype, length and range', () => {
    expect(() => toImageBatch({ data: new Float32Array(784), shape: [1, 28, 28] }, SHAPE)).toThrow(/expected \[N,1,28,28\]/);
    expect(() => toImageBatch(new Int32Array(784), SHAPE)).toThrow(/wrong dtype.*Int32Array.*expected Float32Array/);
    expect(() => toImageBatch(new Float32Array(783), SHAPE)).toThrow(/wrong length: 783.*positive multiple of 784/);
    expect(() => toImageBatch(new Float32Array(0), SHAPE)).toThrow(VAEInputError);
    const nan = new Float32Array(784);
    nan[10] = NaN;
    expect(() => toImageBatch(nan, SHAPE)).toThrow(/NaN at index 10.*finite values in \[0, 1\]/);
    const inf = new Float32Array(784);
    inf[3] = Infinity;
    expect(() => toImageBatch(inf, SHAPE)).toThrow(/Infinity at index 3/);
    expect(() => toImageBatch(new Float32Array(784).fill(2), SHAPE)).toThrow(/expected finite values in \[0, 1\]/);
    expect(() => toImageBatch([Array(783).fill(0)], SHAPE)).toThrow(/\[0\] has 783 values; expected 784/);
    expect(() => toImageBatch('x', SHAPE)).toThrow(VAEInputError);
    expect(() => toImageBatch(null, SHAPE)).toThrow(VAEInputError);
    expect(() => toImageBatch(['a'], SHAPE)).toThrow(/wrong length|numbers/);
    expect(() => toImageBatch({ data: new Float32Array(10), shape: [1, 1, 28, 28] }, SHAPE)).toThrow(/needs 784/);
  });

  it('imageAt is a view', () => {
    const b = toImageBatch(new Float32Array(2 * 784), SHAPE);
    const v = imageAt(b, 1);
    v[0] = 0.5;
    expect(b.data[784]).toBe(0.5);
  });

  it('imageAt rejects an index outside the batch with a VAEInputError naming the range', () => {
    const b = toImageBatch(new Float32Array(2 * 784), SHAPE);
    for (const bad of [2, -1, 1.5, NaN, '0' as never]) {
      const err = (() => {
        try {
          imageAt(b, bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err, String(bad)).toBeInstanceOf(VAEInputError);
      expect((err as Error).message).toMatch(/^index must be an integer in \[0, 1\] \(a batch of 2 images\), got /);
    }
  });
});

describe('toLatentBatch', () => {
  it('accepts a single vector, rows and tensors; copies a Float32Array', () => {
    const z = new Float32Array(64);
    const b = toLatentBatch(z, 32);
    expect(b.data).not.toBe(z);
    z.fill(Infinity);
    expect(b.data.every((v) => v === 0)).toBe(true);
    expect(b.shape).toEqual([2, 32]);
    expect(toLatentBatch(Array(32).fill(0.1), 32).shape).toEqual([1, 32]);
    expect(toLatentBatch([Array(32).fill(0), new Float32Array(32)], 32).shape).toEqual([2, 32]);
    expect(toLatentBatch({ data: new Float32Array(32), shape: [1, 32] }, 32).shape).toEqual([1, 32]);
  });

  it('rejects wrong latent sizes, dtypes and non-finite values, naming the latent size', () => {
    expect(() => toLatentBatch(new Float32Array(31), 32)).toThrow(/wrong size: 31.*latent size 32/);
    expect(() => toLatentBatch([Array(16).fill(0)], 32)).toThrow(/has 16 values; expected 32/);
    expect(() => toLatentBatch({ data: new Float32Array(32), shape: [32] }, 32)).toThrow(/expected \[N,32\]/);
    expect(() => toLatentBatch(new Uint8Array(32), 32)).toThrow(/latents must be float values/);
    expect(() => toLatentBatch(new Int16Array(32), 32)).toThrow(/wrong dtype/);
    const z = new Float32Array(32);
    z[31] = -Infinity;
    expect(() => toLatentBatch(z, 32)).toThrow(/-Infinity at index 31.*expected finite values/);
    expect(() => toLatentBatch([NaN, ...Array(31).fill(0)], 32)).toThrow(/NaN at index 0/);
    expect(() => toLatentBatch(undefined, 32)).toThrow(VAEInputError);
  });
});
