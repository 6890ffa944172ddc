import { constants, deflateRawSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VAEInputError } from '../errors.js';
import { MAX_PNG_PIXELS, decodePng, encodePng, expectedRawSize, imagesFromPng } from './png.js';

function crcPng(ihdr: number[], rows: Uint8Array, extra: [string, Uint8Array][] = [], idat: Uint8Array = deflateSync(rows)): Uint8Array {
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
  // IDAT split like encoders do, so the bounded inflater sees several chunks.
  for (let o = 0; o < idat.length; o += 1 << 20) chunks.push(chunk('IDAT', idat.subarray(o, o + (1 << 20))));
  chunks.push(chunk('IEND', new Uint8Array(0)));
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
    expect(imagesFromPng(png, { prepare: false, invert: false }).data[300]).toBeCloseTo((300 % 256) / 255, 6);
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

  it('applies colour-key transparency (tRNS) on greyscale and RGB images', () => {
    // 2×1 grey, key 7: the first pixel is transparent, the second opaque.
    const grey = crcPng([0, 0, 0, 2, 0, 0, 0, 1, 8, 0, 0, 0, 0], Uint8Array.from([0, 7, 9]), [['tRNS', Uint8Array.from([0, 7])]]);
    expect(Array.from(decodePng(grey).data)).toEqual([7, 7, 7, 0, 9, 9, 9, 255]);
    const rgb = crcPng([0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0], Uint8Array.from([0, 1, 2, 3, 1, 2, 4]), [['tRNS', Uint8Array.from([0, 1, 0, 2, 0, 3])]]);
    expect(Array.from(decodePng(rgb).data)).toEqual([1, 2, 3, 0, 1, 2, 4, 255]);
  });

  it('refuses a header larger than MAX_PNG_PIXELS before allocating anything', () => {
    const huge = crcPng([0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 0, 0, 0, 0], Uint8Array.from([0, 0]));
    expect(() => decodePng(huge)).toThrow(VAEInputError);
    expect(() => decodePng(huge)).toThrow(/100000×100000 = 10000000000 pixels, more than the 16777216/);
    expect(MAX_PNG_PIXELS).toBe(4096 * 4096);
  });

  it('refuses image data shorter than the header declares', () => {
    const short = crcPng([0, 0, 0, 4, 0, 0, 0, 4, 8, 0, 0, 0, 0], new Uint8Array(10));
    expect(() => decodePng(short)).toThrow(/inflates to 10 bytes; a 4×4 image of this type needs 20/);
  });

  it('computes the exact inflated size of interlaced images, pass by pass', () => {
    // 1×1 grey 8-bit: only pass 1 has a pixel (2 bytes). 8×8: passes of 1,1,2,4,8,16,32 pixels in 1,1,1,2,2,4,4 rows.
    expect(expectedRawSize({ width: 1, height: 1, depth: 8, colorType: 0, interlaced: true })).toBe(2);
    expect(expectedRawSize({ width: 8, height: 8, depth: 8, colorType: 0, interlaced: true })).toBe(1 * 2 + 1 * 2 + 1 * 3 + 2 * 3 + 2 * 5 + 4 * 5 + 4 * 9);
    expect(expectedRawSize({ width: 3, height: 2, depth: 1, colorType: 0, interlaced: false })).toBe(2 * 2);
  });

  it.each([1, 4])('stops a 1×1 PNG whose data inflates to %i GiB after a few MiB (peak RSS printed)', (gib) => {
    // One 1 MiB run of zeros, full-flushed so copies concatenate into one valid deflate stream.
    const piece = deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: constants.Z_FULL_FLUSH });
    const n = gib * 1024;
    const body = Buffer.concat([Buffer.from([0x78, 0x9c]), ...Array.from({ length: n }, () => piece), Buffer.from([1, 0, 0, 0xff, 0xff])]);
    // Adler-32 of n MiB of zeros: a = 1, b = length mod 65521.
    const adler = Buffer.alloc(4);
    adler.writeUInt32BE((((n * 2 ** 20) % 65521) << 16 | 1) >>> 0);
    const bomb = crcPng([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0], new Uint8Array(0), [], Buffer.concat([body, adler]));
    // maxRSS is the worker's lifetime peak, which earlier work may already have
    // set above today's RSS; so the bound is on how far decoding pushes that
    // peak: never past the old peak or 64 MiB above the RSS before decoding,
    // whichever is higher. A bomb that inflated even 1 GiB breaks both.
    const MiB = 2 ** 20;
    const rssBefore = process.memoryUsage().rss / MiB;
    const peakBefore = process.resourceUsage().maxRSS / 1024;
    const t0 = performance.now();
    expect(() => decodePng(bomb)).toThrow(VAEInputError);
    const ms = performance.now() - t0;
    const peakAfter = process.resourceUsage().maxRSS / 1024;
    console.log(
      `PNG bomb 1×1 → ${gib} GiB (${(bomb.length / MiB).toFixed(1)} MiB file): rejected in ${ms.toFixed(0)} ms; process peak RSS ${peakAfter.toFixed(0)} MiB after decoding (${peakBefore.toFixed(0)} MiB before; RSS before decoding ${rssBefore.toFixed(0)} MiB)`,
    );
    expect(() => decodePng(bomb)).toThrow(/image data inflates past the 2 bytes a 1×1 image needs/);
    expect(peakAfter).toBeLessThanOrEqual(Math.max(peakBefore, rssBefore + 64));
  });
});
