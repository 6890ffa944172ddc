/**
 * Dependency-light PNG plots for the trainer: Float32Arrays in, PNG bytes out.
 * Typical per-epoch use: `fs.writeFileSync(path, encodePng(lineChart(...)))`.
 */
export type { Raster, Rect, Rgb } from './raster.js';
export {
  blendPixel,
  createRaster,
  drawLine,
  drawText,
  drawTextVertical,
  encodePng,
  fillCircle,
  fillRect,
  getPixel,
  measureText,
  setPixel,
  strokeRect,
} from './raster.js';
export type { ImageGridOptions } from './image-grid.js';
export { imageGrid } from './image-grid.js';
export type { ReconstructionGridOptions } from './recon-grid.js';
export { reconstructionGrid } from './recon-grid.js';
export type { ChartRaster } from './chart-frame.js';
export type { LineChartOptions, LineSeries } from './line-chart.js';
export { lineChart } from './line-chart.js';
export type { LatentScatterOptions } from './scatter.js';
export { LABEL_COLORS, latentScatter } from './scatter.js';
export type { Axis } from './ticks.js';
export { formatTicks, niceTicks } from './ticks.js';
