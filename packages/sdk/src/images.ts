/**
 * Platform-free image helpers: grids, 8-bit conversion, and RGBA pixels (from
 * a decoded PNG or a canvas `ImageData`) to model input.
 */
import { VAEInputError } from './errors.js';
import type { OptionSchema } from './options.js';
import { checkOptions, t } from './options.js';
import { flattenAlpha, prepareDigit } from './prepare-digit.js';
import { resizeArea } from './resize.js';
import type { ImageBatch } from './tensors.js';
import { checkImageBatch } from './tensors.js';

export { resizeArea } from './resize.js';

/** Options for {@link tile}. */
export interface TileOptions {
  /** Columns in the grid; default `ceil(sqrt(N))`. */
  cols?: number;
  /** Pixels between cells; default 2. */
  padding?: number;
  /** Value of the padding, in [0, 1]; default 0 (black, like MNIST's background). */
  background?: number;
}

/**
 * Lays a batch out as one grid image (a batch of one).
 *
 * @example
 * ```ts
 * const grid = tile(await vae.sample(64, { seed: 1 }), { cols: 8 });
 * ```
 */
export function tile(images: ImageBatch, options: TileOptions | number = {}): ImageBatch {
  checkImageBatch('tile', images);
  const opts = typeof options === 'number' ? { cols: options } : checkOptions('tile', options, TILE_SCHEMA);
  const [n, c, h, w] = images.shape;
  const cols = opts.cols ?? Math.ceil(Math.sqrt(n));
  if (!Number.isInteger(cols) || cols <= 0) throw new VAEInputError(`cols must be a positive integer, got ${cols}`);
  const pad = opts.padding ?? 2;
  if (!Number.isInteger(pad) || pad < 0 || pad > 1024) throw new VAEInputError(`padding must be an integer in [0, 1024], got ${pad}`);
  const rows = Math.ceil(n / cols);
  const useCols = Math.min(cols, n);
  const W = useCols * w + (useCols + 1) * pad;
  const H = rows * h + (rows + 1) * pad;
  if (c * H * W > 2 ** 28) throw new VAEInputError(`tile: a ${W}×${H} grid of ${c} channel(s) is more than 2^28 values (1 GiB); expected fewer images or less padding`);
  const out = new Float32Array(c * H * W).fill(opts.background ?? 0);
  for (let i = 0; i < n; i++) {
    const y0 = pad + Math.floor(i / cols) * (h + pad);
    const x0 = pad + (i % cols) * (w + pad);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const src = ((i * c + ch) * h + y) * w;
        out.set(images.data.subarray(src, src + w), (ch * H + y0 + y) * W + x0);
      }
    }
  }
  return { data: out, shape: [1, c, H, W] };
}

const TILE_SCHEMA: OptionSchema = { cols: t.positiveInteger, padding: t.integer, background: t.number };

/**
 * Image `index` of a batch as 8-bit grey levels (`round(v·255)`, clamped).
 *
 * @throws {@link VAEInputError} unless `index` is an integer in `[0, N - 1]`
 *
 * @example
 * ```ts
 * const digits = await vae.sample(4, { seed: 1 });
 * const { data, width, height } = toGray8(digits, 3); // Uint8ClampedArray(784), 28, 28
 * ```
 */
export function toGray8(images: ImageBatch, index = 0, where = 'toGray8'): { data: Uint8ClampedArray; width: number; height: number } {
  checkImageBatch(where, images);
  const [n, , h, w] = images.shape;
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new VAEInputError(`index must be an integer in [0, ${n - 1}], got ${index}`);
  const size = h * w;
  // Channel 0 only: the SDK's models are greyscale.
  const src = images.data.subarray(index * images.shape[1] * size, index * images.shape[1] * size + size);
  const out = new Uint8ClampedArray(size);
  for (let i = 0; i < size; i++) out[i] = Math.round(src[i] * 255);
  return { data: out, width: w, height: h };
}

/** The structural part of the DOM `ImageData` the SDK reads and writes. */
export interface ImageDataLike {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/**
 * What {@link toImageData} returns, as the compiling program sees it: the DOM's
 * `ImageData` when the program has DOM (or webworker) typings, so it goes
 * straight into `putImageData`; {@link ImageDataLike} otherwise, so a Node-only
 * program needs no DOM types. The Node entry always says `ImageDataLike`.
 */
export type ImageDataOut = typeof globalThis extends { ImageData: { prototype: infer T extends ImageDataLike } } ? T : ImageDataLike;

/**
 * Image `index` as RGBA pixels: a real `ImageData` where the global exists
 * (browsers, workers), else a plain object of the same shape, so the call
 * works in Node too.
 *
 * @example
 * ```ts
 * ctx.putImageData(toImageData(tile(await vae.sample(16, { seed: 1 }))), 0, 0);
 * ```
 */
export function toImageData(images: ImageBatch, index = 0): ImageDataOut {
  const g = toGray8(images, index, 'toImageData');
  const rgba = new Uint8ClampedArray(g.width * g.height * 4);
  for (let i = 0; i < g.data.length; i++) {
    const v = g.data[i];
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  const Ctor = (globalThis as { ImageData?: new (d: Uint8ClampedArray, w: number, h: number) => ImageDataLike }).ImageData;
  return (Ctor ? new Ctor(rgba, g.width, g.height) : { data: rgba, width: g.width, height: g.height }) as ImageDataOut;
}

/** Options for turning arbitrary pixels into model input. */
export interface FromPixelsOptions {
  /**
   * `true` (default): MNIST's preparation. Alpha is flattened onto a
   * background that contrasts with the strokes, the ink colour is found (and
   * inverted to white on black when dark), a grey paper level is removed, the
   * ink is cropped to its bounding box, fitted into 20×20 keeping its aspect
   * ratio and centred by its centre of mass in the 28×28 field. `false`: only
   * grey (over white), area-resize to `size` and invert, as the pixels are.
   */
  prepare?: boolean;
  /**
   * MNIST digits are white on black. `'auto'` (default) inverts dark ink on
   * light paper: with `prepare`, when the mean is darker than the median
   * (the paper); without, when the border is mostly bright.
   */
  invert?: boolean | 'auto';
  /** Target size `[height, width]`; default `[28, 28]`. */
  size?: readonly [number, number];
}

/** The schema {@link fromImageData} checks its options against. @internal */
export const FROM_PIXELS_SCHEMA: OptionSchema = { prepare: t.boolean, invert: t.either(t.boolean, t.oneOf('auto')), size: t.integerPair };

/**
 * RGBA pixels (a canvas `ImageData`, a decoded PNG) → a one-image batch of
 * `size` (28×28), white digit on black as the model expects. By default with
 * MNIST's preparation (see {@link FromPixelsOptions.prepare}), so a digit
 * drawn anywhere on a canvas of any shape, in any ink, reads like an MNIST
 * digit; `{ prepare: false }` only greys, resizes and inverts.
 *
 * @throws {@link VAEInputError} for pixels whose `data.length` is not `width·height·4`, or bad options
 *
 * @example
 * ```ts
 * // A digit drawn anywhere on a 400×300 canvas, dark ink on white: cropped, centred and made white on black.
 * const image = fromImageData(canvas.getContext('2d')!.getImageData(0, 0, 400, 300));
 * const recon = await vae.reconstruct(image);
 * ```
 */
export function fromImageData(image: ImageDataLike, options: FromPixelsOptions = {}): ImageBatch {
  const opts = checkOptions('fromImageData', options, FROM_PIXELS_SCHEMA);
  if (image === null || typeof image !== 'object') throw new VAEInputError(`fromImageData expects { data, width, height } RGBA pixels (an ImageData), got ${describeShort(image)}`);
  const { data, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || !isByteArray(data) || data.length !== width * height * 4) {
    throw new VAEInputError(`expected RGBA pixels with data.length === width·height·4, got ${width}×${height} and ${data?.length} bytes`);
  }
  const [th, tw] = opts.size ?? [28, 28];
  if (th < 1 || tw < 1 || th > 4096 || tw > 4096) throw new VAEInputError(`size must be [height, width] with both in [1, 4096], got [${th}, ${tw}]`);
  const invert = opts.invert ?? 'auto';
  const n = width * height;
  if (opts.prepare ?? true) {
    return { data: prepareDigit(flattenAlpha(data, n), width, height, invert, th, tw), shape: [1, 1, th, tw] };
  }
  const gray = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = data[4 * i + 3] / 255;
    const lum = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
    // Over white, so a dark stroke on a transparent canvas reads as a dark stroke.
    gray[i] = lum * a + (1 - a);
  }
  const out = resizeArea(gray, width, height, tw, th);
  if (invert === true || (invert === 'auto' && borderMean(out, tw, th) > 0.5)) {
    for (let i = 0; i < out.length; i++) out[i] = 1 - out[i];
  }
  return { data: out, shape: [1, 1, th, tw] };
}

function isByteArray(v: unknown): v is ArrayLike<number> {
  return v instanceof Uint8ClampedArray || v instanceof Uint8Array || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function describeShort(v: unknown): string {
  return v === null ? 'null' : typeof v;
}

function borderMean(a: Float32Array, w: number, h: number): number {
  let s = 0;
  let k = 0;
  for (let x = 0; x < w; x++) {
    s += a[x] + a[(h - 1) * w + x];
    k += 2;
  }
  for (let y = 1; y < h - 1; y++) {
    s += a[y * w] + a[y * w + w - 1];
    k += 2;
  }
  return s / k;
}
