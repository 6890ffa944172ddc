/**
 * Minimal PNG codec over `node:zlib` (Node only): writes 8-bit greyscale, reads
 * any non-interlaced PNG (greyscale, RGB, palette, with alpha; 1–16 bits).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { VAEInputError } from '../errors.js';
import type { FromPixelsOptions, ImageDataLike } from '../images.js';
import { fromImageData, toGray8 } from '../images.js';
import type { ImageBatch } from '../tensors.js';

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes image `index` of a batch (use {@link tile} first for a grid) as an
 * 8-bit greyscale PNG.
 *
 * @example
 * ```ts
 * await writeFile('samples.png', encodePng(tile(await vae.sample(64, { seed: 1 }), 8)));
 * ```
 */
export function encodePng(images: ImageBatch, index = 0): Uint8Array {
  const { data, width, height } = toGray8(images, index);
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, filter 0, no interlace
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes PNG bytes to RGBA pixels. @throws {@link VAEInputError} for anything that is not a readable PNG. */
export function decodePng(bytes: Uint8Array): ImageDataLike {
  const bad = (why: string) => new VAEInputError(`not a readable PNG: ${why}; expected a non-interlaced PNG image`);
  if (!(bytes instanceof Uint8Array) || bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw bad('missing PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let ctype = 0;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > bytes.length) throw bad(`chunk ${type} runs past the end (truncated file)`);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = data[8];
      ctype = data[9];
      if (data[12] !== 0) throw bad('interlaced');
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ctype];
  if (!width || !height || !channels || ![1, 2, 4, 8, 16].includes(depth)) throw bad(`unsupported header (${width}×${height}, colour type ${ctype}, depth ${depth})`);
  if (width * height > 1 << 26) throw bad(`image too large (${width}×${height})`);
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw bad(`corrupt image data (${(e as Error).message})`);
  }
  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < (stride + 1) * height) throw bad('image data shorter than the header says');
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = px.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let p: number;
      switch (f) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw bad(`unknown filter ${f} on row ${y}`);
      }
      cur[i] = (line[i] + p) & 0xff;
    }
  }
  const sample = (y: number, x: number, ch: number): number => {
    const idx = x * channels + ch;
    if (depth === 8) return px[y * stride + idx];
    if (depth === 16) return px[y * stride + idx * 2];
    const bitPos = idx * depth;
    const byte = px[y * stride + (bitPos >> 3)];
    const v = (byte >> (8 - depth - (bitPos & 7))) & ((1 << depth) - 1);
    return ctype === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (ctype === 3) {
        const i = sample(y, x, 0);
        if (!palette || i * 3 + 2 >= palette.length) throw bad('palette index out of range');
        rgba.set([palette[i * 3], palette[i * 3 + 1], palette[i * 3 + 2], trns && i < trns.length ? trns[i] : 255], o);
      } else if (channels <= 2) {
        const g = sample(y, x, 0);
        rgba.set([g, g, g, channels === 2 ? sample(y, x, 1) : 255], o);
      } else {
        rgba.set([sample(y, x, 0), sample(y, x, 1), sample(y, x, 2), channels === 4 ? sample(y, x, 3) : 255], o);
      }
    }
  }
  return { data: rgba, width, height };
}

/**
 * PNG bytes → a one-image batch ready for `encode`/`reconstruct`: converted to
 * grey, resized to 28×28, and inverted when it is a dark digit on light paper.
 *
 * @example
 * ```ts
 * const recon = await vae.reconstruct(imagesFromPng(await readFile('digit.png')));
 * ```
 */
export function imagesFromPng(bytes: Uint8Array, options?: FromPixelsOptions): ImageBatch {
  return fromImageData(decodePng(bytes), options);
}
