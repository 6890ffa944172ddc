/**
 * Any folder of PNG, JPEG and WebP images as a data set. Every file is hashed
 * on each load (that is the cache key), but decoded only once: the prepared
 * uint8 pixels go to a cache directory ({@link readCache}) that later epochs,
 * resumed runs and the PyTorch peer read instead.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ProgressSink } from '../train/progress.js';
import { EpochProgress } from '../train/progress.js';
import type { DataFileDigest } from './dataset-identity.js';
import { DatasetError } from './datasets.js';
import type { FolderLabels } from './folder-labels.js';
import { MAX_LABELS_CSV_BYTES, labelsFromCsv, labelsFromSubfolders } from './folder-labels.js';
import type { CacheIndex } from './image-cache.js';
import { defaultCacheRoot, readCache, writeCache } from './image-cache.js';
import type { ImagePrep } from './image-prep.js';
import { ImageDecodeError, prepChannels, prepareImage } from './image-prep.js';

/** File name endings read as images (case-insensitive); other files are ignored. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;
/** Largest image file read (64 MiB); a bigger one counts as unreadable. */
export const MAX_IMAGE_FILE_BYTES = 64 * 2 ** 20;
/** Most image files in one folder (10 million: CelebA has 202,599). */
export const MAX_IMAGE_FILES = 10_000_000;
/** Share of unreadable files above which a folder is refused rather than trained on without them. */
export const MAX_UNREADABLE_FRACTION = 0.01;
/** Bumped whenever the preparation's output changes, so old caches are not reused. */
const PREP_VERSION = 1;

/** How {@link loadImageFolder} reads a folder. */
export interface ImageFolderOptions {
  prep: ImagePrep;
  /** A `file,label` CSV; otherwise labels come from subfolders when every image has one. */
  labelsCsv?: string | null;
  /** Where cache entries live (default {@link defaultCacheRoot}). */
  cacheRoot?: string;
  /** Refuse a folder whose pixels would take more bytes than this, before allocating them. */
  maxBytes: number;
  /** Decoding progress bar (null: none). */
  progress?: ProgressSink | null;
}

/** A prepared folder: all readable images, uint8 NHWC, in cache order. */
export interface ImageFolder {
  index: CacheIndex;
  images: Uint8Array;
  /** Where the cache entry is. */
  cacheDir: string;
  /** Images decoded by this load: 0 when the cache already had them. */
  decoded: number;
  /** Image files that could not be decoded and were left out, with why (the reason is known only when decoded now). */
  skipped: { file: string; reason: string }[];
  /** What a checkpoint records to notice a changed folder on resume. */
  identity: DataFileDigest[];
}

/** Files hashed or decoded at once: enough to hide file-system latency, few enough to bound memory. */
const IO_CONCURRENCY = 8;

/** `fn` over `items` with at most `limit` calls in flight; results in input order; the first error wins. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function examples(names: readonly string[], max = 5): string {
  return names.slice(0, max).join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');
}

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && IMAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) {
        out.push(relative(dir, p).split(sep).join('/'));
        if (out.length > MAX_IMAGE_FILES) throw new DatasetError(`${dir}: more than ${MAX_IMAGE_FILES} image files; expected at most that many`);
      }
    }
  };
  await walk(dir);
  // Code-unit order, not locale order, so every machine lists the same cache order.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Loads (from the cache, or by decoding) every image of `dir`, recursively.
 *
 * @throws {@link DatasetError} when the folder has no readable image, when more
 *   than 1% of its images cannot be decoded (naming examples), when its pixels
 *   exceed `maxBytes`, or when the labels CSV does not match the images
 */
export async function loadImageFolder(dir: string, opts: ImageFolderOptions): Promise<ImageFolder> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new DatasetError(`--dataset "${dir}": not a directory; expected a folder of PNG, JPEG or WebP images`);
  const candidates = await listImages(dir);
  if (candidates.length === 0) throw new DatasetError(`${dir}: no readable image: no ${IMAGE_EXTENSIONS.join('/')} file in it or its subfolders`);
  const { prep } = opts;
  const channels = prepChannels(prep);
  const px = prep.size * prep.size * channels;
  const bytes = candidates.length * px;
  if (bytes > opts.maxBytes) {
    throw new DatasetError(
      `${dir}: ${candidates.length} images of ${prep.size}x${prep.size}x${channels} need ${(bytes / 2 ** 30).toFixed(2)} GiB as uint8, over the limit of ${(opts.maxBytes / 2 ** 30).toFixed(2)} GiB (--max-memory); raise --max-memory or lower --image-size`,
    );
  }

  // The key is the content of every file plus everything that changes the prepared pixels.
  const folderHash = createHash('sha256');
  let totalBytes = 0;
  const tooBig = new Set<string>();
  const digests = await mapLimit(candidates, IO_CONCURRENCY, async (f) => {
    const s = await fs.stat(join(dir, f));
    const h = createHash('sha256');
    if (s.size > MAX_IMAGE_FILE_BYTES) tooBig.add(f);
    else h.update(await fs.readFile(join(dir, f)));
    return { size: s.size, sha256: h.digest('hex') };
  });
  candidates.forEach((f, i) => {
    totalBytes += digests[i].size;
    folderHash.update(`${f}\0${digests[i].size}\0${digests[i].sha256}\n`);
  });
  const contentHash = folderHash.digest('hex');
  let csvText: string | null = null;
  if (opts.labelsCsv) {
    const cs = await fs.stat(opts.labelsCsv).catch(() => null);
    if (!cs?.isFile()) throw new DatasetError(`--labels "${opts.labelsCsv}": not a file; expected a CSV of file,label lines`);
    if (cs.size > MAX_LABELS_CSV_BYTES) throw new DatasetError(`--labels "${opts.labelsCsv}": ${cs.size} bytes; expected at most ${MAX_LABELS_CSV_BYTES}`);
    csvText = await fs.readFile(opts.labelsCsv, 'utf8');
  }
  const labelsHash = csvText === null ? 'subfolders' : createHash('sha256').update(csvText).digest('hex');
  const key = createHash('sha256').update(JSON.stringify({ v: PREP_VERSION, contentHash, prep, labels: labelsHash })).digest('hex').slice(0, 32);
  const cacheDir = join(opts.cacheRoot ?? defaultCacheRoot(), key);
  const identity: DataFileDigest[] = [{ path: dir, bytes: totalBytes, sha256: contentHash }];
  if (opts.labelsCsv && csvText !== null) identity.push({ path: opts.labelsCsv, bytes: Buffer.byteLength(csvText), sha256: labelsHash });

  const hit = await readCache(cacheDir, opts.maxBytes);
  if (hit) {
    const kept = new Set(hit.index.files);
    const skipped = candidates.filter((f) => !kept.has(f)).map((file) => ({ file, reason: 'unreadable when the cache was made' }));
    return { ...hit, cacheDir, decoded: 0, skipped, identity };
  }

  const all = new Uint8Array(bytes);
  const files: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const bar = opts.progress ? new EpochProgress(`decoding ${dir}`, candidates.length, opts.progress) : null;
  let done = 0;
  // Each image decodes into its own slot (several at once: libvips waits on I/O), then the readable ones close ranks in order.
  const ok = await mapLimit(candidates, IO_CONCURRENCY, async (f, i) => {
    try {
      if (tooBig.has(f)) throw new ImageDecodeError(`${f}: larger than ${MAX_IMAGE_FILE_BYTES} bytes`);
      await prepareImage(await fs.readFile(join(dir, f)), prep, all.subarray(i * px, (i + 1) * px), f);
      return null;
    } catch (e) {
      if (!(e instanceof ImageDecodeError)) throw e instanceof Error && e.name === 'ImagePrepError' ? new DatasetError(e.message) : e;
      return e.message;
    } finally {
      bar?.update(++done);
    }
  });
  bar?.finish();
  candidates.forEach((f, i) => {
    if (ok[i] !== null) skipped.push({ file: f, reason: ok[i]! });
    else {
      if (files.length !== i) all.copyWithin(files.length * px, i * px, (i + 1) * px);
      files.push(f);
    }
  });
  const decoded = files.length;
  const named = skipped.map((s) => s.reason);
  if (files.length === 0) throw new DatasetError(`${dir}: no readable image among ${candidates.length} files, e.g. ${examples(named, 3)}`);
  if (skipped.length > MAX_UNREADABLE_FRACTION * candidates.length) {
    throw new DatasetError(
      `${dir}: ${skipped.length} of ${candidates.length} images (${((100 * skipped.length) / candidates.length).toFixed(1)}%) cannot be decoded, more than ${100 * MAX_UNREADABLE_FRACTION}%: ${examples(named, 3)}`,
    );
  }
  let labels: FolderLabels | null = null;
  if (csvText !== null) labels = labelsFromCsv(csvText, opts.labelsCsv!, files, candidates);
  else labels = labelsFromSubfolders(files);
  const index: CacheIndex = {
    version: 1,
    count: files.length,
    height: prep.size,
    width: prep.size,
    channels,
    files,
    ...(labels ? { labels: Array.from(labels.labels), classNames: labels.classNames } : {}),
  };
  const images = all.subarray(0, files.length * px);
  await writeCache(cacheDir, index, images);
  return { index, images, cacheDir, decoded, skipped, identity };
}
