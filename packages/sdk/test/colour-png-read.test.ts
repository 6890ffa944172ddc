/**
 * PNGs of every colour type read into a 3-channel model: grey, RGB, palette,
 * grey+alpha and RGBA (PngSuite's 32×32 images), alpha composited on white,
 * planar RGB, then area-resized to the model's size.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VAEInputError, decodePng, imagesFromPng } from '../src/node.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pngsuite');
const FILES = {
  grey: 'basn0g08.png',
  rgb: 'basn2c08.png',
  palette: 'basn3p08.png',
  'palette with tRNS': 'tbbn3p08.png',
  'grey+alpha': 'basn4a08.png',
  rgba: 'basn6a08.png',
};

/** RGBA bytes over white, planar [3, h, w], in float64 (the expectation). */
function overWhite(rgba: ArrayLike<number>, n: number): number[] {
  const out = new Array<number>(3 * n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    for (let k = 0; k < 3; k++) out[k * n + i] = (rgba[4 * i + k] / 255) * a + (1 - a);
  }
  return out;
}

describe('PNG of any colour type into a 3×H×W model', () => {
  for (const [kind, file] of Object.entries(FILES)) {
    it(`${kind} (${file}): RGB over white, planar, at 32×32 and block-averaged at 16×16`, () => {
      const bytes = readFileSync(join(dir, file));
      const { data, width, height } = decodePng(bytes);
      expect([width, height]).toEqual([32, 32]);
      const want = overWhite(data, 32 * 32);
      const full = imagesFromPng(bytes, { shape: [3, 32, 32] });
      expect(full.shape).toEqual([1, 3, 32, 32]);
      expect(Array.from(full.data)).toEqual(want.map((v) => Math.fround(v)));
      const half = imagesFromPng(bytes, { shape: [3, 16, 16] });
      for (const [k, y, x] of [[0, 0, 0], [1, 7, 9], [2, 15, 15]]) {
        const at = (yy: number, xx: number) => want[k * 1024 + yy * 32 + xx];
        const mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
        expect(half.data[k * 256 + y * 16 + x]).toBeCloseTo(mean, 6);
      }
    });
  }

  it('fully transparent pixels become white in every channel', () => {
    const bytes = readFileSync(join(dir, FILES.rgba));
    const { data } = decodePng(bytes);
    const clear = [];
    for (let i = 0; i < 1024; i++) if (data[4 * i + 3] === 0) clear.push(i);
    expect(clear.length).toBeGreaterThan(0);
    const x = imagesFromPng(bytes, { shape: [3, 32, 32] });
    for (const i of clear) expect([x.data[i], x.data[1024 + i], x.data[2048 + i]]).toEqual([1, 1, 1]);
  });

  it('a malformed PNG is a VAEInputError, also with a colour shape', () => {
    const bytes = new Uint8Array(readFileSync(join(dir, FILES.rgb)));
    bytes[20] ^= 0xff; // inside IHDR: its CRC no longer matches
    expect(() => imagesFromPng(bytes, { shape: [3, 16, 16] })).toThrow(VAEInputError);
    expect(() => imagesFromPng(bytes, { shape: [3, 16, 16] })).toThrow(/^not a readable PNG: CRC mismatch in chunk IHDR at byte 8 \(corrupt file\)/);
  });
});
