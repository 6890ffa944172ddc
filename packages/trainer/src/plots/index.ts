/**
 * The trainer's plots: charts drawn as SVG text and image grids tiled pixel
 * for pixel, both turned into PNG bytes by sharp (librsvg, libvips).
 * Typical per-epoch use: `await writeRunFile(path, await svgToPng(lineChartSvg(...).svg), 'plot')`.
 */
export type { Rect, Rgb } from './svg.js';
export { escapeXml, estimateTextWidth } from './svg.js';
export { MAX_CANVAS_PIXELS, svgToPng } from './rasterise.js';
export type { ImageShape } from './grid-canvas.js';
export type { ImageGridLayout, ImageGridOptions } from './image-grid.js';
export { imageGridLayout, imageGridPng } from './image-grid.js';
export type { ReconstructionGridLayout, ReconstructionGridOptions } from './recon-grid.js';
export { reconstructionGridLayout, reconstructionGridPng } from './recon-grid.js';
export type { ChartSvg } from './chart-axes.js';
export type { LineChartOptions, LineSeries } from './line-chart.js';
export { lineChartSvg } from './line-chart.js';
export type { LatentScatterOptions } from './scatter.js';
export { LABEL_COLORS, latentScatterSvg } from './scatter.js';
export type { Axis } from './ticks.js';
export { formatTicks, niceTicks } from './ticks.js';
