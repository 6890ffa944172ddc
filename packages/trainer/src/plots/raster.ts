/**
 * A tiny RGBA raster with just the primitives the training plots need
 * (pixels, rectangles, lines, discs, bitmap text) and PNG encoding.
 *
 * It exists so the trainer can write human-friendly plots every epoch
 * without canvas or native dependencies: plain typed arrays in, PNG bytes out.
 */
import { PNG } from 'pngjs';
import { GLYPH_ROWS, LETTER_SPACING, glyphFor } from './bitmap-font.js';

export { measureText } from './bitmap-font.js';

/** An sRGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

/** An RGBA image, row-major, 4 bytes per pixel, origin at the top-left. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  /** `width * height * 4` bytes: R, G, B, A per pixel. */
  readonly data: Uint8Array;
}

/** An axis-aligned rectangle in pixel coordinates. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Creates an opaque `w`×`h` raster filled with `bg` (default white). */
export function createRaster(w: number, h: number, bg: Rgb = [255, 255, 255]): Raster {
  // PNG cannot encode a zero-sized image, so degenerate sizes become 1 px.
  const width = Math.max(1, Math.floor(w) || 1);
  const height = Math.max(1, Math.floor(h) || 1);
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = bg[0];
    data[i + 1] = bg[1];
    data[i + 2] = bg[2];
    data[i + 3] = 255;
  }
  return { width, height, data };
}

/**
 * Sets one pixel. Coordinates are rounded down; pixels outside the raster are
 * ignored, because without the check an x past the right edge would wrap onto
 * the next row and smear a line across the image.
 */
export function setPixel(r: Raster, x: number, y: number, color: Rgb): void {
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (px < 0 || py < 0 || px >= r.width || py >= r.height) return;
  const i = (py * r.width + px) * 4;
  r.data[i] = color[0];
  r.data[i + 1] = color[1];
  r.data[i + 2] = color[2];
  r.data[i + 3] = 255;
}

/**
 * Mixes `color` into one pixel with opacity `alpha` (0–1). Used for scatter
 * points so dense clusters read as darker instead of a flat blob.
 */
export function blendPixel(r: Raster, x: number, y: number, color: Rgb, alpha: number): void {
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (px < 0 || py < 0 || px >= r.width || py >= r.height) return;
  const a = Math.min(1, Math.max(0, alpha));
  const i = (py * r.width + px) * 4;
  r.data[i] = Math.round(r.data[i] * (1 - a) + color[0] * a);
  r.data[i + 1] = Math.round(r.data[i + 1] * (1 - a) + color[1] * a);
  r.data[i + 2] = Math.round(r.data[i + 2] * (1 - a) + color[2] * a);
  r.data[i + 3] = 255;
}

/** Reads one pixel as `[r, g, b, a]`, or `undefined` outside the raster. */
export function getPixel(r: Raster, x: number, y: number): [number, number, number, number] | undefined {
  if (x < 0 || y < 0 || x >= r.width || y >= r.height) return undefined;
  const i = (Math.floor(y) * r.width + Math.floor(x)) * 4;
  return [r.data[i], r.data[i + 1], r.data[i + 2], r.data[i + 3]];
}

/** Fills the `w`×`h` rectangle whose top-left corner is (`x`, `y`), clipped to the raster. */
export function fillRect(r: Raster, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(r.width, Math.floor(x + w));
  const y1 = Math.min(r.height, Math.floor(y + h));
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) setPixel(r, px, py, color);
  }
}

/** Draws a 1-pixel rectangle outline. */
export function strokeRect(r: Raster, x: number, y: number, w: number, h: number, color: Rgb): void {
  if (w <= 0 || h <= 0) return;
  fillRect(r, x, y, w, 1, color);
  fillRect(r, x, y + h - 1, w, 1, color);
  fillRect(r, x, y, 1, h, color);
  fillRect(r, x + w - 1, y, 1, h, color);
}

/**
 * Draws a straight line with Bresenham's algorithm. `thickness` > 1 stamps a
 * square brush at each step, which is plenty for 1–3 px plot strokes and keeps
 * colours exact (tests and people can both match a series by its colour).
 */
export function drawLine(
  r: Raster,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  color: Rgb,
  thickness = 1,
): void {
  let x = Math.round(x0);
  let y = Math.round(y0);
  const xe = Math.round(x1);
  const ye = Math.round(y1);
  if (![x, y, xe, ye].every(Number.isFinite)) return;
  const t = Math.max(1, Math.round(thickness));
  const off = Math.floor((t - 1) / 2); // centre the brush on the ideal line
  const dx = Math.abs(xe - x);
  const dy = -Math.abs(ye - y);
  const sx = x < xe ? 1 : -1;
  const sy = y < ye ? 1 : -1;
  let err = dx + dy;
  // Bounded loop: a caller passing huge coordinates must not hang the trainer.
  for (let steps = 0; steps <= dx - dy + 1; steps++) {
    if (t === 1) setPixel(r, x, y, color);
    else fillRect(r, x - off, y - off, t, t, color);
    if (x === xe && y === ye) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

/** Fills a disc of `radius` pixels centred on (`cx`, `cy`), optionally translucent. */
export function fillCircle(r: Raster, cx: number, cy: number, radius: number, color: Rgb, alpha = 1): void {
  const rr = radius * radius;
  const x0 = Math.floor(cx - radius);
  const x1 = Math.ceil(cx + radius);
  const y0 = Math.floor(cy - radius);
  const y1 = Math.ceil(cy + radius);
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      // Sample at the pixel centre so small discs come out symmetric.
      const ddx = px + 0.5 - cx;
      const ddy = py + 0.5 - cy;
      if (ddx * ddx + ddy * ddy > rr) continue;
      if (alpha >= 1) setPixel(r, px, py, color);
      else blendPixel(r, px, py, color, alpha);
    }
  }
}

/**
 * Draws `text` with its top-left corner at (`x`, `y`) using the built-in
 * 5x7 bitmap font, each font pixel a `scale`×`scale` block. Returns the
 * width drawn in pixels so callers can lay out text runs.
 */
export function drawText(r: Raster, x: number, y: number, text: string, color: Rgb, scale = 1): number {
  const s = Math.max(1, Math.round(scale));
  let cx = Math.round(x);
  const top = Math.round(y);
  let first = true;
  for (const ch of text) {
    if (!first) cx += LETTER_SPACING * s;
    first = false;
    const g = glyphFor(ch);
    for (let gy = 0; gy < GLYPH_ROWS; gy++) {
      const bits = g.rows[gy];
      if (bits === 0) continue;
      for (let gx = 0; gx < g.width; gx++) {
        if (bits & (1 << gx)) fillRect(r, cx + gx * s, top + gy * s, s, s, color);
      }
    }
    cx += g.width * s;
  }
  return cx - Math.round(x);
}

/**
 * Draws `text` rotated 90° counter-clockwise (reading bottom-to-top), the
 * usual orientation for a y-axis label. (`x`, `y`) is the top-left of the
 * rotated box, which is `GLYPH_ROWS*scale` wide and `measureText().width` tall.
 * Returns the length drawn in pixels.
 */
export function drawTextVertical(r: Raster, x: number, y: number, text: string, color: Rgb, scale = 1): number {
  const s = Math.max(1, Math.round(scale));
  // Lay the string out horizontally first, then rotate: simpler than
  // rotating each glyph and guaranteed to match drawText's spacing.
  let len = 0;
  for (const ch of text) len += glyphFor(ch).width + LETTER_SPACING;
  len = Math.max(0, len - LETTER_SPACING);
  if (len === 0) return 0;
  const tmp = createRaster(len, GLYPH_ROWS, [0, 0, 0]);
  drawText(tmp, 0, 0, text, [255, 255, 255], 1);
  const left = Math.round(x);
  const top = Math.round(y);
  for (let ty = 0; ty < GLYPH_ROWS; ty++) {
    for (let tx = 0; tx < len; tx++) {
      if (tmp.data[(ty * len + tx) * 4] === 0) continue;
      // CCW rotation: text x runs up the page, text y runs to the right.
      fillRect(r, left + ty * s, top + (len - 1 - tx) * s, s, s, color);
    }
  }
  return len * s;
}

/** Encodes the raster as an RGBA PNG file (the bytes to write to disk). */
export function encodePng(raster: Raster): Uint8Array {
  const png = new PNG({ width: raster.width, height: raster.height });
  png.data.set(raster.data);
  return PNG.sync.write(png, { colorType: 6 });
}
