/**
 * `--dataset DIR` for an image folder, as the string a checkpoint stores in
 * `train.dataset`: everything that decides which pixels the run trains on, so
 * that `--resume` with other preparation settings is refused like any other
 * changed setting. The image size is not in it: it is the architecture's.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetError, IDX_NAMES } from './datasets.js';
import { DEFAULT_TEST_FRACTION } from './folder-split.js';
import { IMAGE_FOLDER_PREFIX } from '@vae/format';

/** Preparation and split of an image folder run. */
export interface ImageFolderSpec {
  dir: string;
  /** Square centre crop before resizing, or null. */
  crop: number | null;
  /** `#rrggbb` the alpha channel is composited on. */
  background: string;
  grey: boolean;
  testFraction: number;
  /** `file,label` CSV, or null for subfolder labels. */
  labels: string | null;
}

/** The prefix of an image-folder dataset spec: the contract with the exporter, in @vae/format. */
export { IMAGE_FOLDER_PREFIX };

/**
 * Whether `--dataset DIR` means IDX files: DIR holds any of the standard
 * train-/t10k- IDX names (a missing partner is then reported as before).
 * Otherwise DIR is read as an image folder.
 */
export function isIdxDirectory(dir: string): boolean {
  return [...IDX_NAMES.train, ...IDX_NAMES.test].some((f) => existsSync(join(dir, f)));
}

/** Encodes an image folder run's data settings as a dataset spec, with absolute paths. */
export function imageFolderSpec(s: ImageFolderSpec, cwd: string = process.cwd()): string {
  const abs = { ...s, dir: resolve(cwd, s.dir), labels: s.labels === null ? null : resolve(cwd, s.labels) };
  return IMAGE_FOLDER_PREFIX + JSON.stringify(abs);
}

/**
 * The settings of an image-folder spec; null for any other spec.
 *
 * @throws {@link DatasetError} for a damaged spec (e.g. a hand-edited checkpoint)
 */
export function parseImageFolderSpec(spec: string): ImageFolderSpec | null {
  if (!spec.startsWith(IMAGE_FOLDER_PREFIX)) return null;
  let v: ImageFolderSpec;
  try {
    v = JSON.parse(spec.slice(IMAGE_FOLDER_PREFIX.length));
  } catch (e) {
    throw new DatasetError(`dataset spec ${spec.slice(0, 200)}: ${(e as Error).message}; expected ${IMAGE_FOLDER_PREFIX}{JSON}`);
  }
  const ok =
    typeof v === 'object' && v !== null && typeof v.dir === 'string' && (v.crop === null || (Number.isSafeInteger(v.crop) && v.crop >= 1)) &&
    typeof v.background === 'string' && /^#[0-9a-f]{6}$/.test(v.background) && typeof v.grey === 'boolean' &&
    typeof v.testFraction === 'number' && v.testFraction > 0 && v.testFraction < 1 && (v.labels === null || typeof v.labels === 'string');
  if (!ok) throw new DatasetError(`dataset spec ${spec.slice(0, 200)}: expected {dir, crop, background "#rrggbb", grey, testFraction in (0, 1), labels}`);
  return { ...v, testFraction: v.testFraction ?? DEFAULT_TEST_FRACTION };
}
