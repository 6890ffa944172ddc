/**
 * PNG codec over `fast-png` (pure JS, so the same code runs in browsers):
 * writes 8-bit greyscale or RGB and reads every PNG the spec allows (all colour
 * types and depths, Adam7 interlacing, palette and colour-key transparency).
 * A bounded pre-pass checks the chunk structure and CRCs and inflates the
 * image data at most to the size the header declares before `fast-png`
 * allocates anything, so a decompression bomb costs a few MiB, not gigabytes.
 */
import { decode as decodeFastPng, encode as encodeFastPng } from 'fast-png';
import type { DecodedPng } from 'fast-png';
import { Unzlib } from 'fflate';
import { VAEInputError } from '../errors.js';
import type { FromPixelsOptions, ImageDataLike } from '../images.js';
import { fromImageData, toPixels8 } from '../images.js';
import type { ImageBatch } from '../tensors.js';

/**
 * Largest image {@link decodePng} accepts, in pixels (4096×4096). The SDK
 * shrinks every input to the model's size, and the RGBA result of a bigger image would
 * be 64 MiB or more; the limit is checked against the header before any
 * pixel buffer exists.
 */
export const MAX_PNG_PIXELS = 4096 * 4096;

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Compressed bytes fed to the inflater at once: deflate expands at most ~1032×, so one step emits ≤ 4.2 MiB. */
const INFLATE_STEP = 4 * 1024;
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

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

function bad(why: string, cause?: unknown): VAEInputError {
  return new VAEInputError(`not a readable PNG: ${why}; expected a valid PNG image (any colour type, at most ${MAX_PNG_PIXELS} pixels)`, cause === undefined ? undefined : { cause });
}

/** What the IHDR declares. */
interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/**
 * Exact length of the inflated image data for `h`: one filter byte plus the
 * packed samples per row, summed over the seven Adam7 passes when interlaced
 * (a pass with no pixels has no rows at all).
 * @internal
 */
export function expectedRawSize(h: Header): number {
  const bitsPerPixel = CHANNELS[h.colorType] * h.depth;
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy));
  return total;
}

/**
 * Walks the chunks (CRCs, order, header limits) and inflates the image data
 * in small steps, stopping as soon as the output passes what the header
 * declares. Returns the header for the conversion to RGBA.
 */
function scan(bytes: Uint8Array): { header: Header; raw: Uint8Array[]; plte?: Uint8Array; trns?: Uint8Array; trnsAt?: number } {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw bad('missing PNG signature (the file is not a PNG, or was transferred as text)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let header: Header | undefined;
  let expected = 0;
  let inflated = 0;
  let idatDone = false;
  let sawIdat = false;
  let sawPalette = false;
  let inflater: Unzlib | undefined;
  let ended = false;
  const raw: Uint8Array[] = [];
  let plte: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  let trnsAt: number | undefined;
  while (!ended) {
    if (pos + 12 > bytes.length) throw bad(`file ends at byte ${bytes.length} before the IEND chunk (truncated file)`);
    const len = view.getUint32(pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    const type = String.fromCharCode(...typeBytes);
    if (!/^[A-Za-z]{4}$/.test(type)) throw bad(`invalid chunk type ${JSON.stringify(type)} at byte ${pos}`);
    if (len > 0x7fffffff || pos + 12 + len > bytes.length) throw bad(`chunk ${type} at byte ${pos} declares ${len} bytes, past the end of the file (truncated file)`);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== view.getUint32(pos + 8 + len)) throw bad(`CRC mismatch in chunk ${type} at byte ${pos} (corrupt file)`);
    if (!header && type !== 'IHDR') throw bad(`first chunk is ${type}; expected IHDR`);
    if (sawIdat && type !== 'IDAT') idatDone = true;
    switch (type) {
      case 'IHDR': {
        if (header) throw bad('a second IHDR chunk');
        if (len !== 13) throw bad(`IHDR has ${len} bytes; expected 13`);
        header = { width: view.getUint32(pos + 8), height: view.getUint32(pos + 12), depth: data[8], colorType: data[9], interlaced: data[12] === 1 };
        const { width, height, depth, colorType } = header;
        if (!(CHANNELS[colorType] > 0)) throw bad(`colour type ${colorType}; expected 0, 2, 3, 4 or 6`);
        if (!DEPTHS[colorType].includes(depth)) throw bad(`bit depth ${depth} with colour type ${colorType}; expected one of ${DEPTHS[colorType].join(', ')}`);
        if (data[10] !== 0 || data[11] !== 0 || data[12] > 1) throw bad(`compression ${data[10]}, filter ${data[11]}, interlace ${data[12]}; expected 0, 0 and 0 or 1`);
        // Before anything is allocated: the pixel count bounds every buffer that follows.
        if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw bad(`image size ${width}×${height}; expected both sides in [1, 2³¹−1]`);
        if (width * height > MAX_PNG_PIXELS) throw bad(`image is ${width}×${height} = ${width * height} pixels, more than the ${MAX_PNG_PIXELS} this decoder accepts`);
        expected = expectedRawSize(header);
        inflater = new Unzlib((chunk) => {
          inflated += chunk.length;
          raw.push(chunk);
          // Thrown from inside push(): the inflater stops before the next step.
          if (inflated > expected) throw bad(`image data inflates past the ${expected} bytes a ${width}×${height} image needs (a decompression bomb or corrupt file)`);
        });
        break;
      }
      case 'PLTE':
        if (sawIdat) throw bad('PLTE after the image data');
        if (len === 0 || len % 3 !== 0 || len > 768) throw bad(`PLTE has ${len} bytes; expected a multiple of 3 up to 768`);
        sawPalette = true;
        plte = data;
        break;
      case 'tRNS':
        trns = data;
        trnsAt = pos;
        break;
      case 'IDAT':
        if (idatDone) throw bad('IDAT chunks are not consecutive');
        sawIdat = true;
        try {
          for (let o = 0; o < len; o += INFLATE_STEP) inflater!.push(data.subarray(o, Math.min(len, o + INFLATE_STEP)));
        } catch (e) {
          throw e instanceof VAEInputError ? e : bad(`corrupt image data (${(e as Error).message})`, e);
        }
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // An unknown critical chunk (upper-case first letter) changes how the image must be read.
        if (type.charCodeAt(0) < 97) throw bad(`unknown critical chunk ${type}`);
    }
    pos += 12 + len;
  }
  const h = header!;
  if (!sawIdat) throw bad('no IDAT chunk (no image data)');
  if (h.colorType === 3 && !sawPalette) throw bad('a palette image without a PLTE chunk');
  try {
    inflater!.push(new Uint8Array(0), true);
  } catch (e) {
    throw e instanceof VAEInputError ? e : bad(`corrupt or truncated image data (${(e as Error).message})`, e);
  }
  if (inflated !== expected) throw bad(`image data inflates to ${inflated} bytes; a ${h.width}×${h.height} image of this type needs ${expected}`);
  return { header: h, raw, plte, trns, trnsAt };
}

/**
 * Decodes PNG bytes to 8-bit RGBA pixels: 16-bit samples rounded to 8 bits,
 * palettes looked up, low bit depths scaled to 0–255, and colour-key (`tRNS`)
 * pixels made transparent. Gamma and colour profiles are not applied.
 *
 * @throws {@link VAEInputError} naming what is wrong for anything that is not a valid PNG: bad
 *   signature, CRC mismatch, truncated file, bad header, more than {@link MAX_PNG_PIXELS} pixels,
 *   or image data that inflates to more or less than the header declares
 *
 * @example
 * ```ts
 * const { data, width, height } = decodePng(await readFile('digit.png')); // RGBA bytes
 * ```
 */
export function decodePng(bytes: Uint8Array): ImageDataLike {
  if (!(bytes instanceof Uint8Array)) throw new VAEInputError(`decodePng expects the file's bytes as a Uint8Array or Buffer, got ${typeName(bytes)}`);
  const { header: h, raw, plte, trns, trnsAt } = scan(bytes);
  // fast-png 8.0 de-interlaces 1-, 2- and 4-bit images as if each pixel were a byte; those few are unfiltered here.
  if (h.interlaced && h.depth < 8) {
    const palette = plte && Array.from({ length: plte.length / 3 }, (_, i) => [plte[3 * i], plte[3 * i + 1], plte[3 * i + 2], trns && i < trns.length ? trns[i] : 255]);
    const key = trns && h.colorType === 0 && trns.length >= 2 ? Uint16Array.of((trns[0] << 8) | trns[1]) : undefined;
    return toRgba(adam7SubByte(concat(raw), h), palette, key, h);
  }
  let png: DecodedPng;
  // fast-png 8.0 also refuses an RGB colour key (3 values) on an image of fewer than 3 pixels; the key is applied here from tRNS.
  const input = h.colorType === 2 && trns && trnsAt !== undefined && h.width * h.height < 3 ? dropChunk(bytes, trnsAt, trns.length) : bytes;
  try {
    png = decodeFastPng(input, { checkCrc: true });
  } catch (e) {
    throw bad((e as Error).message, e);
  }
  const key = trns && h.colorType !== 3 && trns.length >= 2 ? Uint16Array.from({ length: trns.length >> 1 }, (_, i) => (trns[2 * i] << 8) | trns[2 * i + 1]) : undefined;
  return toRgba(unpack(png.data, h, h.width, h.height), png.palette, key, h);
}

function dropChunk(bytes: Uint8Array, at: number, len: number): Uint8Array {
  const out = new Uint8Array(bytes.length - 12 - len);
  out.set(bytes.subarray(0, at));
  out.set(bytes.subarray(at + 12 + len), at);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Packed rows of `depth` < 8 samples → one byte per sample; 8- and 16-bit data is already one element per sample. */
function unpack(data: ArrayLike<number>, h: Header, w: number, rows: number, offset = 0, stride = Math.ceil((w * CHANNELS[h.colorType] * h.depth) / 8)): ArrayLike<number> {
  if (h.depth >= 8) return data;
  const per = w * CHANNELS[h.colorType];
  const out = new Uint8Array(per * rows);
  const mask = (1 << h.depth) - 1;
  for (let y = 0; y < rows; y++) {
    for (let i = 0; i < per; i++) {
      const bit = i * h.depth;
      out[y * per + i] = (data[offset + y * stride + (bit >> 3)] >> (8 - h.depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Unfilters the seven passes of an interlaced 1/2/4-bit image (one byte per filter unit) and places their samples. */
function adam7SubByte(raw: Uint8Array, h: Header): Uint8Array {
  const out = new Uint8Array(h.width * h.height);
  let pos = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const pw = Math.ceil((h.width - x0) / dx);
    const ph = Math.ceil((h.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * h.depth) / 8);
    const lines = new Uint8Array(stride * ph);
    for (let y = 0; y < ph; y++) {
      const filter = raw[pos++];
      for (let i = 0; i < stride; i++) {
        const a = i > 0 ? lines[y * stride + i - 1] : 0;
        const b = y > 0 ? lines[(y - 1) * stride + i] : 0;
        const c = i > 0 && y > 0 ? lines[(y - 1) * stride + i - 1] : 0;
        let p: number;
        if (filter === 0) p = 0;
        else if (filter === 1) p = a;
        else if (filter === 2) p = b;
        else if (filter === 3) p = (a + b) >> 1;
        else if (filter === 4) {
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        } else throw bad(`unknown row filter ${filter}`);
        lines[y * stride + i] = (raw[pos++] + p) & 0xff;
      }
    }
    const samples = unpack(lines, h, pw, ph);
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) out[(y0 + y * dy) * h.width + x0 + x * dx] = samples[y * pw + x];
  }
  return out;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v;
}

/** One element per sample (see {@link unpack}) → RGBA8, with the palette or colour key applied. */
function toRgba(src: ArrayLike<number>, palette: DecodedPng['palette'], key: DecodedPng['transparency'], h: Header): ImageDataLike {
  const { width, height, depth } = h;
  const channels = CHANNELS[h.colorType];
  const max = (1 << depth) - 1;
  const to8 = (v: number) => (depth === 8 ? v : Math.floor((v * 255) / max + 0.5));
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const o = p * 4;
    const i = p * channels;
    if (h.colorType === 3) {
      const entry = palette?.[src[i]];
      if (!entry) throw bad(`palette index ${src[i]} at pixel (${p % width}, ${Math.floor(p / width)}) is outside the ${palette?.length ?? 0}-colour palette`);
      rgba[o] = entry[0];
      rgba[o + 1] = entry[1];
      rgba[o + 2] = entry[2];
      rgba[o + 3] = entry.length > 3 ? entry[3] : 255;
    } else if (channels <= 2) {
      const g = src[i];
      rgba[o] = rgba[o + 1] = rgba[o + 2] = to8(g);
      rgba[o + 3] = channels === 2 ? to8(src[i + 1]) : key && key[0] === g ? 0 : 255;
    } else {
      const [r, g, b] = [src[i], src[i + 1], src[i + 2]];
      rgba[o] = to8(r);
      rgba[o + 1] = to8(g);
      rgba[o + 2] = to8(b);
      rgba[o + 3] = channels === 4 ? to8(src[i + 3]) : key && key[0] === r && key[1] === g && key[2] === b ? 0 : 255;
    }
  }
  return { data: rgba, width, height };
}

/**
 * Encodes image `index` of a batch (use {@link tile} first for a grid) as an
 * 8-bit PNG: greyscale for a one-channel batch, RGB for a three-channel one.
 *
 * @throws {@link VAEInputError} unless `images` is an {@link ImageBatch} (`{ data: Float32Array, shape: [N, C, H, W] }`)
 *   of 1 or 3 channels
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('samples.png', encodePng(tile(await vae.sample(64, { seed: 1 }), 8)));
 * ```
 */
export function encodePng(images: ImageBatch, index = 0): Uint8Array {
  const channels = images?.shape?.[1] === 3 ? 3 : 1;
  const { data, width, height } = toPixels8(images, index, channels, 'encodePng');
  return encodeFastPng({ width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), depth: 8, channels });
}

/**
 * PNG bytes → a one-image batch ready for `encode`/`reconstruct`, through
 * {@link fromImageData}. With `{ shape: vae.info.imageShape }` for a model
 * other than 1×28×28: composited on white, centre-cropped and resized, in
 * colour for an RGB model. For a digit model (and without `shape`): by default
 * the MNIST preparation (ink found and made white on black, cropped, fitted
 * into 20×20 and centred by its centre of mass in 28×28); `{ prepare: false }`
 * only greys and resizes.
 *
 * @throws {@link VAEInputError} for bytes that are not a readable PNG (see {@link decodePng}) or bad options
 *
 * @example
 * ```ts
 * const recon = await vae.reconstruct(imagesFromPng(await readFile('digit.png')));
 * const face = await faces.reconstruct(imagesFromPng(await readFile('face.png'), { shape: faces.info.imageShape }));
 * ```
 */
export function imagesFromPng(bytes: Uint8Array, options: FromPixelsOptions = {}): ImageBatch {
  return fromImageData(decodePng(bytes), options);
}
