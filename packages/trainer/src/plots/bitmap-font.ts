/**
 * A built-in 5x9 bitmap font (5x7 capitals plus two descender rows) so the
 * plots can carry titles, axis labels and tick numbers without canvas,
 * FreeType or any font file on disk.
 *
 * Glyphs are drawn as text art ('#' = ink) because a reviewer can check a
 * glyph by eye here, which is not true of packed hex.
 */

/** Rows in a glyph cell: 7 for capitals/digits plus 2 for descenders (g, j, p, q, y, comma). */
export const GLYPH_ROWS = 9;
/** Columns in a glyph cell before trimming. */
export const GLYPH_COLS = 5;
/** Blank columns between glyphs, in font pixels. */
export const LETTER_SPACING = 1;
/** Advance of a space, in font pixels; narrower than a full cell because glyphs are proportional. */
export const SPACE_WIDTH = 3;

/** A glyph ready to draw: `rows[y]` has bit `x` set when column `x` (from the left) is inked. */
export interface Glyph {
  /** Inked columns per row, bit 0 = leftmost trimmed column. */
  readonly rows: readonly number[];
  /** Width after trimming blank side columns, so "1" and "." don't leave wide gaps. */
  readonly width: number;
}

// Space-separated rows; glyphs without descenders give 7 rows and get padded.
const SOURCE: Record<string, string> = {
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',

  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',

  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# #..## .##.# ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .###. #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #..## .##.# ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',

  '.': '..... ..... ..... ..... ..... ..... ..#..',
  ',': '..... ..... ..... ..... ..... ..#.. ..#.. .#...',
  '-': '..... ..... ..... .###. ..... ..... .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ':': '..... ..... ..#.. ..... ..... ..#.. .....',
  ';': '..... ..... ..#.. ..... ..... ..#.. ..#.. .#...',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '%': '##..# ##..# ...#. ..#.. .#... #..## #..##',
  '_': '..... ..... ..... ..... ..... ..... #####',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  "'": '..#.. ..#.. ..... ..... ..... ..... .....',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '~': '..... ..... .#... #.#.# ...#. ..... .....',
};

// Unknown characters render as a hollow box so a missing glyph is visible
// in the output instead of silently vanishing from a label.
const MISSING = '##### #...# #...# #...# #...# #...# #####';

function compile(art: string): Glyph {
  const lines = art.split(' ');
  let lo = GLYPH_COLS;
  let hi = -1;
  for (const line of lines) {
    for (let x = 0; x < line.length; x++) {
      if (line[x] === '#') {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
  }
  const rows: number[] = [];
  for (let y = 0; y < GLYPH_ROWS; y++) {
    const line = lines[y] ?? '';
    let bits = 0;
    for (let x = lo; x <= hi; x++) if (line[x] === '#') bits |= 1 << (x - lo);
    rows.push(bits);
  }
  return { rows, width: hi >= lo ? hi - lo + 1 : 0 };
}

const GLYPHS = new Map<string, Glyph>(Object.entries(SOURCE).map(([ch, art]) => [ch, compile(art)]));
const MISSING_GLYPH = compile(MISSING);
const SPACE_GLYPH: Glyph = { rows: new Array<number>(GLYPH_ROWS).fill(0), width: SPACE_WIDTH - LETTER_SPACING };

/** The glyph for one character; a space is blank, unknown characters get a hollow box. */
export function glyphFor(ch: string): Glyph {
  if (ch === ' ') return SPACE_GLYPH;
  return GLYPHS.get(ch) ?? MISSING_GLYPH;
}

/** True when `ch` has a real glyph (not the missing-glyph box). */
export function hasGlyph(ch: string): boolean {
  return ch === ' ' || GLYPHS.has(ch);
}

/**
 * Size in pixels that {@link drawText} will cover for `text` at `scale`.
 * Height always includes the descender rows so lines of mixed text align.
 */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  let width = 0;
  for (const ch of text) width += glyphFor(ch).width + LETTER_SPACING;
  if (width > 0) width -= LETTER_SPACING; // no trailing gap after the last glyph
  return { width: width * scale, height: GLYPH_ROWS * scale };
}
