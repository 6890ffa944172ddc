/**
 * An image folder as a {@link Dataset}: the prepared cache split into train
 * and test views of one uint8 buffer, as the seeded split says.
 */
import type { ImageShape } from '@vae/format';
import type { ProgressSink } from '../train/progress.js';
import type { Dataset } from './datasets.js';
import { DatasetError } from './datasets.js';
import { partitionInPlace, splitIndices } from './folder-split.js';
import type { ImageFolderSpec } from './image-folder-spec.js';
import { loadImageFolder } from './image-folder.js';
import { parseBackground } from './image-prep.js';

/** What loading an image folder needs beyond its spec. */
export interface FolderLoadOptions {
  /** The architecture's `[H, W, C]`: images are resized to it, and C must match `--grey`. */
  imageShape: ImageShape;
  /** Seed of the train/test split (the run's `--seed`). */
  seed: number;
  /** `--cache-dir` (default `~/.cache/vae/images`). */
  cacheRoot?: string;
  /** Bytes the uint8 images may take (`--max-memory`). */
  maxBytes: number;
  progress?: ProgressSink | null;
  log?: (line: string) => void;
}

/**
 * Loads an image folder and splits it.
 *
 * @throws {@link DatasetError} when the architecture's image shape does not fit the preparation, or the folder cannot be used
 */
export async function loadImageFolderDataset(spec: ImageFolderSpec, o: FolderLoadOptions): Promise<Dataset> {
  const [h, w, c] = o.imageShape;
  if (h !== w) throw new DatasetError(`image folders are prepared as squares, but the architecture's images are ${h}x${w}; expected a square --image-size`);
  const channels = spec.grey ? 1 : 3;
  if (c !== channels) {
    throw new DatasetError(`${spec.dir}: the images are prepared with ${channels} channel${channels > 1 ? 's' : ''} (${spec.grey ? '--grey' : 'RGB'}), but the architecture expects ${c}; ${c === 1 ? 'pass --grey' : 'drop --grey'} or choose an architecture with ${channels} channel${channels > 1 ? 's' : ''}`);
  }
  const t0 = performance.now();
  const folder = await loadImageFolder(spec.dir, {
    prep: { crop: spec.crop, size: h, background: parseBackground(spec.background), grey: spec.grey },
    labelsCsv: spec.labels,
    cacheRoot: o.cacheRoot,
    maxBytes: o.maxBytes,
    progress: o.progress,
  });
  const { index } = folder;
  const log = o.log ?? (() => {});
  if (folder.skipped.length) log(`skipped ${folder.skipped.length} unreadable image${folder.skipped.length > 1 ? 's' : ''}: ${folder.skipped.map((s) => s.reason).join('; ')}`);
  log(`${folder.decoded ? `decoded ${folder.decoded} images into` : 'read the cached images from'} ${folder.cacheDir} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(folder.images.length / 2 ** 20).toFixed(1)} MiB uint8)`);
  const split = splitIndices(index.count, o.seed, spec.testFraction);
  const labels = index.labels ? Uint8Array.from(index.labels) : new Uint8Array(index.count);
  const px = h * w * channels;
  const nTrain = partitionInPlace(folder.images, labels, px, split.test);
  const view = (from: number, to: number) => ({
    count: to - from,
    height: h,
    width: w,
    channels,
    images: folder.images.subarray(from * px, to * px),
    labels: labels.subarray(from, to),
  });
  return {
    name: spec.dir,
    train: view(0, nTrain),
    test: view(nTrain, index.count),
    classes: index.classNames ? index.classNames.length : 'from-labels',
    classNames: index.classNames,
    identity: folder.identity,
    split,
    cacheDir: folder.cacheDir,
  };
}
