import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../src/train/train.js';
import type { TrainOptions } from '../src/train/train.js';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';

const quiet = { log: () => {}, progress: null, plots: false, backend: 'cpu' as const };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'mlp', batch: 64, trainLimit: 320, testLimit: 100, seed: 7, ...quiet };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-train-'));
const losses = (h: { trainLoss: number; testLoss: number; trainKL: number }[]) => h.map((m) => [m.trainLoss, m.trainKL, m.testLoss]);

describe('train', () => {
  it('gives the same losses for the same seed on the same backend', async () => {
    const a = await train({ ...tiny, out: tmp(), epochs: 1 });
    const b = await train({ ...tiny, out: tmp(), epochs: 1 });
    expect(losses(b.history)).toEqual(losses(a.history));
    const c = await train({ ...tiny, out: tmp(), epochs: 1, seed: 8 });
    expect(losses(c.history)).not.toEqual(losses(a.history));
  });

  it('resumes from the checkpoint to exactly the losses of an uninterrupted run', async () => {
    const straight = await train({ ...tiny, out: tmp(), epochs: 2 });
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1 });
    const resumed = await train({ out: dir, epochs: 2, resume: true, ...quiet });
    expect(losses(resumed.history)).toEqual(losses(straight.history));
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2]);
    for (const k of ['epoch', 'trainLoss', 'trainRecon', 'trainKL', 'testLoss', 'testRecon', 'testKL', 'imagesPerSec', 'seconds', 'backend']) {
      expect(lines[1]).toHaveProperty(k);
    }
    expect((await readCheckpoint(dir)).header.epoch).toBe(2);
  });

  it('refuses to overwrite an existing run without --resume', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1 });
    await expect(train({ ...tiny, out: dir, epochs: 1 })).rejects.toThrow(/pass --resume/);
  });

  it('rejects resuming with a different architecture or data order', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1 });
    await expect(train({ ...tiny, out: dir, epochs: 2, resume: true, latent: 8 })).rejects.toThrow(CheckpointError);
    await expect(train({ ...tiny, out: dir, epochs: 2, resume: true, batch: 32 })).rejects.toThrow(/batch: checkpoint 64, options 32/);
  });

  it('rejects a corrupt checkpoint with a clear error instead of training from it', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1 });
    const file = join(dir, 'checkpoint.vaeckpt');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(file, bytes);
    const err = await train({ out: dir, epochs: 2, resume: true, ...quiet }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.code).toBe('checksum');
    writeFileSync(file, bytes.subarray(0, 100));
    await expect(readCheckpoint(dir)).rejects.toThrow(/truncated|header/);
  });

  it('validates options before doing any work', async () => {
    await expect(train({ ...tiny, out: tmp(), epochs: 0 })).rejects.toThrow(/--epochs must be a positive integer, got 0/);
    await expect(train({ ...tiny, out: tmp(), lr: -1 })).rejects.toThrow(/--lr must be a finite number > 0, got -1/);
  });

  it('leaves no temp files behind after writing checkpoints', async () => {
    const dir = tmp();
    await train({ ...tiny, out: dir, epochs: 1 });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(dir, 'checkpoint.vaeckpt'))).toBe(true);
  });
});
