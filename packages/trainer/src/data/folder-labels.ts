/**
 * Class labels of an image folder for a conditional run: the first subfolder
 * of every image, or a `file,label` CSV. Class names are sorted, so the label
 * numbers do not depend on the order the files were listed in.
 */
import { MAX_CLASSES } from '@vae/format';
import { DatasetError } from './datasets.js';

/** Labels of the images, in the images' order, with the names of the classes. */
export interface FolderLabels {
  labels: Uint8Array;
  classNames: string[];
}

/** Largest labels CSV read (64 MiB: about a million lines). */
export const MAX_LABELS_CSV_BYTES = 64 * 2 ** 20;

function examples(names: readonly string[], max = 5): string {
  return names.slice(0, max).join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');
}

function number(files: readonly string[], names: readonly string[], source: string): FolderLabels {
  const classNames = [...new Set(names)].sort();
  if (classNames.length > MAX_CLASSES) throw new DatasetError(`${source}: ${classNames.length} classes; at most ${MAX_CLASSES} are supported`);
  const id = new Map(classNames.map((n, i) => [n, i]));
  return { labels: Uint8Array.from(names, (n) => id.get(n)!), classNames };
}

/**
 * Labels from subfolder names (`cats/1.png` has class `cats`); null when some
 * image lies in the folder itself, since it then has no subfolder to name it.
 */
export function labelsFromSubfolders(files: readonly string[]): FolderLabels | null {
  if (files.length === 0 || files.some((f) => !f.includes('/'))) return null;
  return number(files, files.map((f) => f.slice(0, f.indexOf('/'))), 'subfolder labels');
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Labels from CSV text of `file,label` lines (an optional `file,label` header
 * first; fields may be double-quoted). `file` is relative to the folder.
 * `candidates` are all image files found, readable or not, so that a row
 * naming an unreadable image is not mistaken for one naming a missing file.
 *
 * @throws {@link DatasetError} for a malformed line, a file named twice or not
 *   found in the folder, or an image without a label
 */
export function labelsFromCsv(text: string, csvPath: string, files: readonly string[], candidates: readonly string[]): FolderLabels {
  const byFile = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  const known = new Set(candidates);
  const missing: string[] = [];
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const cells = splitCsvLine(raw);
    if (i === 0 && cells[0].trim() === 'file' && cells[1]?.trim() === 'label') return;
    if (cells.length !== 2 || cells[0].trim() === '' || cells[1].trim() === '') {
      throw new DatasetError(`${csvPath}:${i + 1}: expected "file,label", got ${JSON.stringify(raw.slice(0, 200))}`);
    }
    const file = cells[0].trim().replace(/\\/g, '/').replace(/^\.\//, '');
    if (byFile.has(file)) throw new DatasetError(`${csvPath}:${i + 1}: ${file} is labelled twice`);
    byFile.set(file, cells[1].trim());
    if (!known.has(file)) missing.push(file);
  });
  if (missing.length) throw new DatasetError(`${csvPath}: ${missing.length} labelled files are not images in the folder: ${examples(missing)}; expected every file of the CSV to be a PNG, JPEG or WebP in the folder`);
  const unlabelled = files.filter((f) => !byFile.has(f));
  if (unlabelled.length) throw new DatasetError(`${csvPath}: ${unlabelled.length} images have no label: ${examples(unlabelled)}; expected a "file,label" line for every image`);
  return number(files, files.map((f) => byFile.get(f)!), csvPath);
}
