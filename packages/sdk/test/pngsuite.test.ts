/**
 * Every image of Willem van Schaik's PngSuite (test/fixtures/pngsuite, from
 * pngjs's repository, with its licence): the valid ones decode to the same
 * RGBA as pngjs, the reference decoder; the corrupt ones (`x*`) are refused
 * with a typed error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { VAEInputError } from '../src/errors.js';
import { decodePng } from '../src/node/png.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pngsuite');
const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
const valid = files.filter((f) => !f.startsWith('x'));
const corrupt = files.filter((f) => f.startsWith('x'));

/** First pixel where the two RGBA decodings differ (fully transparent pixels match whatever their colour), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i += 4) {
    if (a[i + 3] !== b[i + 3]) return i / 4;
    if (a[i + 3] !== 0 && (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2])) return i / 4;
  }
  return -1;
}

describe('PngSuite', () => {
  it('holds the whole suite: 161 valid images (35 interlaced) and 14 corrupt ones', () => {
    expect(valid.length).toBe(161);
    // IHDR's interlace byte: 8 signature + 8 chunk head + 12 into the header.
    expect(valid.filter((f) => readFileSync(join(dir, f))[28] === 1).length).toBe(35);
    expect(corrupt.length).toBe(14);
  });

  it('accepts all 161 valid images, mis-decodes none and rejects all 14 corrupt ones (printed as a summary)', () => {
    let accepted = 0;
    let misDecoded = 0;
    let rejected = 0;
    const untyped: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      try {
        const got = decodePng(bytes);
        accepted++;
        if (!f.startsWith('x')) {
          const ref = PNG.sync.read(bytes);
          if (got.width !== ref.width || got.height !== ref.height || firstDifference(got.data, ref.data) >= 0) misDecoded++;
        }
      } catch (e) {
        rejected++;
        if (!(e instanceof VAEInputError)) untyped.push(f);
      }
    }
    console.log(`PngSuite: ${files.length} files, accepted ${accepted}, rejected ${rejected} (${untyped.length} untyped), mis-decoded ${misDecoded}`);
    expect({ accepted, rejected, misDecoded, untyped }).toEqual({ accepted: 161, rejected: 14, misDecoded: 0, untyped: [] });
  });

  it.each(valid)('decodes %s exactly as pngjs does', (f) => {
    const bytes = readFileSync(join(dir, f));
    const ref = PNG.sync.read(bytes);
    const got = decodePng(bytes);
    expect([got.width, got.height]).toEqual([ref.width, ref.height]);
    expect(got.data.length).toBe(ref.data.length);
    expect(firstDifference(got.data, ref.data)).toBe(-1);
  });

  it.each(corrupt)('refuses %s with a VAEInputError', (f) => {
    const bytes = readFileSync(join(dir, f));
    expect(() => decodePng(bytes)).toThrow(VAEInputError);
    expect(() => decodePng(bytes)).toThrow(/^not a readable PNG: .+; expected a valid PNG image/);
  });
});
