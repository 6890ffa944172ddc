import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VAEInputError } from '../errors.js';
import { decodePng, encodePng, imagesFromPng } from './png.js';

function crcPng(ihdr: number[], rows: Uint8Array, extra: [string, Uint8Array][] = []): Uint8Array {
  // Re-use the encoder's container by patching: simplest is to build chunks by hand.
  const chunks: Uint8Array[] = [Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10])];
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(Buffer.from(type, 'latin1'), 4);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  chunks.push(chunk('IHDR', Uint8Array.from(ihdr)));
  for (const [t, d] of extra) chunks.push(chunk(t, d));
  chunks.push(chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(chunks);
}

describe('PNG', () => {
  it('round-trips greyscale through encodePng/decodePng', () => {
    const data = new Float32Array(28 * 28);
    data.forEach((_, i) => (data[i] = (i % 256) / 255));
    const png = encodePng({ data, shape: [1, 1, 28, 28] });
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([28, 28]);
    for (let i = 0; i < data.length; i++) expect(back.data[i * 4]).toBe(Math.round(data[i] * 255));
    expect(imagesFromPng(png, { invert: false }).data[300]).toBeCloseTo((300 % 256) / 255, 6);
  });

  it('reads RGBA with Paeth/Sub filters and palette images', () => {
    // 2×1 RGBA: row filter 1 (Sub): pixel 2 = pixel 1 + delta.
    const rgba = crcPng([0, 0, 0, 2, 0, 0, 0, 1, 8, 6, 0, 0, 0], Uint8Array.from([1, 10, 20, 30, 255, 5, 5, 5, 0]));
    expect(Array.from(decodePng(rgba).data)).toEqual([10, 20, 30, 255, 15, 25, 35, 255]);
    const paeth = crcPng([0, 0, 0, 1, 0, 0, 0, 2, 8, 0, 0, 0, 0], Uint8Array.from([0, 100, 4, 7]));
    expect(Array.from(decodePng(paeth).data).filter((_, i) => i % 4 === 0)).toEqual([100, 107]);
    // 2×1 palette, 1 bit per pixel.
    const pal = crcPng([0, 0, 0, 2, 0, 0, 0, 1, 1, 3, 0, 0, 0], Uint8Array.from([0, 0b01000000]), [['PLTE', Uint8Array.from([0, 0, 0, 255, 255, 255])]]);
    expect(Array.from(decodePng(pal).data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('rejects non-PNG and truncated bytes with a typed error', () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3]))).toThrow(VAEInputError);
    const png = encodePng({ data: new Float32Array(784), shape: [1, 1, 28, 28] });
    expect(() => decodePng(png.subarray(0, png.length - 20))).toThrow(/truncated|not a readable PNG/);
    const corrupt = png.slice();
    corrupt[40] ^= 0xff;
    expect(() => decodePng(corrupt)).toThrow(VAEInputError);
  });
});
