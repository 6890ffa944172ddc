/**
 * Shared NHWC convolution plumbing: geometry from tfjs attributes and the
 * im2col / col2im transforms that turn a convolution into a GEMM.
 */
import { backend_util } from '@tensorflow/tfjs-core';

/** tfjs' resolved convolution geometry. */
export type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Whether the project's kernels handle this convolution; anything else (NCHW,
 * dilation) goes to tfjs' own kernel, which is slow but general.
 */
export function isFastPathConv(info: Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.dilationHeight === 1 && info.dilationWidth === 1;
}

/**
 * Writes the im2col matrix of an NHWC input: one row per output pixel
 * `(b, oh, ow)`, one column per filter tap `(kh, kw, ci)` — the same order as
 * a tfjs `[kh, kw, in, out]` filter flattened to `[kh*kw*in, out]`. Taps that
 * fall into padding are written as zeros.
 */
export function im2col(x: Float32Array, info: Conv2DInfo, cols: Float32Array, colsOff = 0): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const ci = inChannels;
  const rowLen = filterWidth * ci;
  let dst = colsOff;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * ci;
    for (let oh = 0; oh < outHeight; oh++) {
      const ih0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * strideWidth - left;
        // Taps kw in [kw0, kw1) land inside the image; in NHWC they are one
        // contiguous run of (kw1 - kw0) * ci floats of the input row.
        const kw0 = iw0 < 0 ? -iw0 : 0;
        const kw1 = Math.min(filterWidth, inWidth - iw0);
        const head = kw0 * ci;
        const run = kw1 > kw0 ? (kw1 - kw0) * ci : 0;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= inHeight || run === 0) {
            for (let t = 0; t < rowLen; t++) cols[dst + t] = 0;
            dst += rowLen;
            continue;
          }
          for (let t = 0; t < head; t++) cols[dst + t] = 0;
          const src = xb + (ih * inWidth + iw0 + kw0) * ci;
          const d = dst + head;
          for (let t = 0; t < run; t++) cols[d + t] = x[src + t];
          for (let t = head + run; t < rowLen; t++) cols[dst + t] = 0;
          dst += rowLen;
        }
      }
    }
  }
}

/**
 * The adjoint of {@link im2col}: adds every column entry back onto the input
 * pixel it was read from (entries that came from padding are dropped).
 * `dx` must be zeroed by the caller.
 */
export function col2im(cols: Float32Array, colsOff: number, info: Conv2DInfo, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const ci = inChannels;
  const rowLen = filterWidth * ci;
  let src = colsOff;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * ci;
    for (let oh = 0; oh < outHeight; oh++) {
      const ih0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * strideWidth - left;
        const kw0 = iw0 < 0 ? -iw0 : 0;
        const kw1 = Math.min(filterWidth, inWidth - iw0);
        const head = kw0 * ci;
        const run = kw1 > kw0 ? (kw1 - kw0) * ci : 0;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = ih0 + kh;
          if (ih >= 0 && ih < inHeight && run > 0) {
            const d = xb + (ih * inWidth + iw0 + kw0) * ci;
            const s = src + head;
            for (let t = 0; t < run; t++) dx[d + t] += cols[s + t];
          }
          src += rowLen;
        }
      }
    }
  }
}

/** Geometry of an NHWC/NCHW conv from tfjs' attribute set (dilations default to 1). */
export function convInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: 'same' | 'valid' | number | backend_util.ExplicitPadding,
  dataFormat: 'NHWC' | 'NCHW',
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dilations: number | [number, number] = 1,
): Conv2DInfo {
  return backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
}

/**
 * A few recent im2col matrices, keyed by the input's tfjs data id and the
 * conv geometry.
 *
 * Training computes im2col of the same tensor twice: an encoder conv's
 * forward `Conv2D(x, W)` and its filter gradient `Conv2DBackpropFilter(x, dy)`
 * both read `x`; a decoder transposed conv's input gradient `Conv2D(g, W)`
 * and filter gradient `Conv2DBackpropFilter(g, h)` both read `g`. Copying a
 * remembered matrix is several times cheaper than rebuilding it. tfjs data
 * ids are never reused for new values while referenced, and this cache holds
 * the id object itself, so a hit always means identical input values.
 */
const IM2COL_CACHE_SIZE = 8;
const im2colCache: { dataId: object; key: string; n: number; cols: Float32Array }[] = [];
// Buffers of consumed or evicted entries, reused so that remembering an
// expansion does not allocate megabytes per conv call (fresh allocations cost
// page faults and push V8 into frequent full GCs).
const spare: Float32Array[] = [];

function release(buf: Float32Array): void {
  if (spare.length < IM2COL_CACHE_SIZE) spare.push(buf);
}

function acquire(n: number): Float32Array {
  let best = -1;
  for (let i = 0; i < spare.length; i++) {
    if (spare[i].length >= n && (best < 0 || spare[i].length < spare[best].length)) best = i;
  }
  if (best >= 0) return spare.splice(best, 1)[0];
  return new Float32Array(n);
}

function geometryKey(info: Conv2DInfo): string {
  const p = info.padInfo;
  return `${info.inShape.join(',')}|${info.filterHeight},${info.filterWidth}|${info.strideHeight},${info.strideWidth}|${p.top},${p.left}|${info.outHeight},${info.outWidth}`;
}

/**
 * {@link im2col} of tensor `dataId` (values `x`) into `cols` at `colsOff`,
 * reusing a remembered matrix when the same tensor was just expanded with the
 * same geometry.
 */
export function im2colCached(dataId: object, x: Float32Array, info: Conv2DInfo, cols: Float32Array, colsOff: number): void {
  const key = geometryKey(info);
  const n = info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels;
  for (let i = im2colCache.length - 1; i >= 0; i--) {
    const e = im2colCache[i];
    if (e.dataId === dataId && e.key === key) {
      cols.set(e.n === e.cols.length ? e.cols : e.cols.subarray(0, e.n), colsOff);
      // Each expansion is wanted once more (forward, then backward); drop it after.
      im2colCache.splice(i, 1);
      release(e.cols);
      return;
    }
  }
  im2col(x, info, cols, colsOff);
  const buf = acquire(n);
  buf.set(cols.subarray(colsOff, colsOff + n));
  im2colCache.push({ dataId, key, n, cols: buf });
  if (im2colCache.length > IM2COL_CACHE_SIZE) release(im2colCache.shift()!.cols);
}

/** Forgets every remembered im2col matrix and its buffers (tests; or to release memory). */
export function clearIm2colCache(): void {
  im2colCache.length = 0;
  spare.length = 0;
}
