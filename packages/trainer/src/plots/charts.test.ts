import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ChartSvg } from './chart-axes.js';
import { toPx, toPy } from './chart-axes.js';
import { lineChartSvg } from './line-chart.js';
import { svgToPng } from './rasterise.js';
import { LABEL_COLORS, POINT_ALPHA, latentScatterSvg } from './scatter.js';
import type { Rgb } from './svg.js';

const BLUE: Rgb = [31, 119, 180];
const RED: Rgb = [214, 39, 40];
const opts = { title: 'Loss per image (nats)', xLabel: 'epoch', yLabel: 'nats' };

/** The text content of every `<text class="cls">`, in document order. */
const texts = (svg: string, cls: string): string[] => [...svg.matchAll(new RegExp(`<text [^>]*class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
/** Every `<path class="series">` as { name, stroke, d }. */
const seriesPaths = (svg: string) =>
  [...svg.matchAll(/<path class="series" data-name="([^"]*)" d="([^"]*)" stroke="([^"]*)"/g)].map((m) => ({ name: m[1], d: m[2], stroke: m[3] }));

async function decode(png: Uint8Array): Promise<{ width: number; height: number; px: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, px: (x, y) => [...data.subarray((Math.floor(y) * info.width + Math.floor(x)) * info.channels, (Math.floor(y) * info.width + Math.floor(x)) * info.channels + 3)] };
}

const at = (c: ChartSvg, x: number, y: number): [number, number] => [toPx(x, c.xAxis, c.plotArea), toPy(y, c.yAxis, c.plotArea)];

describe('lineChartSvg', () => {
  // Epochs 1..5, y from 200 down to 100.
  const train: [number, number][] = [[1, 200], [2, 150], [3, 125], [4, 110], [5, 100]];
  const test: [number, number][] = [[1, 190], [2, 160], [3, 140], [4, 130], [5, 125]];
  const chart = () => lineChartSvg([{ name: 'train NELBO', color: BLUE, points: train }, { name: 'test NELBO', color: RED, points: test }], opts);

  it('writes the title, both axis titles and the nice tick values as SVG text', () => {
    const { svg } = chart();
    expect(texts(svg, 'title')).toEqual(['Loss per image (nats)']);
    expect(texts(svg, 'x-label')).toEqual(['epoch']);
    expect(texts(svg, 'y-label')).toEqual(['nats']);
    // y: 100..200 padded by 5% is 95..205; step 25 gives exactly 5 ticks inside, so it wins over 20 (6 ticks).
    expect(texts(svg, 'y-tick')).toEqual(['100', '125', '150', '175', '200']);
    // x: an integer (epoch) axis, one tick per epoch.
    expect(texts(svg, 'x-tick')).toEqual(['1', '2', '3', '4', '5']);
  });

  it('draws one path per series, in its colour, through every point in x order', () => {
    const c = chart();
    const paths = seriesPaths(c.svg);
    expect(paths.map((p) => [p.name, p.stroke])).toEqual([['train NELBO', '#1f77b4'], ['test NELBO', '#d62728']]);
    expect(paths[0].d.match(/[ML]/g)).toEqual(['M', 'L', 'L', 'L', 'L']);
    const first = paths[0].d.match(/^M([\d.]+) ([\d.]+)/)!;
    const [x1, y1] = at(c, 1, 200);
    expect(Number(first[1])).toBeCloseTo(x1, 2);
    expect(Number(first[2])).toBeCloseTo(y1, 2);
  });

  it('legends each series with its latest value', () => {
    expect(chart().svg).toMatch(/<text [^>]*>train NELBO \(100\)<\/text>.*<text [^>]*>test NELBO \(125\)<\/text>/);
  });

  it('breaks the path at a NaN epoch instead of bridging it, and skips series with no points', () => {
    const c = lineChartSvg([{ name: 'wild', color: BLUE, points: [[1, 5], [2, 4], [3, Number.NaN], [4, 3], [5, Number.POSITIVE_INFINITY]] }, { name: 'empty', color: RED, points: [] }], opts);
    const paths = seriesPaths(c.svg);
    expect(paths.map((p) => p.name)).toEqual(['wild']);
    expect(paths[0].d.match(/[ML]/g)).toEqual(['M', 'L', 'M']);
  });

  it('draws the axes and a "no data yet" note when nothing has been measured', () => {
    const c = lineChartSvg([{ name: 'test', color: RED, points: [] }], opts);
    expect(seriesPaths(c.svg)).toEqual([]);
    expect(texts(c.svg, 'note')).toEqual(['no data yet']);
    expect(texts(c.svg, 'x-label')).toEqual(['epoch']);
  });

  it('escapes markup in names and titles', () => {
    const c = lineChartSvg([{ name: 'a<b & "c"', color: BLUE, points: [[1, 1]] }], { ...opts, title: '<script>' });
    expect(c.svg).toContain('data-name="a&lt;b &amp; &quot;c&quot;"');
    expect(texts(c.svg, 'title')).toEqual(['&lt;script&gt;']);
  });

  it('rasterises to a PNG of the canvas size with the series colour on every point and white plot background elsewhere', async () => {
    const c = lineChartSvg([{ name: 'train NELBO', color: BLUE, points: train }], { ...opts, width: 500, height: 300 });
    const png = await decode(await svgToPng(c.svg));
    expect([png.width, png.height]).toEqual([500, 300]);
    for (const [x, y] of train) {
      // The centre of a 3 px marker is fully covered: exactly the series colour.
      expect(png.px(...at(c, x, y)), `epoch ${x}`).toEqual([...BLUE]);
    }
    // Halfway along the first segment: on the 2 px line, so far from white.
    const [ax, ay] = at(c, 1, 200);
    const [bx, by] = at(c, 2, 150);
    expect(Math.min(...png.px((ax + bx) / 2, (ay + by) / 2))).toBeLessThan(200);
    // Bottom right of the plot, far from the curve (which ends at y=100 there), off the gridlines: white.
    expect(png.px(...at(c, 4.5, 97))).toEqual([255, 255, 255]);
  });

  it('rasterises real text: the title strip has dark anti-aliased ink', async () => {
    const c = chart();
    const png = await decode(await svgToPng(c.svg));
    let dark = 0;
    let grey = 0;
    for (let y = 0; y < 34; y++) {
      for (let x = 0; x < png.width; x++) {
        const v = png.px(x, y)[0];
        if (v < 100) dark++;
        else if (v < 250) grey++;
      }
    }
    expect(dark).toBeGreaterThan(100);
    expect(grey).toBeGreaterThan(50); // anti-aliased edges, which a bitmap font does not have
  });
});

describe('latentScatterSvg', () => {
  const n = 200;
  const pts = new Float32Array(n * 2);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    pts[2 * i] = Math.cos(i) * (1 + (i % 10));
    pts[2 * i + 1] = Math.sin(i) * (1 + (i % 10));
  }

  it('draws one circle per finite point in its label colour, in the given order, with a 0-9 legend', () => {
    const withNaN = pts.slice();
    withNaN[2 * 7] = Number.NaN;
    const { svg } = latentScatterSvg(withNaN, labels, { title: 'latent' });
    const fills = [...svg.matchAll(/<circle [^>]*fill="(#[0-9a-f]{6})"\/>/g)].map((m) => m[1]);
    const hexOf = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    const expected = [...labels].map((l) => hexOf(LABEL_COLORS[l])).filter((_, i) => i !== 7);
    expect(fills).toEqual(expected);
    expect(svg).toContain(`<g class="points" fill-opacity="${POINT_ALPHA}">`);
    expect(svg.match(/<g class="legend">.*?<\/g>/)![0].match(/>(\d)<\/text>/g)).toEqual([...'0123456789'].map((d) => `>${d}</text>`));
    expect(texts(svg, 'x-label')).toEqual(['z[0]']);
    expect(texts(svg, 'y-label')).toEqual(['z[1]']);
  });

  it('rasterises with each point in its translucent label colour over white', async () => {
    // Two far-apart points, so neither overlaps the other, and both off the gridlines (which are not white).
    const p: [number, number, number][] = [[-0.93, -0.87, 3], [0.91, 0.83, 9]];
    const c = latentScatterSvg(new Float32Array(p.flatMap(([x, y]) => [x, y])), new Uint8Array([3, 9]), { width: 400, height: 360 });
    for (const [x, y] of p) expect([...c.xAxis.ticks, ...c.yAxis.ticks].every((t) => Math.abs(t - x) > 0.05 && Math.abs(t - y) > 0.05)).toBe(true);
    const png = await decode(await svgToPng(c.svg));
    expect([png.width, png.height]).toEqual([400, 360]);
    for (const [x, y, l] of p) {
      // librsvg stores the opacity as a byte: round(0.65*255) = 166.
      const a = Math.round(POINT_ALPHA * 255) / 255;
      const want = LABEL_COLORS[l].map((v) => v * a + 255 * (1 - a));
      png.px(...at(c, x, y)).forEach((v, k) => expect(Math.abs(v - want[k]), `label ${l} channel ${k}`).toBeLessThanOrEqual(1));
    }
  });

  it('rejects fewer labels than points, naming both counts', () => {
    expect(() => latentScatterSvg(new Float32Array(4), new Uint8Array(1))).toThrow(RangeError);
    expect(() => latentScatterSvg(new Float32Array(4), new Uint8Array(1))).toThrow('latentScatter: 2 points but only 1 labels; expected one label per point');
  });

  it('draws the axes for no points at all', () => {
    const { svg } = latentScatterSvg(new Float32Array(0), new Uint8Array(0));
    expect(svg).not.toMatch(/<circle [^>]*fill-opacity/);
    expect(texts(svg, 'x-tick').length).toBeGreaterThan(1);
  });
});

describe('svgToPng', () => {
  it('refuses an SVG without a pixel size, and one larger than the canvas limit, before rasterising', async () => {
    await expect(svgToPng('<svg xmlns="http://www.w3.org/2000/svg"></svg>')).rejects.toThrow('svgToPng: the root <svg> element needs numeric width and height attributes, in px');
    await expect(svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="20000"></svg>')).rejects.toThrow('svgToPng: 20000x20000 px is larger than the 268435456 px canvas limit');
  });
});
