/**
 * The canvas the image grids are tiled on: model images are copied into an
 * RGB buffer pixel for pixel (a sample must show exactly what the decoder
 * gave, never a resampled version), then sharp composites the SVG captions on
 * top and encodes the PNG.
 */
import sharp from 'sharp';
import type { Rgb } from './svg.js';
import { MAX_CANVAS_PIXELS } from './rasterise.js';

/** An RGB canvas, row-major, 3 bytes a pixel. */
export interface GridCanvas {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The shape of one image, NHWC without the N: height, width, channels (1 grey or 3 RGB). */
export type ImageShape = readonly [number, number, number];

/** Maps an intensity to a byte: clamped to [0,1], and NaN (a diverged model) shows as black rather than throwing. */
export function pixelByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * Checks that a packed NHWC array holds `n` images of `shape`; a mismatch is
 * a caller bug worth a clear error.
 *
 * @throws RangeError naming the sizes given and expected.
 */
export function checkImages(name: string, images: Float32Array, n: number, shape: ImageShape): void {
  const [h, w, c] = shape;
  if (!Number.isInteger(n) || !Number.isInteger(h) || !Number.isInteger(w) || n < 0 || h < 1 || w < 1) {
    throw new RangeError(`${name}: n, h, w must be integers with h, w >= 1 (got ${n}, ${h}, ${w})`);
  }
  if (c !== 1 && c !== 3) throw new RangeError(`${name}: ${c} channels; expected 1 (grey) or 3 (RGB)`);
  if (images.length < n * h * w * c) {
    throw new RangeError(`${name}: expected ${n}x${h}x${w}x${c} = ${n * h * w * c} values, got ${images.length}`);
  }
}

/**
 * A `width`×`height` canvas filled with `background`.
 *
 * @throws RangeError when the canvas would exceed {@link MAX_CANVAS_PIXELS}.
 */
export function createCanvas(width: number, height: number, background: Rgb): GridCanvas {
  if (width * height > MAX_CANVAS_PIXELS) throw new RangeError(`image grid: ${width}x${height} px is larger than the ${MAX_CANVAS_PIXELS} px canvas limit; expected fewer or smaller images`);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(background, i);
  return { width, height, data };
}

/**
 * Copies image `index` of a packed NHWC array onto the canvas with its
 * top-left corner at (`x`, `y`), each source pixel becoming a
 * `scale`×`scale` block; a grey image is written to all three channels.
 */
export function drawImage(canvas: GridCanvas, images: Float32Array, index: number, shape: ImageShape, x: number, y: number, scale: number): void {
  const [h, w, c] = shape;
  const base = index * h * w * c;
  const px = [0, 0, 0];
  for (let iy = 0; iy < h; iy++) {
    for (let ix = 0; ix < w; ix++) {
      const s = base + (iy * w + ix) * c;
      for (let k = 0; k < 3; k++) px[k] = pixelByte(images[s + (c === 3 ? k : 0)]);
      for (let dy = 0; dy < scale; dy++) {
        const row = y + iy * scale + dy;
        if (row < 0 || row >= canvas.height) continue;
        for (let dx = 0; dx < scale; dx++) {
          const col = x + ix * scale + dx;
          if (col < 0 || col >= canvas.width) continue;
          canvas.data.set(px, (row * canvas.width + col) * 3);
        }
      }
    }
  }
}

/** Encodes the canvas as an RGB PNG with sharp, with `overlaySvg` (captions, separators; same size) drawn on top. */
export async function encodeCanvas(canvas: GridCanvas, overlaySvg: string | null): Promise<Uint8Array> {
  let img = sharp(Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength), { raw: { width: canvas.width, height: canvas.height, channels: 3 } });
  if (overlaySvg) {
    // Composite onto the raw canvas in one pipeline, then drop the alpha the SVG brought in.
    const composed = await img.composite([{ input: Buffer.from(overlaySvg), top: 0, left: 0 }]).raw().toBuffer({ resolveWithObject: true });
    img = sharp(composed.data, { raw: { width: composed.info.width, height: composed.info.height, channels: composed.info.channels as 3 | 4 } }).removeAlpha();
  }
  const png = await img.png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
