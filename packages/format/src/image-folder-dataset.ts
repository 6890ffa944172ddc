/**
 * How a checkpoint's `train.dataset` names an image folder: the prefix
 * `image-folder:` and the trainer's preparation settings as JSON
 * (`{dir, crop, background, grey, testFraction, labels}`). The trainer writes
 * it; the exporter reads the folder's name, crop and background from it for
 * the manifest's `data` entry.
 */
export const IMAGE_FOLDER_PREFIX = 'image-folder:';

/** The preparation an image-folder dataset records, as the exporter needs it. */
export interface ImageFolderPreparation {
  /** The folder's own name (its last path component), never the full path. */
  name: string;
  /** Square centre crop before resizing, or null for none. */
  crop: number | null;
  /** `#rrggbb` the alpha channel was composited on. */
  background: string;
}

/**
 * The name, crop and background of an image-folder dataset string; null for
 * any other dataset (`mnist`, an IDX folder) and for a damaged one, whose
 * settings cannot be trusted for a published manifest.
 *
 * @example
 * ```ts
 * import { imageFolderPreparation } from '@vae/format';
 * imageFolderPreparation('image-folder:{"dir":"/data/emoji","crop":null,"background":"#ffffff"}');
 * // { name: 'emoji', crop: null, background: '#ffffff' }
 * ```
 */
export function imageFolderPreparation(dataset: string): ImageFolderPreparation | null {
  if (!dataset.startsWith(IMAGE_FOLDER_PREFIX)) return null;
  let v: { dir?: unknown; crop?: unknown; background?: unknown };
  try {
    v = JSON.parse(dataset.slice(IMAGE_FOLDER_PREFIX.length));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || typeof v.dir !== 'string') return null;
  const crop = v.crop === null || (Number.isSafeInteger(v.crop) && (v.crop as number) >= 1) ? (v.crop as number | null) : undefined;
  if (crop === undefined || typeof v.background !== 'string' || !/^#[0-9a-f]{6}$/.test(v.background)) return null;
  const name = v.dir.split(/[\\/]+/).filter(Boolean).at(-1) ?? 'images';
  return { name, crop, background: v.background };
}
