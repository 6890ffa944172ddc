/**
 * Any image folder as a data set: decoding, preparation (crop, resize,
 * background, grey) checked against pixels computed by hand, the uint8 cache,
 * the seeded split, labels, and the bad-data rules.
 */
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';
import { gather } from '../src/data/batcher.js';
import { DatasetError, loadDataset, resolveClasses } from '../src/data/datasets.js';
import { splitIndices } from '../src/data/folder-split.js';
import type { ImageFolderOptions } from '../src/data/image-folder.js';
import { loadImageFolder } from '../src/data/image-folder.js';
import { imageFolderSpec, isIdxDirectory, parseImageFolderSpec } from '../src/data/image-folder-spec.js';
import type { ImagePrep } from '../src/data/image-prep.js';
import { parseBackground } from '../src/data/image-prep.js';
import { train } from '../src/train/train.js';

const WHITE: [number, number, number] = [255, 255, 255];
const rgbPrep = (size: number, extra: Partial<ImagePrep> = {}): ImagePrep => ({ crop: null, size, background: WHITE, grey: false, ...extra });

function tmp(name: string): string {
  return mkdtempSync(join(tmpdir(), `vae-${name}-`));
}

/** An RGBA image from a pixel function, encoded as `format`. */
async function image(path: string, w: number, h: number, px: (x: number, y: number) => [number, number, number, number], format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<void> {
  const raw = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(px(x, y), 4 * (y * w + x));
  let s = sharp(raw, { raw: { width: w, height: h, channels: 4 } });
  s = format === 'png' ? s.png() : format === 'jpeg' ? s.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }) : s.webp({ lossless: true });
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, await s.toBuffer());
}

const solid = (c: [number, number, number, number]) => () => c;

function load(dir: string, prep: ImagePrep, extra: Partial<ImageFolderOptions> = {}) {
  return loadImageFolder(dir, { prep, cacheRoot: tmp('cache'), maxBytes: 2 ** 30, progress: null, ...extra });
}

/** Pixel (x, y) of an NHWC image `i`. */
function at(images: Uint8Array, size: number, c: number, i: number, x: number, y: number): number[] {
  const o = ((i * size + y) * size + x) * c;
  return Array.from(images.subarray(o, o + c));
}

describe('image folder: decoding and preparation', () => {
  it('decodes PNG, JPEG and WebP, recursively, in sorted path order', async () => {
    const dir = tmp('formats');
    await image(join(dir, 'a.png'), 8, 8, solid([10, 200, 30, 255]));
    // Mid-grey survives JPEG exactly: Y = 128 and Cb = Cr = 128 carry no rounding.
    await image(join(dir, 'sub', 'b.jpg'), 8, 8, solid([128, 128, 128, 255]), 'jpeg');
    await image(join(dir, 'sub', 'deeper', 'c.webp'), 8, 8, solid([1, 2, 250, 255]), 'webp');
    writeFileSync(join(dir, 'notes.txt'), 'not an image, ignored');
    const f = await load(dir, rgbPrep(8));
    expect(f.index.files).toEqual(['a.png', 'sub/b.jpg', 'sub/deeper/c.webp']);
    expect(f.skipped).toEqual([]);
    expect([at(f.images, 8, 3, 0, 3, 3), at(f.images, 8, 3, 1, 3, 3), at(f.images, 8, 3, 2, 3, 3)]).toEqual([
      [10, 200, 30],
      [128, 128, 128],
      [1, 2, 250],
    ]);
  });

  it('centre-crops before resizing, and refuses a crop larger than the image', async () => {
    const dir = tmp('crop');
    await image(join(dir, 'g.png'), 16, 16, (x, y) => [x * 16, y * 16, 7, 255]);
    const f = await load(dir, rgbPrep(8, { crop: 8 }));
    // The 8x8 centre of a 16x16 image starts at (4, 4).
    for (const [x, y] of [[0, 0], [7, 0], [3, 5], [7, 7]]) expect(at(f.images, 8, 3, 0, x, y)).toEqual([(x + 4) * 16, (y + 4) * 16, 7]);
    const err = await load(dir, rgbPrep(8, { crop: 20 })).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe('g.png: --crop 20 is larger than the image (16x16); expected a crop of at most 16');
  });

  it('applies the EXIF orientation before the centre crop', async () => {
    const dir = tmp('orient');
    const raw = Buffer.alloc(16 * 8 * 4);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) raw.set(x < 8 ? [255, 0, 0, 255] : [0, 0, 255, 255], 4 * (y * 16 + x));
    // Stored 16x8 (left red, right blue) with orientation 6: shown rotated 90 degrees clockwise, 8x16, red on top.
    writeFileSync(join(dir, 'o.png'), await sharp(raw, { raw: { width: 16, height: 8, channels: 4 } }).png().withMetadata({ orientation: 6 }).toBuffer());
    const f = await load(dir, rgbPrep(8, { crop: 8 }));
    // The centre 8x8 of the upright 8x16 image is its rows 4..11: four red rows, then four blue.
    for (let y = 0; y < 8; y++) expect(at(f.images, 8, 3, 0, 2, y)).toEqual(y < 4 ? [255, 0, 0] : [0, 0, 255]);
  });

  it('resizes to the image size: edge columns far from the colour boundary keep their colour exactly', async () => {
    const dir = tmp('resize');
    await image(join(dir, 'h.png'), 16, 16, (x) => (x < 8 ? [255, 0, 0, 255] : [0, 0, 255, 255]));
    const f = await load(dir, rgbPrep(8));
    expect(f.index).toMatchObject({ height: 8, width: 8, channels: 3, count: 1 });
    // A 2x shrink: output column 0 draws on source columns 0..6 only (lanczos3 support 3 output px = 6 source px), all red.
    for (let y = 0; y < 8; y++) {
      expect(at(f.images, 8, 3, 0, 0, y)).toEqual([255, 0, 0]);
      expect(at(f.images, 8, 3, 0, 7, y)).toEqual([0, 0, 255]);
    }
  });

  it('composites alpha on the background: round((c*a + bg*(255-a)) / 255)', async () => {
    const dir = tmp('alpha');
    await image(join(dir, 'a.png'), 8, 8, solid([200, 100, 0, 128]));
    const white = await load(dir, rgbPrep(8));
    // (200*128 + 255*127)/255 = 57985/255 = 227.39 -> 227, (100*128 + 255*127)/255 = 45185/255 = 177.20 -> 177, 255*127/255 = 127.
    expect(at(white.images, 8, 3, 0, 2, 2)).toEqual([227, 177, 127]);
    const black = await load(dir, rgbPrep(8, { background: parseBackground('#000') }));
    // 200*128/255 = 100.39 -> 100, 100*128/255 = 50.20 -> 50, 0.
    expect(at(black.images, 8, 3, 0, 2, 2)).toEqual([100, 50, 0]);
    expect(parseBackground('#FF8000')).toEqual([255, 128, 0]);
    expect(parseBackground('white')).toEqual([255, 255, 255]);
    expect(() => parseBackground('pink')).toThrow('--background "pink": expected white, black, #rgb or #rrggbb');
  });

  it('--grey gives one channel of ITU-R 601 luma (PIL convert("L")): red 76, green 150, blue 29', async () => {
    const dir = tmp('grey');
    await image(join(dir, 'p.png'), 8, 8, (x) => (x < 3 ? [255, 0, 0, 255] : x < 6 ? [0, 255, 0, 255] : [0, 0, 255, 255]));
    const f = await load(dir, rgbPrep(8, { grey: true }));
    expect(f.index.channels).toBe(1);
    expect([at(f.images, 8, 1, 0, 0, 0), at(f.images, 8, 1, 0, 4, 0), at(f.images, 8, 1, 0, 7, 0)]).toEqual([[76], [150], [29]]);
  });
});

describe('image folder: cache', () => {
  it('writes images.u8 and index.json per the contract, and a second load decodes nothing', async () => {
    const dir = tmp('cache-hit');
    await image(join(dir, 'x', '1.png'), 8, 8, solid([1, 2, 3, 255]));
    await image(join(dir, 'y', '2.png'), 8, 8, solid([4, 5, 6, 255]));
    const cacheRoot = tmp('cache-root');
    const bar: string[] = [];
    const first = await load(dir, rgbPrep(8), { cacheRoot, progress: { write: (t: string) => bar.push(t) } });
    expect(first.decoded).toBe(2);
    // The epoch progress bar, without a loss: one line per tenth when not a TTY.
    expect(bar.at(-1)).toMatch(new RegExp(`^decoding ${dir} █{24} 100% 2/2 \\| \\d+ img/s \\| ETA 0s\n$`));
    const index = JSON.parse(readFileSync(join(first.cacheDir, 'index.json'), 'utf8'));
    expect(index).toEqual({ version: 1, count: 2, height: 8, width: 8, channels: 3, files: ['x/1.png', 'y/2.png'], labels: [0, 1], classNames: ['x', 'y'] });
    const bytes = readFileSync(join(first.cacheDir, 'images.u8'));
    expect(bytes.length).toBe(2 * 8 * 8 * 3);
    expect(Array.from(bytes.subarray(8 * 8 * 3, 8 * 8 * 3 + 3))).toEqual([4, 5, 6]);
    const mtime = statSync(join(first.cacheDir, 'images.u8')).mtimeMs;

    const second = await load(dir, rgbPrep(8), { cacheRoot });
    expect(second.decoded).toBe(0);
    expect(second.cacheDir).toBe(first.cacheDir);
    expect(statSync(join(first.cacheDir, 'images.u8')).mtimeMs).toBe(mtime);
    expect(second.images).toEqual(first.images);

    // A damaged entry (a label outside classNames) is decoded again, not trusted.
    writeFileSync(join(first.cacheDir, 'index.json'), JSON.stringify({ ...index, labels: [0, 2] }));
    const repaired = await load(dir, rgbPrep(8), { cacheRoot });
    expect(repaired.decoded).toBe(2);
    expect(JSON.parse(readFileSync(join(first.cacheDir, 'index.json'), 'utf8'))).toEqual(index);

    // Other content or other settings are another key.
    await image(join(dir, 'y', '2.png'), 8, 8, solid([7, 8, 9, 255]));
    const changed = await load(dir, rgbPrep(8), { cacheRoot });
    expect(changed.decoded).toBe(2);
    expect(changed.cacheDir).not.toBe(first.cacheDir);
    expect((await load(dir, rgbPrep(8, { grey: true }), { cacheRoot })).decoded).toBe(2);
  });

  it('refuses a folder whose pixels exceed the memory limit before allocating them', async () => {
    const dir = tmp('too-big');
    await image(join(dir, 'a.png'), 8, 8, solid([0, 0, 0, 255]));
    await image(join(dir, 'b.png'), 8, 8, solid([0, 0, 0, 255]));
    const err = await load(dir, rgbPrep(1024), { maxBytes: 2 ** 22 }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe(`${dir}: 2 images of 1024x1024x3 need 0.01 GiB as uint8, over the limit of 0.00 GiB (--max-memory); raise --max-memory or lower --image-size`);
  });
});

describe('image folder: labels', () => {
  it('labels from sorted subfolder names', async () => {
    const dir = tmp('sub-labels');
    await image(join(dir, 'zebra', '1.png'), 8, 8, solid([0, 0, 0, 255]));
    await image(join(dir, 'ant', '2.png'), 8, 8, solid([0, 0, 0, 255]));
    await image(join(dir, 'ant', '3.png'), 8, 8, solid([0, 0, 0, 255]));
    const f = await load(dir, rgbPrep(8));
    expect(f.index.files).toEqual(['ant/2.png', 'ant/3.png', 'zebra/1.png']);
    expect(f.index.labels).toEqual([0, 0, 1]);
    expect(f.index.classNames).toEqual(['ant', 'zebra']);
  });

  it('labels from a file,label CSV; a CSV naming a missing file or missing an image is a DatasetError', async () => {
    const dir = tmp('csv-labels');
    await image(join(dir, 'a.png'), 8, 8, solid([0, 0, 0, 255]));
    await image(join(dir, 'b.png'), 8, 8, solid([0, 0, 0, 255]));
    const csv = join(tmp('csv'), 'labels.csv');
    writeFileSync(csv, 'file,label\na.png,"Smileys & Emotion"\nb.png,Animals\n');
    const f = await load(dir, rgbPrep(8), { labelsCsv: csv });
    expect(f.index.classNames).toEqual(['Animals', 'Smileys & Emotion']);
    expect(f.index.labels).toEqual([1, 0]);

    writeFileSync(csv, 'a.png,x\nb.png,y\nghost.png,x\n');
    const missing = await load(dir, rgbPrep(8), { labelsCsv: csv }).catch((e) => e);
    expect(missing).toBeInstanceOf(DatasetError);
    expect(missing.message).toBe(`${csv}: 1 labelled files are not images in the folder: ghost.png; expected every file of the CSV to be a PNG, JPEG or WebP in the folder`);
    writeFileSync(csv, 'a.png,x\n');
    const unlabelled = await load(dir, rgbPrep(8), { labelsCsv: csv }).catch((e) => e);
    expect(unlabelled).toBeInstanceOf(DatasetError);
    expect(unlabelled.message).toBe(`${csv}: 1 images have no label: b.png; expected a "file,label" line for every image`);
  });
});

describe('image folder: bad data', () => {
  it('skips an unreadable file when at most 1% are, listing it by name with a count', async () => {
    const dir = tmp('skip');
    for (let i = 0; i < 100; i++) await image(join(dir, `${String(i).padStart(3, '0')}.png`), 8, 8, solid([i, 0, 0, 255]));
    // Sorted first, so every readable image after it has to move up one slot.
    writeFileSync(join(dir, '0-broken.png'), 'this is not a PNG');
    const lines: string[] = [];
    const data = await loadDataset(
      imageFolderSpec({ dir, crop: null, background: '#ffffff', grey: true, testFraction: 0.1, labels: null }),
      undefined,
      { imageShape: [8, 8, 1], seed: 1, cacheRoot: tmp('cache'), maxBytes: 2 ** 30, progress: null, log: (l) => lines.push(l) },
    );
    expect(data.train.count + data.test.count).toBe(100);
    expect(lines[0]).toMatch(/^skipped 1 unreadable image: 0-broken\.png: /);
    const f = await load(dir, rgbPrep(8));
    expect(f.skipped.map((s) => s.file)).toEqual(['0-broken.png']);
    expect(f.index.count).toBe(100);
    for (let k = 0; k < 100; k++) expect(at(f.images, 8, 3, k, 4, 4)).toEqual([k, 0, 0]);
  });

  it('refuses a folder with more than 1% unreadable files, naming examples', async () => {
    const dir = tmp('too-many-bad');
    for (let i = 0; i < 3; i++) await image(join(dir, `${i}.png`), 8, 8, solid([0, 0, 0, 255]));
    writeFileSync(join(dir, 'bad.webp'), 'garbage');
    const err = await load(dir, rgbPrep(8)).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toMatch(new RegExp(`^${dir}: 1 of 4 images \\(25\\.0%\\) cannot be decoded, more than 1%: bad\\.webp: `));
  });

  it('refuses a folder with no readable image', async () => {
    const dir = tmp('none-readable');
    writeFileSync(join(dir, 'a.png'), 'garbage');
    const err = await load(dir, rgbPrep(8)).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toMatch(new RegExp(`^${dir}: no readable image among 1 files, e\\.g\\. a\\.png: `));
    const empty = tmp('empty');
    const e2 = await load(empty, rgbPrep(8)).catch((e) => e);
    expect(e2).toBeInstanceOf(DatasetError);
    expect(e2.message).toBe(`${empty}: no readable image: no .png/.jpg/.jpeg/.webp file in it or its subfolders`);
  });
});

describe('image folder: --dataset DIR', () => {
  it('is IDX data when DIR holds any train-/t10k- IDX file, else an image folder spec with absolute paths', () => {
    const idxDir = tmp('idx');
    writeFileSync(join(idxDir, 'train-images-idx3-ubyte'), '');
    expect(isIdxDirectory(idxDir)).toBe(true);
    const images = tmp('imgs');
    expect(isIdxDirectory(images)).toBe(false);
    const spec = imageFolderSpec({ dir: 'rel', crop: 148, background: '#000000', grey: false, testFraction: 0.1, labels: 'l.csv' }, '/base');
    expect(parseImageFolderSpec(spec)).toEqual({ dir: '/base/rel', crop: 148, background: '#000000', grey: false, testFraction: 0.1, labels: '/base/l.csv' });
    expect(parseImageFolderSpec('mnist')).toBeNull();
    expect(() => parseImageFolderSpec('image-folder:{"dir":"x"}')).toThrow(DatasetError);
  });
});

describe('image folder: conditional runs', () => {
  it('refuses --conditional on a folder without labels, saying how to give them', async () => {
    const dir = tmp('flat');
    for (let i = 0; i < 3; i++) await image(join(dir, `${i}.png`), 8, 8, solid([0, 0, 0, 255]));
    const data = await loadDataset(imageFolderSpec({ dir, crop: null, background: '#ffffff', grey: true, testFraction: 0.3, labels: null }), undefined, {
      imageShape: [8, 8, 1],
      seed: 1,
      cacheRoot: tmp('cache'),
      maxBytes: 2 ** 30,
    });
    const err = (() => {
      try {
        return resolveClasses(data, undefined);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toBe(`${dir}: a conditional VAE needs at least 2 classes, but the image folder has no labels; put each image in a subfolder named for its class, or pass --labels FILE.csv`);
  });
});

describe('image folder: split, uint8 storage and training', () => {
  it('draws a seeded split: the same seed gives the same ascending test indices, another seed others', () => {
    const a = splitIndices(50, 7, 0.1);
    expect(a).toEqual(splitIndices(50, 7, 0.1));
    expect(a.test).toHaveLength(5);
    expect([...a.test].sort((x, y) => x - y)).toEqual(a.test);
    expect(splitIndices(50, 8, 0.1).test).not.toEqual(a.test);
    expect(() => splitIndices(1, 7, 0.1)).toThrow('an image folder needs at least 2 readable images to split into train and test, got 1');
  });

  it('keeps the images uint8 and converts one batch at a time to x/255', async () => {
    const dir = tmp('uint8');
    for (let i = 0; i < 4; i++) await image(join(dir, `${i}.png`), 8, 8, (x, y) => [i * 60, x * 30, y * 30, 255]);
    const data = await loadDataset(imageFolderSpec({ dir, crop: null, background: '#ffffff', grey: false, testFraction: 0.25, labels: null }), undefined, {
      imageShape: [8, 8, 3],
      seed: 3,
      cacheRoot: tmp('cache'),
      maxBytes: 2 ** 30,
      progress: null,
    });
    expect(data.train.images).toBeInstanceOf(Uint8Array);
    expect(data.train.images.length).toBe(3 * 8 * 8 * 3);
    const batch = gather(data.train, [2, 0]);
    expect(batch.x).toHaveLength(2 * 8 * 8 * 3);
    const px = 8 * 8 * 3;
    const expected = Float32Array.from({ length: 2 * px }, (_, k) => data.train.images[(k < px ? 2 : 0) * px + (k % px)] / 255);
    expect(batch.x).toEqual(expected);
    // The test view holds exactly the image the split names.
    const full = await load(dir, rgbPrep(8));
    const t = data.split!.test[0];
    expect(Array.from(data.test.images)).toEqual(Array.from(full.images.subarray(t * px, (t + 1) * px)));
  });

  it('records the split in split.json and the checkpoint, and refuses a resume on a changed folder', async () => {
    const dir = tmp('train-folder');
    for (let i = 0; i < 10; i++) await image(join(dir, `${i}.png`), 16, 16, (x, y) => [(x * 16 + i * 9) % 256, y * 16, 0, 255]);
    const out = join(tmp('run'), 'run');
    const opts = { arch: 'mlp' as const, latent: 4, channels: [16], batch: 4, seed: 9, epochs: 1, progress: null, plots: false, backend: 'cpu' as const, log: () => {}, cacheDir: tmp('cache') };
    const dataset = imageFolderSpec({ dir, crop: null, background: '#ffffff', grey: true, testFraction: 0.2, labels: null });
    await train({ ...opts, out, dataset });
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    expect(split).toEqual(splitIndices(10, 9, 0.2));
    const ckpt = await readCheckpoint(out);
    expect(ckpt.header.data.split).toEqual({ seed: 9, testFraction: 0.2 });
    expect(ckpt.header.train.dataset).toBe(dataset);

    await image(join(dir, '3.png'), 16, 16, solid([1, 1, 1, 255]));
    const err = await train({ ...opts, out, resume: true, epochs: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toContain(`the data files changed since this checkpoint was written, so a resume would not continue the same run:\n  ${dir}: `);
    const resumed = await train({ ...opts, out, resume: true, epochs: 2, allowDataChange: true });
    expect(resumed.history.map((m) => m.epoch)).toEqual([1, 2]);
  });
});
