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
 * Writes rows `[m0, m1)` of the im2col matrix of an NHWC input: one row per
 * output pixel `m = (b, oh, ow)`, one column per filter tap `(kh, kw, ci)` —
 * the same order as a tfjs `[kh, kw, in, out]` filter flattened to
 * `[kh*kw*in, out]`. Taps that fall into padding are written as zeros.
 *
 * Kernels expand a block of rows at a time and multiply it right away, so
 * the block stays in cache instead of a full matrix (megabytes) making a
 * round trip through memory. This is the pure-JS version, used with the JS
 * GEMM fallback; the WebAssembly module has its own (see wasm/gemm-wat.mjs).
 */
export function im2col(x: Float32Array, xOff: number, info: Conv2DInfo, cols: Float32Array, colsOff: number, m0: number, m1: number): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const ci = inChannels;
  const rowLen = filterWidth * ci;
  let ow = m0 % outWidth;
  let oh = Math.floor(m0 / outWidth) % outHeight;
  let b = Math.floor(m0 / (outWidth * outHeight));
  let dst = colsOff;
  for (let m = m0; m < m1; m++) {
    const xb = xOff + b * inHeight * inWidth * ci;
    const ih0 = oh * strideHeight - top;
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
    if (++ow === outWidth) {
      ow = 0;
      if (++oh === outHeight) {
        oh = 0;
        b++;
      }
    }
  }
}

/**
 * The adjoint of {@link im2col} for rows `[m0, m1)`: adds every column entry
 * back onto the input pixel it was read from (entries that came from padding
 * are dropped). `dx` must be zeroed by the caller before the first block.
 */
export function col2im(cols: Float32Array, colsOff: number, info: Conv2DInfo, dx: Float32Array, dxOff: number, m0: number, m1: number): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const ci = inChannels;
  const rowLen = filterWidth * ci;
  let ow = m0 % outWidth;
  let oh = Math.floor(m0 / outWidth) % outHeight;
  let b = Math.floor(m0 / (outWidth * outHeight));
  let src = colsOff;
  for (let m = m0; m < m1; m++) {
    const xb = dxOff + b * inHeight * inWidth * ci;
    const ih0 = oh * strideHeight - top;
    const iw0 = ow * strideWidth - left;
    const kw0 = iw0 < 0 ? -iw0 : 0;
    const kw1 = Math.min(filterWidth, inWidth - iw0);
    const head = kw0 * ci;
    const run = kw1 > kw0 ? (kw1 - kw0) * ci : 0;
    for (let kh = 0; kh < filterHeight; kh++) {
      const ih = ih0 + kh;
      if (ih >= 0 && ih < inHeight && run > 0) {
        const d = xb + (ih * inWidth + iw0 + kw0) * ci;
        const s2 = src + head;
        for (let t = 0; t < run; t++) dx[d + t] += cols[s2 + t];
      }
      src += rowLen;
    }
    if (++ow === outWidth) {
      ow = 0;
      if (++oh === outHeight) {
        oh = 0;
        b++;
      }
    }
  }
}

/**
 * Rows of the im2col matrix to expand and multiply per block: about 64 KB of
 * columns (L2-resident with the GEMM's other operands), a multiple of the
 * GEMM's 4-row micro-kernel.
 */
export function im2colBlockRows(K: number): number {
  return Math.max(16, Math.floor(16384 / K / 4) * 4);
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
 * The geometry integers of a kernel job (parallel-jobs.ts), in the order the
 * WebAssembly im2col/col2im take them: `H, W, ci, OH, OW, fh, fw, sh, sw, top, left`.
 */
export function jobGeometry(info: Conv2DInfo): number[] {
  return [info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
}
