/**
 * Platform-free image helpers: grids, 8-bit conversion, and RGBA pixels (from
 * a decoded PNG or a canvas `ImageData`) to model input.
 */
import { VAEInputError } from './errors.js';
import type { OptionSchema } from './options.js';
import { checkOptions, t } from './options.js';
import { fitImage } from './fit-image.js';
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
 * Image `index` of a batch as 8-bit grey levels (`round(v·255)`, clamped): a
 * one-channel image as it is, a three-channel (RGB) one as its Rec. 601
 * luminance.
 *
 * @throws {@link VAEInputError} unless `index` is an integer in `[0, N - 1]` and the batch has 1 or 3 channels
 *
 * @example
 * ```ts
 * const digits = await vae.sample(4, { seed: 1 });
 * const { data, width, height } = toGray8(digits, 3); // Uint8ClampedArray(784), 28, 28
 * ```
 */
export function toGray8(images: ImageBatch, index = 0, where = 'toGray8'): { data: Uint8ClampedArray; width: number; height: number } {
  const { src, c, h, w } = pickImage(images, index, where);
  const size = h * w;
  const out = new Uint8ClampedArray(size);
  if (c === 1) for (let i = 0; i < size; i++) out[i] = Math.round(src[i] * 255);
  else for (let i = 0; i < size; i++) out[i] = Math.round((0.299 * src[i] + 0.587 * src[size + i] + 0.114 * src[2 * size + i]) * 255);
  return { data: out, width: w, height: h };
}

/**
 * Image `index` of a batch as interleaved 8-bit pixels: `channels` 1 gives
 * grey levels, 3 gives RGB (a one-channel image repeated in all three), 4 gives
 * RGBA with opaque alpha. Values are `round(v·255)`, clamped.
 *
 * @throws {@link VAEInputError} unless `index` is an integer in `[0, N - 1]` and the batch has 1 or 3 channels
 *
 * @example
 * ```ts
 * const faces = await vae.sample(1, { seed: 1 });        // [1, 3, 64, 64]
 * const { data, width, height } = toPixels8(faces, 0, 3); // Uint8ClampedArray(64·64·3), RGB
 * ```
 */
export function toPixels8(images: ImageBatch, index = 0, channels: 1 | 3 | 4 = 4, where = 'toPixels8'): { data: Uint8ClampedArray; width: number; height: number } {
  if (channels === 1) return toGray8(images, index, where);
  const { src, c, h, w } = pickImage(images, index, where);
  const size = h * w;
  const out = new Uint8ClampedArray(size * channels);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < 3; k++) out[i * channels + k] = Math.round(src[(c === 1 ? 0 : k * size) + i] * 255);
    if (channels === 4) out[i * 4 + 3] = 255;
  }
  return { data: out, width: w, height: h };
}

/** Image `index`'s planar values, once the index and channel count are checked. */
function pickImage(images: ImageBatch, index: number, where: string): { src: Float32Array; c: number; h: number; w: number } {
  checkImageBatch(where, images);
  const [n, c, h, w] = images.shape;
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new VAEInputError(`index must be an integer in [0, ${n - 1}], got ${index}`);
  if (c !== 1 && c !== 3) throw new VAEInputError(`${where}: images have ${c} channels; expected 1 (grey) or 3 (RGB)`);
  const size = c * h * w;
  return { src: images.data.subarray(index * size, (index + 1) * size), c, h, w };
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
 * Image `index` as RGBA pixels (grey images in all three colour channels,
 * RGB ones in colour, alpha opaque): a real `ImageData` where the global exists
 * (browsers, workers), else a plain object of the same shape, so the call
 * works in Node too.
 *
 * @example
 * ```ts
 * ctx.putImageData(toImageData(tile(await vae.sample(16, { seed: 1 }))), 0, 0);
 * ```
 */
export function toImageData(images: ImageBatch, index = 0): ImageDataOut {
  const { data: rgba, width, height } = toPixels8(images, index, 4, 'toImageData');
  const Ctor = (globalThis as { ImageData?: new (d: Uint8ClampedArray, w: number, h: number) => ImageDataLike }).ImageData;
  return (Ctor ? new Ctor(rgba, width, height) : { data: rgba, width, height }) as ImageDataOut;
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
  /** Target size `[height, width]` of a one-channel image; default `[28, 28]`. Give `shape` instead for a model's input. */
  size?: readonly [number, number];
  /**
   * The model's image shape `[C, H, W]` (`vae.info.imageShape`), C 1 (grey) or
   * 3 (RGB). For `[1, 28, 28]` the pixels are read as a digit (above); for any
   * other shape the image is composited on `background`, centre-cropped to
   * the model's aspect ratio and area-resized, with no inversion unless
   * `invert: true`, and `prepare: true` is an error.
   */
  shape?: readonly [number, number, number];
  /** RGB in [0, 1] that transparent pixels are composited on, for a model that is not a digit model; default white `[1, 1, 1]`. */
  background?: readonly [number, number, number];
}

/** The schema {@link fromImageData} checks its options against. @internal */
export const FROM_PIXELS_SCHEMA: OptionSchema = {
  prepare: t.boolean,
  invert: t.either(t.boolean, t.oneOf('auto')),
  size: t.integerPair,
  shape: { expected: 'an image shape [C, H, W] of integers', test: (v) => Array.isArray(v) && v.length === 3 && v.every(Number.isInteger) },
  background: { expected: 'an RGB colour [r, g, b] with each value in [0, 1]', test: (v) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && x >= 0 && x <= 1) },
};

/** The largest side {@link fromImageData} produces. */
const MAX_SIDE = 4096;

/**
 * RGBA pixels (a canvas `ImageData`, a decoded PNG) → a one-image batch the
 * model takes. Pass the model's shape (`{ shape: vae.info.imageShape }`): a
 * colour or grey model of any size gets the image composited on white,
 * centre-cropped to its aspect ratio and resized; a 1×28×28 digit model (also
 * the default without `shape`) gets a white digit on black, by default through
 * MNIST's preparation (see {@link FromPixelsOptions.prepare}), so a digit
 * drawn anywhere on a canvas of any shape, in any ink, reads like an MNIST
 * digit; `{ prepare: false }` only greys, resizes and inverts.
 *
 * @throws {@link VAEInputError} for pixels whose `data.length` is not `width·height·4`, a shape of other
 *   than 1 or 3 channels, `prepare: true` for a shape other than 1×28×28, or bad options
 *
 * @example
 * ```ts
 * // A digit drawn anywhere on a 400×300 canvas, dark ink on white: cropped, centred and made white on black.
 * const image = fromImageData(canvas.getContext('2d')!.getImageData(0, 0, 400, 300));
 * const recon = await vae.reconstruct(image);
 * // A photo for a 3×64×64 colour model: centre-cropped to a square, resized to 64×64.
 * const face = fromImageData(photoPixels, { shape: faces.info.imageShape });
 * ```
 */
export function fromImageData(image: ImageDataLike, options: FromPixelsOptions = {}): ImageBatch {
  const opts = checkOptions('fromImageData', options, FROM_PIXELS_SCHEMA);
  if (image === null || typeof image !== 'object') throw new VAEInputError(`fromImageData expects { data, width, height } RGBA pixels (an ImageData), got ${describeShort(image)}`);
  const { data, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || !isByteArray(data) || data.length !== width * height * 4) {
    throw new VAEInputError(`expected RGBA pixels with data.length === width·height·4, got ${width}×${height} and ${data?.length} bytes`);
  }
  if (opts.shape !== undefined && opts.size !== undefined) throw new VAEInputError('fromImageData: give either shape [C, H, W] or size [H, W], not both');
  const [tc, th, tw] = opts.shape ?? [1, ...(opts.size ?? [28, 28])];
  if (th < 1 || tw < 1 || th > MAX_SIDE || tw > MAX_SIDE) {
    throw new VAEInputError(`${opts.shape ? 'shape must be [C, H, W] with H and W' : 'size must be [height, width] with both'} in [1, ${MAX_SIDE}], got [${(opts.shape ?? opts.size)!.join(', ')}]`);
  }
  if (tc !== 1 && tc !== 3) throw new VAEInputError(`shape [${opts.shape!.join(', ')}] has ${tc} channels; expected 1 (grey) or 3 (RGB)`);
  const invert = opts.invert ?? 'auto';
  const n = width * height;
  // Only a digit model's input is read as a digit; the legacy size option always was.
  if (opts.shape && !(tc === 1 && th === 28 && tw === 28)) {
    if (opts.prepare) throw new VAEInputError(`fromImageData: prepare (MNIST's digit preparation) applies only to 1×28×28 digit models; this shape is ${tc}×${th}×${tw}, expected prepare: false or omitted`);
    const out = fitImage(data, width, height, tc, th, tw, opts.background ?? [1, 1, 1]);
    if (invert === true) for (let i = 0; i < out.length; i++) out[i] = 1 - out[i];
    return { data: out, shape: [1, tc, th, tw] };
  }
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
