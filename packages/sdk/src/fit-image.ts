/**
 * Arbitrary RGBA pixels to the planar `[C, H, W]` input of a model that is not
 * a digit model: alpha composited on a background, the largest centred
 * rectangle of the model's aspect ratio cropped, then area-resized.
 */
import { resizeArea } from './resize.js';

/**
 * The centred crop of a `sw`×`sh` image with the aspect ratio of `tw`×`th`:
 * the whole of the shorter dimension, the longer one trimmed equally on both
 * sides (the odd pixel on the far side), so the resize never distorts.
 * @internal
 */
export function centreCrop(sw: number, sh: number, tw: number, th: number): { x0: number; y0: number; cw: number; ch: number } {
  // Compared as integers (sw·th vs sh·tw) so equal ratios never crop a pixel through rounding.
  if (sw * th > sh * tw) {
    const cw = Math.max(1, Math.round((sh * tw) / th));
    return { x0: Math.floor((sw - cw) / 2), y0: 0, cw, ch: sh };
  }
  const ch = Math.max(1, Math.round((sw * th) / tw));
  return { x0: 0, y0: Math.floor((sh - ch) / 2), cw: sw, ch };
}

/**
 * RGBA bytes (`width`·`height`·4) → `[C, th, tw]` floats in [0, 1], planar:
 * `C` 3 is red, green, blue; `C` 1 is Rec. 601 luminance. Each pixel is
 * composited over `background` (RGB in [0, 1]) by its alpha first.
 * @internal
 */
export function fitImage(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 3,
  th: number,
  tw: number,
  background: readonly [number, number, number],
): Float32Array {
  const { x0, y0, cw, ch } = centreCrop(width, height, tw, th);
  const planes = Array.from({ length: 3 }, () => new Float32Array(cw * ch));
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const s = ((y0 + y) * width + x0 + x) * 4;
      const a = rgba[s + 3] / 255;
      for (let k = 0; k < 3; k++) planes[k][y * cw + x] = (rgba[s + k] / 255) * a + background[k] * (1 - a);
    }
  }
  const out = new Float32Array(channels * th * tw);
  if (channels === 3) {
    for (let k = 0; k < 3; k++) out.set(resizeArea(planes[k], cw, ch, tw, th), k * th * tw);
    return out;
  }
  const lum = new Float32Array(cw * ch);
  for (let i = 0; i < lum.length; i++) lum[i] = 0.299 * planes[0][i] + 0.587 * planes[1][i] + 0.114 * planes[2][i];
  out.set(resizeArea(lum, cw, ch, tw, th));
  return out;
}
