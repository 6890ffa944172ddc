import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { hasGlyph, measureText } from './bitmap-font.js';
import { createRaster, drawLine, drawText, drawTextVertical, encodePng, fillRect, getPixel, setPixel } from './raster.js';

const countNonBg = (r: ReturnType<typeof createRaster>, bg = 255): number => {
  let n = 0;
  for (let i = 0; i < r.data.length; i += 4) if (r.data[i] !== bg || r.data[i + 1] !== bg || r.data[i + 2] !== bg) n++;
  return n;
};

describe('raster', () => {
  it('encodes to a PNG that decodes back to the same size and pixels', () => {
    const r = createRaster(37, 21, [10, 20, 30]);
    setPixel(r, 5, 7, [200, 100, 50]);
    const png = PNG.sync.read(Buffer.from(encodePng(r)));
    expect([png.width, png.height]).toEqual([37, 21]);
    const i = (7 * 37 + 5) * 4;
    expect([...png.data.subarray(i, i + 4)]).toEqual([200, 100, 50, 255]);
    expect([...png.data.subarray(0, 4)]).toEqual([10, 20, 30, 255]);
  });

  it('ignores pixels outside the canvas instead of wrapping onto the next row', () => {
    const r = createRaster(10, 10, [0, 0, 0]);
    setPixel(r, 10, 0, [255, 255, 255]);
    setPixel(r, -1, 3, [255, 255, 255]);
    setPixel(r, 3, 10, [255, 255, 255]);
    drawLine(r, -50, -50, -10, 60, [255, 255, 255], 2);
    expect(r.data.length).toBe(10 * 10 * 4);
    expect(countNonBg(r, 0)).toBe(0);
  });

  it('draws a line between its end points, including both ends', () => {
    const r = createRaster(20, 20);
    drawLine(r, 2, 3, 17, 12, [255, 0, 0]);
    expect(getPixel(r, 2, 3)).toEqual([255, 0, 0, 255]);
    expect(getPixel(r, 17, 12)).toEqual([255, 0, 0, 255]);
    expect(countNonBg(r)).toBe(16); // one pixel per step along the major axis
  });

  it('draws thicker lines with more pixels', () => {
    const thin = createRaster(30, 30);
    const thick = createRaster(30, 30);
    drawLine(thin, 0, 15, 29, 15, [0, 0, 0], 1);
    drawLine(thick, 0, 15, 29, 15, [0, 0, 0], 2);
    expect(countNonBg(thick)).toBe(2 * countNonBg(thin));
  });

  it('clips filled rectangles to the canvas', () => {
    const r = createRaster(8, 8);
    fillRect(r, -4, -4, 8, 8, [0, 0, 0]);
    expect(countNonBg(r)).toBe(16);
  });

  it('changes pixels when rendering text, within the measured box', () => {
    const r = createRaster(100, 30);
    const w = drawText(r, 4, 4, 'Ab1.2e3', [0, 0, 0], 2);
    expect(w).toBe(measureText('Ab1.2e3', 2).width);
    expect(countNonBg(r)).toBeGreaterThan(50);
    for (let y = 0; y < 30; y++) {
      for (let x = 0; x < 100; x++) {
        const inside = x >= 4 && x < 4 + w && y >= 4 && y < 4 + measureText('A', 2).height;
        if (!inside) expect(getPixel(r, x, y)).toEqual([255, 255, 255, 255]);
      }
    }
  });

  it('renders different strings differently', () => {
    const a = createRaster(40, 12);
    const b = createRaster(40, 12);
    drawText(a, 0, 0, '107.9', [0, 0, 0]);
    drawText(b, 0, 0, '101.9', [0, 0, 0]);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(false);
  });

  it('has a glyph for every character the plots need', () => {
    const needed = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,-+:/()=%[] ';
    expect([...needed].filter((c) => !hasGlyph(c))).toEqual([]);
  });

  it('draws vertical text taller than it is wide', () => {
    const r = createRaster(20, 80);
    const len = drawTextVertical(r, 2, 2, 'NELBO', [0, 0, 0]);
    let minY = Infinity, maxY = -Infinity, minX = Infinity, maxX = -Infinity;
    for (let y = 0; y < 80; y++) for (let x = 0; x < 20; x++) {
      if (getPixel(r, x, y)?.[0] === 0) { minY = Math.min(minY, y); maxY = Math.max(maxY, y); minX = Math.min(minX, x); maxX = Math.max(maxX, x); }
    }
    expect(len).toBe(measureText('NELBO').width);
    expect(maxY - minY + 1).toBe(len);
    expect(maxX - minX + 1).toBeLessThan(10);
  });
});
