import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { ChartRaster } from './chart-frame.js';
import type { Rgb } from './raster.js';
import { encodePng } from './raster.js';
import { lineChart } from './line-chart.js';
import { LABEL_COLORS, POINT_ALPHA, latentScatter } from './scatter.js';

// A lone scatter point's colour: the label colour blended once over the white background.
const onWhite = (c: Rgb): Rgb => c.map((v) => Math.round(255 * (1 - POINT_ALPHA) + v * POINT_ALPHA)) as unknown as Rgb;

const BLUE: Rgb = [31, 119, 180];
const ORANGE: Rgb = [255, 127, 14];
const opts = { title: 'NELBO per epoch', xLabel: 'epoch', yLabel: 'NELBO' };

/** Pixels of exactly `color`, split by whether they fall inside the chart's plot area. */
function colourPixels(r: ChartRaster, color: Rgb): { inside: number; outside: [number, number][] } {
  const { x, y, width, height } = r.plotArea;
  let inside = 0;
  const outside: [number, number][] = [];
  for (let py = 0; py < r.height; py++) {
    for (let px = 0; px < r.width; px++) {
      const i = (py * r.width + px) * 4;
      if (r.data[i] !== color[0] || r.data[i + 1] !== color[1] || r.data[i + 2] !== color[2]) continue;
      if (px >= x && px < x + width && py >= y && py < y + height) inside++;
      else outside.push([px, py]);
    }
  }
  return { inside, outside };
}

const decode = (r: ChartRaster) => PNG.sync.read(Buffer.from(encodePng(r)));

describe('lineChart', () => {
  const curve = (f: (e: number) => number): [number, number][] => Array.from({ length: 12 }, (_, i) => [i + 1, f(i + 1)]);

  it('encodes a PNG of the requested size', () => {
    const r = lineChart([{ name: 'train', color: BLUE, points: curve((e) => 100 / e) }], { ...opts, width: 500, height: 300 });
    const png = decode(r);
    expect([png.width, png.height]).toEqual([500, 300]);
    expect(r.data.length).toBe(500 * 300 * 4);
  });

  it('draws each series in its colour inside the plot area and never in the axis margins', () => {
    const r = lineChart(
      [
        { name: 'train NELBO', color: BLUE, points: curve((e) => 95 + 120 * Math.exp(-e / 3)) },
        { name: 'test NELBO', color: ORANGE, points: curve((e) => 99 + 110 * Math.exp(-e / 3)) },
      ],
      opts,
    );
    for (const c of [BLUE, ORANGE]) {
      const { inside, outside } = colourPixels(r, c);
      expect(inside).toBeGreaterThan(100);
      // The only series-coloured pixels outside the plot are the legend swatch, above the plot.
      expect(outside.length).toBeGreaterThan(0);
      expect(outside.every(([, py]) => py < r.plotArea.y)).toBe(true);
    }
  });

  it('keeps extreme values and NaN epochs inside the plot area', () => {
    const pts: [number, number][] = [[1, 1e6], [2, Number.NaN], [3, -1e6], [4, Number.POSITIVE_INFINITY], [5, 0]];
    const r = lineChart([{ name: 'wild', color: BLUE, points: pts }], opts);
    const { inside, outside } = colourPixels(r, BLUE);
    expect(inside).toBeGreaterThan(0);
    expect(outside.every(([, py]) => py < r.plotArea.y)).toBe(true);
  });

  it('draws a single-point series as a visible marker', () => {
    const r = lineChart([{ name: 'train', color: BLUE, points: [[1, 107.9]] }], opts);
    const { inside } = colourPixels(r, BLUE);
    expect(inside).toBeGreaterThanOrEqual(9);
  });

  it('renders empty series and no series without throwing', () => {
    expect(() => lineChart([{ name: 'test', color: ORANGE, points: [] }], opts)).not.toThrow();
    expect(() => lineChart([], opts)).not.toThrow();
    const r = lineChart([{ name: 'test', color: ORANGE, points: [] }], opts);
    expect(colourPixels(r, ORANGE).inside).toBe(0);
    expect(decode(r).width).toBe(640);
  });

  it('renders the title, labels and ticks as dark text outside the plot area', () => {
    const r = lineChart([{ name: 'train', color: BLUE, points: curve((e) => e) }], opts);
    let dark = 0;
    for (let py = 0; py < r.plotArea.y; py++) {
      for (let px = 0; px < r.width; px++) if (r.data[(py * r.width + px) * 4] < 100 && r.data[(py * r.width + px) * 4 + 2] < 100) dark++;
    }
    expect(dark).toBeGreaterThan(50); // title ink above the plot
  });
});

describe('latentScatter', () => {
  it('colours each point by its label, inside the plot area', () => {
    const n = 200;
    const pts = new Float32Array(n * 2);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 10;
      pts[2 * i] = Math.cos(i) * (1 + (i % 10));
      pts[2 * i + 1] = Math.sin(i) * (1 + (i % 10));
    }
    const r = latentScatter(pts, labels, { title: 'latent', width: 400, height: 360 });
    expect([decode(r).width, decode(r).height]).toEqual([400, 360]);
    for (const c of LABEL_COLORS) {
      const points = colourPixels(r, onWhite(c));
      expect(points.inside).toBeGreaterThan(0);
      expect(points.outside).toEqual([]);
      // Full-strength colour appears only in the legend, right of the plot.
      const legend = colourPixels(r, c);
      expect(legend.outside.length).toBeGreaterThan(0);
      expect(legend.outside.every(([px]) => px >= r.plotArea.x + r.plotArea.width)).toBe(true);
    }
  });

  it('uses ten distinct label colours', () => {
    expect(new Set(LABEL_COLORS.map((c) => c.join(','))).size).toBe(10);
  });

  it('handles no points and a single point', () => {
    expect(() => latentScatter(new Float32Array(0), new Uint8Array(0))).not.toThrow();
    const r = latentScatter(new Float32Array([0.5, -0.5]), new Uint8Array([3]));
    expect(colourPixels(r, onWhite(LABEL_COLORS[3])).inside).toBeGreaterThanOrEqual(4);
  });

  it('rejects fewer labels than points', () => {
    expect(() => latentScatter(new Float32Array(4), new Uint8Array(1))).toThrow(RangeError);
  });
});
