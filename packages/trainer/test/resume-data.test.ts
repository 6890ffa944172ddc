/**
 * A resume continues the same run on the same data: the checkpoint stores the
 * dataset's absolute paths and the sha256 of every data file, so a resume from
 * another working directory finds them and a changed file is refused.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';
import { IDX_NAMES } from '../src/data/datasets.js';
import type { TrainOptions } from '../src/train/train.js';
import { train } from '../src/train/train.js';
import { idx } from './helpers/idx-bytes.js';

const quiet = { progress: null, plots: false, backend: 'cpu' as const };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'mlp', latent: 4, channels: [16], batch: 32, seed: 5, ...quiet, log: () => {} };

/** A small IDX dataset directory (64 train, 32 test images) under `root`. */
function writeDataset(dir: string): void {
  mkdirSync(dir, { recursive: true });
  let s = 1;
  const byte = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  for (const [split, n] of [['train', 64], ['test', 32]] as const) {
    writeFileSync(join(dir, IDX_NAMES[split][0]), idx([n, 28, 28], Uint8Array.from({ length: n * 784 }, byte)));
    writeFileSync(join(dir, IDX_NAMES[split][1]), idx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)));
  }
}

const home = process.cwd();
afterEach(() => process.chdir(home));

describe('resume and the data it was trained on', () => {
  it('stores the dataset as an absolute path and resumes from another working directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vae-resume-'));
    writeDataset(join(root, 'data'));
    process.chdir(root);
    await train({ ...tiny, out: 'run', dataset: 'data', epochs: 1 });
    const first = await readCheckpoint(join(root, 'run'));
    expect(first.header.train.dataset).toBe(join(root, 'data'));
    expect(first.header.data.files.map((f) => f.path)).toEqual([...IDX_NAMES.train, ...IDX_NAMES.test].map((f) => join(root, 'data', f)));
    expect(first.header.data.files[0]).toMatchObject({ bytes: 16 + 64 * 784, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    process.chdir(mkdtempSync(join(tmpdir(), 'vae-elsewhere-')));
    const resumed = await train({ ...quiet, log: () => {}, out: join(root, 'run'), resume: true, epochs: 2 });
    expect(resumed.history.map((m) => m.epoch)).toEqual([1, 2]);
  });

  it('refuses to resume on changed data files unless allowDataChange, naming the file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vae-resume-'));
    const data = join(root, 'data');
    writeDataset(data);
    const out = join(root, 'run');
    await train({ ...tiny, out, dataset: data, epochs: 1 });
    const file = join(data, IDX_NAMES.train[0]);
    const bytes = readFileSync(file);
    bytes[1000] ^= 0xff;
    writeFileSync(file, bytes);
    const err = await train({ ...quiet, log: () => {}, out, resume: true, epochs: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('mismatch');
    expect((err as CheckpointError).message).toMatch(new RegExp(`the data files changed since this checkpoint was written[\\s\\S]*${file}: ${bytes.length} bytes with sha256 [0-9a-f]{12}…, but the checkpoint was trained on ${bytes.length} bytes[\\s\\S]*pass --allow-data-change`));
    const lines: string[] = [];
    const r = await train({ ...quiet, log: (l) => lines.push(l), out, resume: true, epochs: 2, allowDataChange: true });
    expect(r.history).toHaveLength(2);
    expect(lines.join('\n')).toContain('resuming on changed data (--allow-data-change)');
    // The new checkpoint records the data it now continued on.
    expect((await readCheckpoint(out)).header.data.files[0].sha256).not.toBe((err as CheckpointError).message.match(/trained on \d+ bytes with sha256 ([0-9a-f]{12})/)![1]);
  });

  it('removes temp files left by a killed run at the next start, keeping those of live writers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vae-stale-'));
    writeDataset(join(root, 'data'));
    const out = join(root, 'run');
    mkdirSync(out);
    // pid 2^22+1 is above Linux's pid_max, so no live process owns it.
    const stale = [`.${2 ** 22 + 1}.1700000000000.abc123.tmp`, `.${2 ** 22 + 1}.1700000000001.x.tmp`];
    const live = `.${process.pid}.1700000000002.def.tmp`;
    for (const f of [...stale, live]) writeFileSync(join(out, f), 'partial');
    const lines: string[] = [];
    await train({ ...tiny, out, dataset: join(root, 'data'), epochs: 1, log: (l) => lines.push(l) });
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([live]);
    expect(lines).toContain(`removed 2 temp files left by an interrupted write (${stale.join(', ')})`);
  });
});
