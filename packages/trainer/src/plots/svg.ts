/**
 * Small helpers for writing SVG as text: escaping, colours, numbers and a
 * text-width estimate. The charts are plain SVG strings so that a test can
 * read what was drawn, and librsvg (inside sharp) does the drawing.
 */

/** An sRGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

/** A rectangle in pixels: top-left corner and size. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Font stack for every label: the fonts Debian and most Linux images ship,
 * then whatever fontconfig calls sans-serif, so text renders wherever
 * librsvg finds any font at all.
 */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Escapes text for use in SVG element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** `#rrggbb` for an {@link Rgb}. */
export function hex(c: Rgb): string {
  return `#${c.map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0')).join('')}`;
}

/** A coordinate rounded to 0.01 px: enough for anti-aliasing, and it keeps the SVG short. */
export function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * Estimated advance width of `text` in DejaVu Sans at `size` px, from the
 * font's widths for a few classes of glyph. Used only for layout (margins,
 * legend spacing, canvas width under a long title); it errs wide, so text
 * gets slightly more room than it needs rather than overlapping, and it keeps
 * the layout independent of which fonts a machine has.
 */
export function estimateTextWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) {
    if (ch === ' ') em += 0.32;
    else if ('ijl.,:;\'|!'.includes(ch)) em += 0.3;
    else if ('ftr()[]{}-'.includes(ch)) em += 0.42;
    else if ('mwMW'.includes(ch)) em += 0.98;
    else if (ch >= 'A' && ch <= 'Z') em += 0.74;
    else em += 0.64;
  }
  return em * size;
}

/** A complete SVG document of `width`×`height` px on a solid `background`, holding `body`. */
export function svgDocument(width: number, height: number, background: Rgb | null, body: string): string {
  const bg = background ? `<rect width="${width}" height="${height}" fill="${hex(background)}"/>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT_FAMILY)}">${bg}${body}</svg>`;
}

/** One `<text>` element; `anchor` is SVG's text-anchor, `rotate` turns it about (x, y). */
export function svgText(
  x: number,
  y: number,
  text: string,
  opts: { size: number; fill: Rgb; anchor?: 'start' | 'middle' | 'end'; weight?: 'bold'; rotate?: number; cls?: string },
): string {
  const attrs = [
    `x="${num(x)}"`,
    `y="${num(y)}"`,
    `font-size="${opts.size}"`,
    `fill="${hex(opts.fill)}"`,
    opts.anchor && opts.anchor !== 'start' ? `text-anchor="${opts.anchor}"` : '',
    opts.weight ? `font-weight="${opts.weight}"` : '',
    opts.rotate ? `transform="rotate(${opts.rotate} ${num(x)} ${num(y)})"` : '',
    opts.cls ? `class="${opts.cls}"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(text)}</text>`;
}
