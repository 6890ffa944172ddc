/**
 * Reader for the IDX format of the original MNIST files
 * (http://yann.lecun.com/exdb/mnist/): big-endian, magic `0x0000TTNN` where
 * TT = 0x08 (unsigned byte) and NN = number of dimensions.
 */
import { promises as fs } from 'node:fs';

/** Why an IDX file was rejected. */
export type IdxErrorCode = 'missing' | 'truncated' | 'bad-magic' | 'bad-dims' | 'count-mismatch';

/** Thrown for an unreadable or inconsistent IDX file; names the file and what was expected. */
export class IdxError extends Error {
  override name = 'IdxError';
  constructor(
    readonly code: IdxErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** A decoded IDX tensor of unsigned bytes. */
export interface IdxTensor {
  dims: number[];
  data: Uint8Array;
}

/** Parses IDX bytes (unsigned byte data only, which is what MNIST uses). */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank?: number): IdxTensor {
  if (bytes.length < 4) throw new IdxError('truncated', file, `only ${bytes.length} bytes; an IDX file starts with a 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08 || rank < 1 || rank > 4) {
    const want = expectedRank ? `0x0000080${expectedRank}` : '0x000008NN (unsigned byte)';
    throw new IdxError('bad-magic', file, `magic number 0x${magic.toString(16).padStart(8, '0')}, expected ${want}`);
  }
  if (expectedRank !== undefined && rank !== expectedRank) {
    throw new IdxError('bad-magic', file, `has ${rank} dimensions (magic 0x${magic.toString(16).padStart(8, '0')}), expected ${expectedRank} (0x0000080${expectedRank})`);
  }
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) throw new IdxError('truncated', file, `header needs ${headerLen} bytes, file has ${bytes.length}`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < headerLen + size) {
    throw new IdxError('truncated', file, `dims [${dims.join(', ')}] need ${headerLen + size} bytes, file has ${bytes.length}`);
  }
  return { dims, data: bytes.subarray(headerLen, headerLen + size) };
}

/** Reads an IDX file from disk. */
export async function readIdxFile(file: string, expectedRank?: number): Promise<IdxTensor> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw new IdxError('missing', file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseIdx(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file, expectedRank);
}

/** Images as uint8 `[n, h, w]` plus their labels. */
export interface LabelledImages {
  count: number;
  height: number;
  width: number;
  /** `count * height * width` pixels, 0-255, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * Reads an IDX image/label pair and checks that they agree with each other and
 * with the expected image size.
 */
export async function readIdxPair(
  imagesFile: string,
  labelsFile: string,
  expectSize: [number, number] = [28, 28],
): Promise<LabelledImages> {
  const img = await readIdxFile(imagesFile, 3);
  const lab = await readIdxFile(labelsFile, 1);
  const [n, h, w] = img.dims;
  if (h !== expectSize[0] || w !== expectSize[1]) {
    throw new IdxError('bad-dims', imagesFile, `images are ${h}x${w}, expected ${expectSize[0]}x${expectSize[1]}`);
  }
  if (lab.dims[0] !== n) {
    throw new IdxError('count-mismatch', labelsFile, `has ${lab.dims[0]} labels but ${imagesFile} has ${n} images`);
  }
  return { count: n, height: h, width: w, images: img.data, labels: lab.data };
}
