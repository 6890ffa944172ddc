/**
 * bench/torch_peer.py's celeba peer reads the image-folder cache contract
 * (images.u8 + index.json) with a vae-train run's split.json, and refuses a
 * cache whose bytes disagree with its index before allocating from it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const peer = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'torch_peer.py');

/** A cache of `n` random 16x16x3 images with labels, and a split with `test` as its test indices. */
function writeCache(n: number, test: number[], bytes = n * 16 * 16 * 3) {
  const root = mkdtempSync(join(tmpdir(), 'vae-peer-cache-'));
  const cache = join(root, 'cache', 'abc123');
  mkdirSync(cache, { recursive: true });
  let s = 9;
  writeFileSync(join(cache, 'images.u8'), Uint8Array.from({ length: bytes }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24)));
  const files = Array.from({ length: n }, (_, i) => `img/${i}.png`);
  writeFileSync(join(cache, 'index.json'), JSON.stringify({ version: 1, count: n, height: 16, width: 16, channels: 3, files, labels: files.map((_, i) => i % 2), classNames: ['a', 'b'] }));
  const split = join(root, 'split.json');
  writeFileSync(split, JSON.stringify({ seed: 1, testFraction: 0.25, test }));
  return { cache, split };
}

const run = (args: string[]) => spawnSync(PYTHON, [peer, ...args], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, timeout: 120_000 });

describe('torch_peer.py train --arch celeba --cache', () => {
  it('trains on the cache minus the split test indices and reports the test NELBO on those', () => {
    const { cache, split } = writeCache(12, [0, 5, 7]);
    const r = run(['train', '--arch', 'celeba', '--channels', '4,8', '--latent', '4', '--batch', '4', '--epochs', '1', '--cache', cache, '--split', split, '--conditional']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const final = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(final).toMatchObject({ final: true, arch: 'celeba', classes: 2, trainImages: 9, testImages: 3, imageShape: [16, 16, 3], epochs: 1 });
    // Summed BCE over 768 values of random pixels starts near 768 ln 2.
    expect(final.testLoss).toBeGreaterThan(400);
    expect(final.testLoss).toBeLessThan(700);
  }, 120_000);

  it('refuses a cache whose images.u8 size disagrees with index.json, naming both', () => {
    const { cache, split } = writeCache(12, [0], 12 * 768 - 1);
    const r = run(['train', '--arch', 'celeba', '--channels', '4,8', '--cache', cache, '--split', split]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`${join(cache, 'images.u8')}: holds ${12 * 768 - 1} bytes, but index.json describes 12 images of 16x16x3 = ${12 * 768} bytes`);
  });

  it('refuses a split whose test indices are out of range or not ascending', () => {
    const { cache, split } = writeCache(12, [3, 2]);
    const r = run(['train', '--arch', 'celeba', '--channels', '4,8', '--cache', cache, '--split', split]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`${split}: "test" must be a non-empty ascending list of distinct indices in 0..11`);
  });
});
