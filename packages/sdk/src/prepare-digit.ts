/**
 * MNIST's own preparation (LeCun et al.), applied to arbitrary pixels: the
 * digit's ink is found, made white on black, cropped, fitted into a 20×20 box
 * keeping its aspect ratio, and placed so its centre of mass is the centre of
 * the 28×28 field. A model trained on MNIST has only seen digits like that.
 */
import { resizeArea } from './resize.js';

/** Below this (after the paper is removed and the ink stretched to 1) a pixel is paper noise. */
const NOISE_FLOOR = 0.02;
/** Less contrast than this between paper and ink: nothing was drawn. */
const MIN_CONTRAST = 0.05;

/**
 * Alpha flattened onto a background that contrasts with what was drawn: a
 * white stroke on a transparent canvas goes onto black, a dark one onto white.
 * Returns luminance in [0, 1].
 * @internal
 */
export function flattenAlpha(rgba: ArrayLike<number>, n: number): Float32Array {
  const lum = new Float32Array(n);
  let alphaSum = 0;
  let inkSum = 0;
  let opaque = true;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    lum[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    if (a < 1) opaque = false;
    alphaSum += a;
    inkSum += a * lum[i];
  }
  if (opaque) return lum;
  // The drawn (alpha-weighted) pixels' mean decides the background's colour.
  const bg = alphaSum > 0 && inkSum / alphaSum > 0.5 ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    lum[i] = lum[i] * a + bg * (1 - a);
  }
  return lum;
}

/** Median of values in [0, 1], to 1/1024 (a histogram: one pass, no sort). */
function median(v: Float32Array): number {
  const bins = new Uint32Array(1025);
  for (let i = 0; i < v.length; i++) bins[Math.round(Math.min(1, Math.max(0, v[i])) * 1024)]++;
  let acc = 0;
  for (let b = 0; b < bins.length; b++) {
    acc += bins[b];
    if (acc * 2 >= v.length) return b / 1024;
  }
  return 1;
}

/**
 * The MNIST preparation of a luminance image `lum` (`w`×`h`, values in
 * [0, 1]) into a `th`×`tw` field (28×28 for MNIST; the box is 20/28 of it).
 * `invert` `'auto'` takes the paper to be the median level (a digit covers
 * a minority of any sensible picture) and the ink to be the side the mean
 * leans to. Nothing drawn → an all-zero field.
 * @internal
 */
export function prepareDigit(lum: Float32Array, w: number, h: number, invert: boolean | 'auto', th: number, tw: number): Float32Array {
  const n = w * h;
  const out = new Float32Array(th * tw);
  const paper = median(lum);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += lum[i];
  mean /= n;
  const flip = invert === 'auto' ? mean < paper || (mean === paper && paper > 0.5) : invert;
  // Ink as a positive signal over the paper level, stretched so the strongest ink is 1.
  const ink = new Float32Array(n);
  const level = flip ? 1 - paper : paper;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const v = (flip ? 1 - lum[i] : lum[i]) - level;
    ink[i] = v;
    if (v > peak) peak = v;
  }
  if (peak < MIN_CONTRAST) return out;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = ink[i] / peak;
      ink[i] = v < NOISE_FLOOR ? 0 : v;
      if (ink[i] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(ink.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + bw), y * bw);
  // MNIST: the longer side becomes 20 pixels of the 28-pixel field.
  const box = Math.max(1, Math.round((Math.min(th, tw) * 20) / 28));
  const s = box / Math.max(bw, bh);
  const fw = Math.max(1, Math.min(box, Math.round(bw * s)));
  const fh = Math.max(1, Math.min(box, Math.round(bh * s)));
  const fitted = resizeArea(crop, bw, bh, fw, fh);
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < fh; y++) {
    for (let x = 0; x < fw; x++) {
      const v = fitted[y * fw + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  // Integer shift, as MNIST did, kept inside the field. MNIST's centres of mass sit at (14.0, 14.0)
  // in pixel-index coordinates (mean over its test set; s.d. 0.3), half a pixel off the field's middle.
  const ox = Math.min(tw - fw, Math.max(0, Math.round(tw / 2 - mx / mass)));
  const oy = Math.min(th - fh, Math.max(0, Math.round(th / 2 - my / mass)));
  for (let y = 0; y < fh; y++) out.set(fitted.subarray(y * fw, (y + 1) * fw), (oy + y) * tw + ox);
  return out;
}
