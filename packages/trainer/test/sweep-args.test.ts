/**
 * vae-sweep's argument errors: each is a typed error naming what was wrong
 * and what was expected, found before anything trains, and the CLI exits 2.
 * Flag names are checked against vae-train itself (a fresh bundle of it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshSweep } from './helpers/fresh-sweep.js';
import { parseSweepArgs } from '../src/sweep/sweep-args.js';
import { SweepArgsError, SweepDirError } from '../src/sweep/sweep-errors.js';
import { runFolderName, validateSweep } from '../src/sweep/validate-sweep.js';
import { claimSweepDir } from '../src/sweep/sweep-manifest.js';

let cli: string;
let sweep: string;
beforeAll(async () => {
  sweep = await freshSweep();
  cli = join(dirname(sweep), 'cli.js');
});

const parseError = (argv: string[]): unknown => {
  try {
    parseSweepArgs(argv);
  } catch (e) {
    return e;
  }
  throw new Error(`parseSweepArgs accepted ${argv.join(' ')}`);
};
const validateError = (argv: string[]): Promise<unknown> => validateSweep(cli, parseSweepArgs(argv)).then(
  () => {
    throw new Error(`validateSweep accepted ${argv.join(' ')}`);
  },
  (e) => e,
);

describe('vae-sweep arguments', () => {
  it.each([
    [['--out', 'D'], '--vary NAME=v1,v2,... is required: the vae-train flag to vary and its values'],
    [['--vary', 'latent=2'], '--out DIR is required: the sweep folder (runs/, sweep.json, results)'],
    [['--vary', 'latent', '--out', 'D'], '--vary "latent": expected NAME=v1,v2,... (a vae-train flag without dashes, e.g. latent=2,10,20)'],
    [['--vary', 'latent=2,,4', '--out', 'D'], '--vary latent: value 2 of 3 is empty in "latent=2,,4"; expected a comma-separated list of non-empty values'],
    [['--vary', 'latent=', '--out', 'D'], '--vary latent: value 1 of 1 is empty in "latent="; expected a comma-separated list of non-empty values'],
    [['--vary', 'latent=2,4,2', '--out', 'D'], '--vary latent: the value "2" is given twice; expected each value once'],
    [['--vary', 'Lat_ent=2', '--out', 'D'], '--vary "Lat_ent=2": "Lat_ent" is not a flag name; expected a vae-train flag without dashes such as latent, beta, recon or kl-warmup'],
    [['--vary', 'out=a,b', '--out', 'D'], '--vary out: the sweep sets --out itself; expected a training flag such as latent, beta, recon or kl-warmup'],
    [['--vary', 'latent=2', '--vary', 'beta=1', '--out', 'D'], '--vary is given twice; a sweep varies one flag: expected a single --vary NAME=v1,v2,...'],
    [['--vary', 'latent=2', '--out', 'D', '--out', 'E'], '--out is given twice: expected one sweep folder'],
    [['--vary', 'latent=2', '--out', 'D', '--resume'], '--resume cannot be passed through: the sweep resumes unfinished runs and evaluates finished ones itself; rerun the same vae-sweep command instead'],
    [['--vary', 'latent=2', '--out', 'D', '--evaluate'], '--evaluate cannot be passed through: the sweep resumes unfinished runs and evaluates finished ones itself; rerun the same vae-sweep command instead'],
    [['--vary', 'latent=2', '--out', 'D', '--parallel', '0'], '--parallel expects a decimal integer in [1, 64], got "0"'],
    [['--vary', 'latent=2', '--out', 'D', '--iw-samples', '1e3'], '--iw-samples expects a decimal integer in [1, 1000000], got "1e3"'],
    [['--vary', 'latent=2', '--out', 'D', 'extra'], 'unexpected argument "extra": vae-sweep takes only flags (--vary NAME=v1,v2,... --out DIR [--parallel N] [vae-train flags])'],
  ])('refuses %j', (argv, message) => {
    const e = parseError(argv);
    expect(e).toBeInstanceOf(SweepArgsError);
    expect((e as Error).message).toBe(message);
  });

  it('refuses a NAME that vae-train has no flag for, listing the flags it has', async () => {
    const e = await validateError(['--vary', 'latentt=2,4', '--out', 'D']);
    expect(e).toBeInstanceOf(SweepArgsError);
    expect((e as Error).message).toMatch(/^--vary latentt: vae-train has no flag --latentt; expected one of allow-data-change, arch, .*\blatent, lr, /);
    expect((e as Error).message).not.toMatch(/\b(out|resume|evaluate|help), /);
  });

  it('refuses passthrough flags vae-train would reject, with vae-train\'s reason', async () => {
    const e = await validateError(['--vary', 'latent=2', '--out', 'D', '--epochz', '3']);
    expect(e).toBeInstanceOf(SweepArgsError);
    expect((e as Error).message).toBe("vae-train refuses the flags passed through (--epochz 3): Unknown option '--epochz'; expected vae-train flags (see vae-train --help)");
    const sw = await validateError(['--vary', 'latent=2', '--out', 'D', '--conditional=yes']);
    expect((sw as Error).message).toBe("vae-train refuses the flags passed through (--conditional=yes): Option '--conditional' does not take an argument; expected vae-train flags (see vae-train --help)");
  });

  it('refuses a switch varied over values other than true and false, and a flag both varied and passed', async () => {
    const e = await validateError(['--vary', 'conditional=on,off', '--out', 'D']);
    expect(e).toBeInstanceOf(SweepArgsError);
    expect((e as Error).message).toBe('--vary conditional: --conditional is a switch, so its values are true or false (present or absent); got "on"');
    const both = await validateError(['--vary', 'latent=2,4', '--out', 'D', '--latent', '8']);
    expect(both).toBeInstanceOf(SweepArgsError);
    expect((both as Error).message).toBe('--latent is both varied (--vary latent=...) and passed through; expected it only in --vary');
  });

  it('passes a switch as present or absent and a value flag as --NAME=value, in folders named NAME=value', async () => {
    const sw = await validateSweep(cli, parseSweepArgs(['--vary', 'no-plots=true,false', '--out', 'D']));
    expect(sw.kind).toBe('boolean');
    expect(sw.runs.map((r) => [r.flag, r.folder])).toEqual([[['--no-plots'], 'no-plots=true'], [[], 'no-plots=false']]);
    const v = await validateSweep(cli, parseSweepArgs(['--vary', 'kl-warmup=-1,2', '--out', 'D', '--epochs', '2']));
    expect(v.kind).toBe('value');
    expect(v.runs.map((r) => r.flag)).toEqual([['--kl-warmup=-1'], ['--kl-warmup=2']]);
    expect(v.passthrough).toEqual(['--epochs', '2']);
    expect(runFolderName('dataset', '/data/a b')).toBe('dataset=%2Fdata%2Fa b');
  });

  it('refuses to continue a folder made by a different sweep command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-sweep-dir-'));
    const plan = await validateSweep(cli, parseSweepArgs(['--vary', 'latent=2,4', '--out', dir, '--epochs', '1']));
    await claimSweepDir(plan, 'vae-sweep --vary latent=2,4 --epochs 1');
    // The same sweep again is fine, whatever its --parallel.
    await expect(claimSweepDir({ ...plan, parallel: 2 }, 'again')).resolves.toMatchObject({ name: 'latent' });
    const other = await validateSweep(cli, parseSweepArgs(['--vary', 'latent=2,8', '--out', dir, '--epochs', '1']));
    const e = await claimSweepDir(other, 'x').catch((x) => x);
    expect(e).toBeInstanceOf(SweepDirError);
    expect(e.message).toBe(`${dir} was made by a different sweep (vae-sweep --vary latent=2,4 --epochs 1): it varies --latent over 2,4, this command over 2,8; rerun that command to continue it, or choose another --out`);
    const more = await claimSweepDir({ ...plan, passthrough: ['--epochs', '2'] }, 'x').catch((x) => x);
    expect(more.message).toBe(`${dir} was made by a different sweep (vae-sweep --vary latent=2,4 --epochs 1): its runs get "--epochs 1", this command's "--epochs 2"; rerun that command to continue it, or choose another --out`);
    const torn = mkdtempSync(join(tmpdir(), 'vae-sweep-dir-'));
    writeFileSync(join(torn, 'sweep.json'), '{"version":1,');
    const bad = await claimSweepDir({ ...plan, out: torn }, 'x').catch((x) => x);
    expect(bad).toBeInstanceOf(SweepDirError);
    expect(bad.message).toMatch(new RegExp(`^${torn}/sweep.json is not JSON \\(.*\\); expected the sweep.json vae-sweep writes$`));
    const foreign = mkdtempSync(join(tmpdir(), 'vae-sweep-dir-'));
    mkdirSync(join(foreign, 'runs'));
    const f = await claimSweepDir({ ...plan, out: foreign }, 'x').catch((x) => x);
    expect(f.message).toBe(`${foreign} holds runs/ but no sweep.json; expected a folder made by vae-sweep, or a new --out`);
  });

  it('exits 2 with the typed error on stderr, before creating the sweep folder', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vae-sweep-cli-')), 'never');
    const r = spawnSync(process.execPath, [sweep, '--vary', 'latent=2', '--out', out, '--bogus', '1'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("vae-sweep: SweepArgsError: vae-train refuses the flags passed through (--bogus 1): Unknown option '--bogus'; expected vae-train flags (see vae-train --help)\n");
    expect(existsSync(out)).toBe(false);
  });
});
