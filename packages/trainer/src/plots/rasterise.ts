/**
 * Turns SVG text into PNG bytes with sharp: librsvg draws it (real fonts
 * through fontconfig, anti-aliasing), libvips encodes it.
 */
import sharp from 'sharp';

/** Largest canvas rasterised, in pixels (16384x16384); a bigger SVG is a caller bug, refused before libvips allocates. */
export const MAX_CANVAS_PIXELS = 2 ** 28;

/** Reads `width` and `height` from an SVG's root element; `undefined` when they are missing or not plain numbers. */
function svgSize(svg: string): [number, number] | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const w = root && /\swidth="(\d+(?:\.\d+)?)"/.exec(root);
  const h = root && /\sheight="(\d+(?:\.\d+)?)"/.exec(root);
  return w && h ? [Number(w[1]), Number(h[1])] : undefined;
}

/**
 * Rasterises an SVG document at one pixel per SVG unit (72 dpi) to an RGB
 * PNG; transparent areas become white.
 *
 * @throws RangeError when the root `<svg>` has no numeric width and height, or
 *   when they exceed {@link MAX_CANVAS_PIXELS}.
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const size = svgSize(svg);
  if (!size) throw new RangeError('svgToPng: the root <svg> element needs numeric width and height attributes, in px');
  if (size[0] * size[1] > MAX_CANVAS_PIXELS) throw new RangeError(`svgToPng: ${size[0]}x${size[1]} px is larger than the ${MAX_CANVAS_PIXELS} px canvas limit`);
  const png = await sharp(Buffer.from(svg), { density: 72, limitInputPixels: MAX_CANVAS_PIXELS }).flatten({ background: '#ffffff' }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
