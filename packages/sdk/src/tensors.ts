/**
 * Batches the SDK returns, and the normalisation of everything it accepts as
 * images or latents into contiguous float32 batches. The result is always a
 * buffer the SDK owns: ONNX Runtime reads its input only when the (queued) run
 * starts, so a caller's array is copied at call time and validated there.
 */
import { VAEInputError } from './errors.js';
import { describe } from './random.js';

/** A batch of images, NCHW float32 in [0, 1]: `data.length === N·C·H·W`. */
export interface ImageBatch {
  /** Pixel values, image after image, each channel-major then row-major: `data[((i·C + c)·H + y)·W + x]`. */
  readonly data: Float32Array;
  /** `[N, C, H, W]`: images, channels (1 for grey such as MNIST, 3 for RGB), height, width. */
  readonly shape: readonly [n: number, channels: number, height: number, width: number];
}

/** A batch of latent vectors, row-major: `data.length === N·latent`. */
export interface LatentBatch {
  /** Latent values, vector after vector: element `k` of vector `i` is `data[i·latent + k]`. */
  readonly data: Float32Array;
  /** `[N, latent]`: number of vectors and the model's latent size. */
  readonly shape: readonly [n: number, latent: number];
}

/**
 * Anything accepted as images:
 * - a flat `Float32Array`/`Float64Array`/`number[]` of N·C·H·W values in [0, 1] (N·784 for MNIST), planar (NCHW);
 * - a flat `Uint8Array`/`Uint8ClampedArray` of N·C·H·W bytes (scaled by 1/255);
 * - `number[][]` (or an array of typed arrays), one C·H·W-value image per row;
 * - a tensor-like `{ data, shape | dims }` with shape `[N, C, H, W]` (`[N, 1, 28, 28]` for MNIST; e.g. an {@link ImageBatch}).
 */
export type ImagesInput =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Uint8ClampedArray
  | readonly number[]
  | readonly (readonly number[] | Float32Array | Uint8Array | Uint8ClampedArray | Float64Array)[]
  | { readonly data: ArrayLike<number>; readonly shape?: readonly number[]; readonly dims?: readonly number[] };

/**
 * Anything accepted as latents: a flat `Float32Array`/`Float64Array`/`number[]`
 * of N·latent values, `number[][]` rows, or `{ data, shape: [N, latent] }`.
 */
export type LatentsInput =
  | Float32Array
  | Float64Array
  | readonly number[]
  | readonly (readonly number[] | Float32Array | Float64Array)[]
  | { readonly data: ArrayLike<number>; readonly shape?: readonly number[]; readonly dims?: readonly number[] };

type Kind = 'images' | 'latents';

function isRowArray(v: unknown): v is readonly ArrayLike<number>[] {
  return Array.isArray(v) && v.length > 0 && (Array.isArray(v[0]) || ArrayBuffer.isView(v[0]));
}

/** Checks finiteness (and range for images) in one pass; returns the first bad index or -1. */
function firstBad(data: ArrayLike<number>, lo: number, hi: number): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // `!(v >= lo && v <= hi)` is also true for NaN.
    if (!(v >= lo && v <= hi)) return i;
  }
  return -1;
}

function toFloat32(kind: Kind, data: ArrayLike<number>, what: string): { f32: Float32Array; bytes: boolean } {
  // Copied, not viewed: the run that reads it may start after the caller has
  // reused the buffer (queued behind other calls, or ONNX Runtime's own
  // setImmediate). Validation then checks exactly the values that will run.
  if (data instanceof Float32Array) return { f32: new Float32Array(data), bytes: false };
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) {
    if (kind === 'latents') throw new VAEInputError(`latents must be float values (Float32Array, Float64Array or number[]), got ${what}`);
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] / 255;
    return { f32: out, bytes: true };
  }
  if (data instanceof Float64Array || Array.isArray(data)) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number') {
        throw new VAEInputError(`${kind} must contain numbers; element ${i} is ${describe(v)}`);
      }
      out[i] = v;
    }
    return { f32: out, bytes: false };
  }
  const expected = kind === 'images' ? 'Float32Array, Uint8Array, Uint8ClampedArray, Float64Array or number[]' : 'Float32Array, Float64Array or number[]';
  throw new VAEInputError(`${kind} have the wrong dtype: got ${what}; expected ${expected}`);
}

function validate(kind: Kind, f32: Float32Array, rowSize: number, rowDesc: string, what: string, checkRange: boolean): number {
  if (f32.length === 0 || f32.length % rowSize !== 0) {
    throw new VAEInputError(`${kind} have the wrong length: ${f32.length} values from ${what}; expected a positive multiple of ${rowSize} (${rowDesc})`);
  }
  // One pass over the data: the latents check runs on every decode call.
  const bad = checkRange ? firstBad(f32, 0, 1) : firstNonFinite(f32);
  if (bad >= 0) {
    const v = f32[bad];
    const expect = checkRange ? 'finite values in [0, 1]' : 'finite values';
    throw new VAEInputError(`${kind} contain ${v} at index ${bad} (item ${Math.floor(bad / rowSize)}); expected ${expect}`);
  }
  return f32.length / rowSize;
}

function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // NaN and ±Infinity are the only values for which v - v is not 0.
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * Normalises images to an NCHW float32 batch, checking shape, dtype, length
 * and values. Always returns a fresh buffer (a `Float32Array` is copied), so
 * the caller may reuse its array as soon as the call returns.
 * @internal
 */
export function toImageBatch(input: unknown, imageShape: readonly [number, number, number]): ImageBatch {
  const [C, H, W] = imageShape;
  const size = C * H * W;
  const rowDesc = `N images of ${C}×${H}×${W}`;
  let data: ArrayLike<number>;
  let what = describe(input);
  if (input === null || input === undefined || typeof input !== 'object') {
    throw new VAEInputError(`images must be a Float32Array, Uint8Array, number[][] or a [N,${C},${H},${W}] tensor, got ${what}`);
  }
  if (isRowArray(input)) {
    data = flattenRows('images', input, size);
    what = `${input.length} rows`;
  } else if (!Array.isArray(input) && !ArrayBuffer.isView(input) && 'data' in input) {
    const t = input as { data: ArrayLike<number>; shape?: readonly number[]; dims?: readonly number[] };
    const shape = t.shape ?? t.dims;
    if (!shape || shape.length !== 4 || shape[1] !== C || shape[2] !== H || shape[3] !== W) {
      throw new VAEInputError(`image tensor has shape [${shape ? shape.join(',') : '?'}]; expected [N,${C},${H},${W}]`);
    }
    data = t.data;
    what = `a tensor of shape [${shape.join(',')}]`;
    if (data?.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new VAEInputError(`image tensor data has ${data?.length} values but shape [${shape.join(',')}] needs ${shape.reduce((a, b) => a * b, 1)}`);
    }
  } else {
    data = input as ArrayLike<number>;
  }
  const { f32, bytes } = toFloat32('images', data, what);
  const n = validate('images', f32, size, rowDesc, what, !bytes);
  return { data: f32, shape: [n, C, H, W] };
}

/**
 * Normalises latents to an `[N, latent]` float32 batch. A single vector
 * (`number[]` of length `latent`) is a batch of one. Always a fresh buffer,
 * like {@link toImageBatch}.
 * @internal
 */
export function toLatentBatch(input: unknown, latent: number): LatentBatch {
  let data: ArrayLike<number>;
  let what = describe(input);
  if (input === null || input === undefined || typeof input !== 'object') {
    throw new VAEInputError(`latents must be a Float32Array, number[] or number[][] of ${latent}-vectors, got ${what}`);
  }
  if (isRowArray(input)) {
    data = flattenRows('latents', input, latent);
    what = `${input.length} rows`;
  } else if (!Array.isArray(input) && !ArrayBuffer.isView(input) && 'data' in input) {
    const t = input as { data: ArrayLike<number>; shape?: readonly number[]; dims?: readonly number[] };
    const shape = t.shape ?? t.dims;
    if (!shape || shape.length !== 2 || shape[1] !== latent) {
      throw new VAEInputError(`latent tensor has shape [${shape ? shape.join(',') : '?'}]; expected [N,${latent}]`);
    }
    data = t.data;
    what = `a tensor of shape [${shape.join(',')}]`;
    if (data?.length !== shape[0] * shape[1]) {
      throw new VAEInputError(`latent tensor data has ${data?.length} values but shape [${shape.join(',')}] needs ${shape[0] * shape[1]}`);
    }
  } else {
    data = input as ArrayLike<number>;
  }
  const { f32 } = toFloat32('latents', data, what);
  if (f32.length % latent !== 0 || f32.length === 0) {
    throw new VAEInputError(`latents have the wrong size: ${f32.length} values from ${what}; expected a positive multiple of the latent size ${latent} (N latent vectors of ${latent})`);
  }
  const n = validate('latents', f32, latent, `N vectors of ${latent}`, what, false);
  return { data: f32, shape: [n, latent] };
}

function flattenRows(kind: Kind, rows: readonly ArrayLike<number>[], size: number): Float32Array | number[] {
  const allBytes = rows.every((r) => r instanceof Uint8Array || r instanceof Uint8ClampedArray);
  const out = allBytes ? new Uint8Array(rows.length * size) : new Float32Array(rows.length * size);
  rows.forEach((r, i) => {
    if (!r || typeof r.length !== 'number' || r.length !== size) {
      throw new VAEInputError(`${kind}[${i}] has ${r && typeof r.length === 'number' ? r.length : 'no'} values; expected ${size} per row`);
    }
    for (let j = 0; j < size; j++) {
      const v = r[j];
      if (typeof v !== 'number') throw new VAEInputError(`${kind}[${i}][${j}] is ${describe(v)}; expected a number`);
      out[i * size + j] = v;
    }
  });
  return out as unknown as Float32Array;
}

/**
 * Image `i` of a batch as a view (no copy): writing to it writes to the batch.
 *
 * @throws {@link VAEInputError} unless `i` is an integer in `[0, N - 1]`
 *
 * @example
 * ```ts
 * const batch = await vae.sample(4, { seed: 1 });
 * const third = imageAt(batch, 2);                 // Float32Array(784), a view into batch.data
 * const { mu } = await vae.encode(third);          // one image in, one latent out
 * ```
 */
export function imageAt(batch: ImageBatch, i: number): Float32Array {
  const n = batch.shape[0];
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n) {
    throw new VAEInputError(`index must be an integer in [0, ${n - 1}] (a batch of ${n} images), got ${describe(i)}`);
  }
  const size = batch.shape[1] * batch.shape[2] * batch.shape[3];
  return batch.data.subarray(i * size, (i + 1) * size);
}

/**
 * Throws unless `images` is an {@link ImageBatch} the SDK made or could have:
 * `{ data: Float32Array, shape: [N, C, H, W] }` with positive integer sides
 * and `data.length === N·C·H·W`. For helpers (`tile`, `encodePng`) that read
 * a batch as it is rather than converting it.
 * @internal
 */
export function checkImageBatch(where: string, images: unknown): ImageBatch {
  const b = images as ImageBatch;
  const expected = 'an ImageBatch { data: Float32Array, shape: [N, C, H, W] } (what vae.sample, decode and reconstruct return)';
  if (images === null || typeof images !== 'object' || ArrayBuffer.isView(images) || Array.isArray(images)) {
    throw new VAEInputError(`${where} expects ${expected}, got ${describe(images)}${ArrayBuffer.isView(images) ? '; wrap raw pixels as { data, shape: [N, C, H, W] }' : ''}`);
  }
  if (!(b.data instanceof Float32Array)) throw new VAEInputError(`${where} expects ${expected}; its data is ${describe(b.data)}`);
  const s = b.shape;
  if (!Array.isArray(s) || s.length !== 4 || !s.every((d) => Number.isInteger(d) && d > 0)) {
    throw new VAEInputError(`${where} expects ${expected}; its shape is ${Array.isArray(s) ? `[${s.join(', ')}]` : describe(s)}`);
  }
  if (s[0] * s[1] * s[2] * s[3] !== b.data.length) {
    throw new VAEInputError(`${where}: shape [${s.join(', ')}] needs ${s[0] * s[1] * s[2] * s[3]} values but data has ${b.data.length}`);
  }
  return b;
}
