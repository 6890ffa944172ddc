/**
 * Reader for the IDX format of the original MNIST files
 * (http://yann.lecun.com/exdb/mnist/): big-endian, magic `0x0000TTNN` where
 * TT = 0x08 (unsigned byte) and NN = number of dimensions.
 */
import { FileReadRefusedError, readRegularFile } from '@vae/format/node';

/** Why an IDX file was rejected. */
export type IdxErrorCode = 'missing' | 'not-a-file' | 'too-large' | 'truncated' | 'bad-magic' | 'bad-dims' | 'count-mismatch' | 'bad-label';

/** Largest IDX file read (1 GiB, about 1.3 million 28x28 images); MNIST's biggest is 47 MB. */
export const MAX_IDX_BYTES = 2 ** 30;
/** Classes of MNIST and Fashion-MNIST: labels must be 0..9. */
export const IDX_CLASSES = 10;

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

/**
 * Reads an IDX file from disk. Only regular files up to {@link MAX_IDX_BYTES}
 * are read: a FIFO would block forever and `/dev/zero` never ends.
 */
export async function readIdxFile(file: string, expectedRank?: number): Promise<IdxTensor> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(file, MAX_IDX_BYTES);
  } catch (e) {
    if (!(e instanceof FileReadRefusedError)) throw new IdxError('missing', file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    if (e.code === 'ENOTREG') throw new IdxError('not-a-file', file, `is ${e.kind}; expected a regular IDX file`);
    throw new IdxError('too-large', file, e.size === undefined ? 'grew while being read; expected an IDX file that stays put' : `is ${e.size} bytes; IDX files over ${MAX_IDX_BYTES} bytes (1 GiB) are refused`);
  }
  return parseIdx(bytes, file, expectedRank);
}

/** Images as uint8 `[n, h, w]` plus their labels. */
export interface LabelledImages {
  count: number;
  height: number;
  width: number;
  /** Channels per pixel (NHWC); absent means 1, as for every IDX file. */
  channels?: number;
  /** `count * height * width * channels` values, 0-255, row-major NHWC. */
  images: Uint8Array;
  labels: Uint8Array;
  /** The file the labels came from, for messages (absent for data not read from a file). */
  labelsFile?: string;
}

/**
 * Reads an IDX image/label pair and checks that they agree with each other and
 * with the expected image size, and that every label is below `classes`.
 */
export async function readIdxPair(
  imagesFile: string,
  labelsFile: string,
  expectSize: [number, number] = [28, 28],
  classes: number = IDX_CLASSES,
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
  const bad = lab.data.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new IdxError('bad-label', labelsFile, `label ${lab.data[bad]} at index ${bad} is out of range; expected 0..${classes - 1} (${classes} classes)`);
  }
  return { count: n, height: h, width: w, images: img.data, labels: lab.data, labelsFile };
}
