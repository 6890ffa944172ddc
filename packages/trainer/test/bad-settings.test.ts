import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArchConfigError, buildArchSpec } from '@vae/format';
import type { ArchSpec } from '@vae/format';
import { initParams, vaeModelFromParams } from '../src/model/vae.js';
import { TrainOptionsError, train } from '../src/train/train.js';
import type { TrainOptions } from '../src/train/train.js';
import { estimateRunMemory } from '../src/train/memory-estimate.js';
import { RunWriteError } from '../src/train/write-run-file.js';
import { selectBackend } from '../src/backend/select-backend.js';
import { freshCli } from './helpers/fresh-cli.js';

const quiet = { log: () => {}, progress: null, plots: false, backend: 'cpu' as const };
const tiny: Omit<TrainOptions, 'out'> = { arch: 'mlp', batch: 64, trainLimit: 128, testLimit: 50, seed: 7, ...quiet };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-bad-'));

/** An IDX file: uint8 data with the given dims. */
function idx(file: string, dims: number[], data: Uint8Array): string {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  writeFileSync(file, Buffer.concat([head, data]));
  return file;
}

/** Four IDX files with `nTrain`/`nTest` images, and the labels given (default all 1). */
function idxSet(nTrain: number, nTest: number, trainLabels?: number[]): string[] {
  const d = tmp();
  const labels = trainLabels ?? Array(nTrain).fill(1);
  return [
    '--train-images', idx(join(d, 'tri'), [nTrain, 28, 28], new Uint8Array(nTrain * 784).fill(100)),
    '--train-labels', idx(join(d, 'trl'), [nTrain], Uint8Array.from(labels)),
    '--test-images', idx(join(d, 'tei'), [nTest, 28, 28], new Uint8Array(nTest * 784).fill(100)),
    '--test-labels', idx(join(d, 'tel'), [nTest], new Uint8Array(nTest).fill(1)),
  ];
}

let cli: string;
beforeAll(async () => {
  cli = await freshCli();
}, 60_000);

// Prints the child's peak RSS as its last stderr line, to measure what an oversized input reached.
const PEAK_RSS = "data:text/javascript,process.on('exit',()=>process.stderr.write('peak-rss-kib '+process.resourceUsage().maxRSS+'\\n'))";

function vaeTrain(args: string[]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', PEAK_RSS, cli, '--backend', 'cpu', '--no-plots', '--out', join(tmp(), 'run'), ...args], { encoding: 'utf8', timeout: 60_000 });
  const rssKiB = Number(/peak-rss-kib (\d+)/.exec(r.stderr)?.[1]);
  return { code: r.status, stderr: r.stderr, seconds: (performance.now() - t0) / 1000, rssMiB: rssKiB / 1024 };
}

describe('vae-train refuses sizes that would run away, before allocating', () => {
  for (const args of [['--latent', '5000000'], ['--channels', '100000,16,32']]) {
    it(`${args.join(' ')}: TrainOptionsError naming the estimate and the --max-memory limit, fast and small`, () => {
      const r = vaeTrain(args);
      console.log(`${args.join(' ')}: refused in ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/vae-train: TrainOptionsError: estimated memory [\d.]+ (GiB|TiB) exceeds the limit of 4\.0 GiB \(--max-memory\): [\d,]+ parameters need .* lower --latent, --channels or --batch, or raise --max-memory/);
      expect(r.rssMiB).toBeLessThan(400);
      expect(r.seconds).toBeLessThan(15);
    });
  }

  it('the limit is --max-memory: a normal run is refused under 1M, naming that limit', async () => {
    const r = vaeTrain(['--arch', 'mlp', '--max-memory', '1M', '--epochs', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/estimated memory [\d.]+ MiB exceeds the limit of 1\.0 MiB \(--max-memory\)/);
    // And in-process: the same settings pass under the default limit's estimate.
    const est = estimateRunMemory(buildArchSpec({ arch: 'mlp' }), { batch: 128, iwSamples: 0 });
    expect(est.totalBytes).toBeGreaterThan(2 ** 20);
    expect(est.totalBytes).toBeLessThan(4 * 2 ** 30);
    await expect(train({ ...tiny, out: tmp(), epochs: 1, maxMemory: 2 ** 20 })).rejects.toThrow(/exceeds the limit of 1\.0 MiB/);
  });
});

describe('vae-train parses numbers strictly and checks ranges', () => {
  const cases: [string[], RegExp][] = [
    [['--kernel', '0'], /TrainOptionsError: --kernel expects a decimal integer >= 2, got "0"/],
    [['--seed', '4294967297'], /TrainOptionsError: --seed expects a decimal integer in \[0, 4294967295\], got "4294967297"/],
    [['--lr', '0x10'], /TrainOptionsError: --lr expects a decimal number > 0, got "0x10"/],
    [['--epochs', '1e3'], /TrainOptionsError: --epochs expects a decimal integer in \[1, 1000000\], got "1e3"/],
    [['--beta', '-1'], /TrainOptionsError: --beta expects a decimal number >= 0, got "-1"/],
    [['--beta=-1'], /TrainOptionsError: --beta expects a decimal number >= 0, got "-1"/],
    [['--lr', 'Infinity'], /TrainOptionsError: --lr expects a decimal number > 0, got "Infinity"/],
    [['--arch', 'mlp', '--kernel', '3'], /TrainOptionsError: --kernel 3 has no effect on the mlp arch/],
  ];
  for (const [args, msg] of cases) {
    it(`refuses ${args.join(' ')}`, () => {
      const r = vaeTrain(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    });
  }
  it('accepts a valid negative-looking value form for a flag that allows it (--kl-warmup=0, --lr 1e-3)', () => {
    const r = vaeTrain(['--arch', 'mlp', '--lr', '1e-3', '--kl-warmup=0', '--epochs', '1', ...idxSet(4, 2)]);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('vae-train refuses empty or malformed data before training', () => {
  it('0 training images', () => {
    const r = vaeTrain(idxSet(0, 5));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/DatasetError: idx files \(.*\): the training split has 0 images; training needs at least 1 training image/);
    expect(r.stderr).not.toMatch(/epoch 1/);
  });
  it('0 test images', () => {
    const r = vaeTrain(idxSet(5, 0));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/DatasetError: .*the test split has 0 images; training needs at least 1 test image/);
    expect(r.stderr).not.toMatch(/epoch 1/);
  });
  it('labels of 200 or 255 for 10 classes', () => {
    const r = vaeTrain(idxSet(5, 2, [1, 2, 200, 255, 3]));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/IdxError: \S+trl: label 200 at index 2 is out of range; expected 0\.\.9 \(10 classes\)/);
  });
  it('an IDX path that is a FIFO or /dev/zero', () => {
    const set = idxSet(5, 2);
    const fifo = join(tmp(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [bad, what] of [[fifo, 'FIFO'], ['/dev/zero', 'character device']]) {
      const args = [...set];
      args[1] = bad;
      const r = vaeTrain(args);
      console.log(`--train-images ${bad}: refused in ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`IdxError: ${bad}: is a ${what}; expected a regular IDX file`));
    }
  });
});

describe('damaged architecture specs are typed errors naming the field, not tfjs errors', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });
  const build = (edit: (s: ArchSpec) => void) => {
    const spec = buildArchSpec({ arch: 'small' });
    const params = initParams(spec, 1);
    edit(spec);
    return () => vaeModelFromParams(spec, params);
  };
  it('a spec without a decoder (was: TypeError: spec.decoder is not iterable)', () => {
    const f = build((s) => delete (s as Partial<ArchSpec>).decoder);
    expect(f).toThrow(ArchConfigError);
    expect(f).toThrow(/arch spec: decoder is missing, but its config .* gives \[/);
  });
  it('a trunk that no longer chains (was: Error in matMul: inner shapes (784) and (512))', () => {
    const f = build((s) => s.encoder.trunk.splice(2, 1));
    expect(f).toThrow(ArchConfigError);
    expect(f).toThrow(/arch spec: encoder\.trunk\[2\]\.kind is "flatten", but its config .* gives "conv2d"/);
  });
  it('a swapped logvar clamp (was: Error in clip: min (10) must be less than or equal to max (-20))', () => {
    const f = build((s) => (s.encoder.logvarClamp = [10, -20]));
    expect(f).toThrow(ArchConfigError);
    expect(f).toThrow(/arch spec: encoder\.logvarClamp\[0\] is 10, but its config .* gives -20/);
  });
});

describe('a full disk', () => {
  const realOpen = fsp.open;
  afterEach(() => {
    fsp.open = realOpen;
  });
  it('is a RunWriteError naming the checkpoint file, not a bare ENOSPC', async () => {
    const dir = tmp();
    // Every write into a new file fails as Linux reports a full disk: no path in the error.
    fsp.open = (async (...a: Parameters<typeof realOpen>) => {
      const fh = await realOpen(...a);
      const enospc = async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      };
      if (String(a[1]).includes('w')) Object.assign(fh, { writeFile: enospc, write: enospc });
      return fh;
    }) as typeof realOpen;
    const err = await train({ ...tiny, out: dir, epochs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(RunWriteError);
    expect(err.code).toBe('ENOSPC');
    expect(err.message).toBe(
      `cannot write the checkpoint ${join(dir, 'checkpoint.vaeckpt')} (ENOSPC: no space left on device, write); the previous checkpoint, if any, is intact; the disk is full; free some space, then continue with --resume`,
    );
    expect(existsSync(join(dir, 'checkpoint.vaeckpt'))).toBe(false);
  });
});

describe('train() options from library callers', () => {
  it('refuses a seed outside uint32 and --kernel 0 instead of ignoring it', async () => {
    await expect(train({ ...tiny, out: tmp(), seed: 4294967297 })).rejects.toThrow(new TrainOptionsError('--seed must be an integer in [0, 4294967295], got 4294967297'));
    await expect(train({ ...tiny, arch: 'small', out: tmp(), kernel: 0 })).rejects.toThrow(new TrainOptionsError('--kernel must be an integer >= 2, got 0'));
  });
});
