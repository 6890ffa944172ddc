/**
 * Turns one image file into the uint8 pixels the trainer learns from: centre
 * crop, resize, alpha composited on a background, optionally grey. sharp
 * (libvips) decodes and resizes; the compositing and the grey conversion are
 * done here in integer arithmetic so that every value can be computed by hand
 * (and by the PyTorch peer, should it ever prepare images itself).
 */
import sharp from 'sharp';

/** How each image of a folder is prepared; part of the cache key. */
export interface ImagePrep {
  /** Square centre crop in source pixels, before resizing (null: none). */
  crop: number | null;
  /** Output height and width (square). */
  size: number;
  /** RGB the alpha channel is composited on. */
  background: [number, number, number];
  /** One grey channel (ITU-R 601 luma, as PIL's `convert('L')`) instead of RGB. */
  grey: boolean;
}

/** Why one image could not be prepared; the folder loader skips such a file. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/** Thrown when the preparation cannot apply to an image that decoded fine (a crop larger than the image). */
export class ImagePrepError extends Error {
  override name = 'ImagePrepError';
}

/** Largest source image decoded, in pixels (16384x16384): libvips refuses more before allocating. */
export const MAX_SOURCE_PIXELS = 2 ** 28;

const NAMED: Record<string, [number, number, number]> = { white: [255, 255, 255], black: [0, 0, 0] };

/**
 * Parses `--background`: `white`, `black`, `#rgb` or `#rrggbb`.
 *
 * @throws {@link ImagePrepError} naming the value and the accepted forms
 */
export function parseBackground(v: string): [number, number, number] {
  const s = v.trim().toLowerCase();
  if (NAMED[s]) return [...NAMED[s]] as [number, number, number];
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/.exec(s);
  if (!m) throw new ImagePrepError(`--background "${v}": expected white, black, #rgb or #rrggbb`);
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

/** Channels an image has after {@link prepareImage}. */
export function prepChannels(prep: ImagePrep): number {
  return prep.grey ? 1 : 3;
}

/**
 * Decodes `bytes` and writes `size*size*channels` values into `out` (NHWC).
 *
 * @throws {@link ImageDecodeError} when the bytes are not a decodable PNG, JPEG or WebP
 * @throws {@link ImagePrepError} when `crop` is larger than the image
 */
export async function prepareImage(bytes: Uint8Array, prep: ImagePrep, out: Uint8Array, file: string): Promise<void> {
  let rgba: Buffer;
  try {
    // Upright as a viewer shows it: a camera JPEG's EXIF orientation applies before the crop.
    let img = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_SOURCE_PIXELS, animated: false }).autoOrient();
    const meta = await img.metadata();
    if (!['png', 'jpeg', 'webp'].includes(meta.format ?? '')) throw new ImageDecodeError(`${file}: format ${meta.format ?? 'unknown'}; expected PNG, JPEG or WebP`);
    const w = meta.autoOrient?.width ?? meta.width ?? 0;
    const h = meta.autoOrient?.height ?? meta.height ?? 0;
    if (prep.crop !== null) {
      if (prep.crop > w || prep.crop > h) throw new ImagePrepError(`${file}: --crop ${prep.crop} is larger than the image (${w}x${h}); expected a crop of at most ${Math.min(w, h)}`);
      img = img.extract({ left: Math.floor((w - prep.crop) / 2), top: Math.floor((h - prep.crop) / 2), width: prep.crop, height: prep.crop });
    }
    const side = prep.crop ?? Math.min(w, h);
    // fit 'cover' centre-crops a non-square image to a square rather than distorting it.
    if (side !== prep.size || w !== h) img = img.resize(prep.size, prep.size, { fit: 'cover', position: 'centre' });
    const { data, info } = await img.toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || info.width !== prep.size || info.height !== prep.size || data.length !== prep.size * prep.size * 4) {
      throw new ImageDecodeError(`${file}: decoded to ${info.width}x${info.height}x${info.channels}; expected ${prep.size}x${prep.size}x4`);
    }
    rgba = data;
  } catch (e) {
    if (e instanceof ImagePrepError || e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(`${file}: ${(e as Error).message}`);
  }
  const [br, bg, bb] = prep.background;
  const n = prep.size * prep.size;
  for (let p = 0; p < n; p++) {
    const a = rgba[4 * p + 3];
    // Straight (non-premultiplied) alpha over an opaque background, rounded half up.
    const r = Math.floor((rgba[4 * p] * a + br * (255 - a) + 127) / 255);
    const g = Math.floor((rgba[4 * p + 1] * a + bg * (255 - a) + 127) / 255);
    const b = Math.floor((rgba[4 * p + 2] * a + bb * (255 - a) + 127) / 255);
    if (prep.grey) out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
}
