/**
 * vae-sweep end to end on tiny data: runs a 2-value sweep through the real
 * child processes, reruns it, kills one with SIGKILL during its second run
 * and checks the resumed sweep against the uninterrupted one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshSweep } from './helpers/fresh-sweep.js';
import { runState } from '../src/sweep/run-state.js';
import { CHILD_PID } from '../src/sweep/sweep-lock.js';

const TINY = ['--arch', 'mlp', '--train-limit', '128', '--test-limit', '32', '--batch', '16', '--epochs', '3', '--seed', '4', '--threads', '1', '--backend', 'cpu', '--iw-samples', '20'];
const VARY = ['--vary', 'latent=2,4'];
const PLOTS = ['test-nelbo.png', 'recon.png', 'kl.png', 'iwae-bound.png', 'images-per-sec.png', 'samples.png'];
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let sweep: string;
beforeAll(async () => {
  sweep = await freshSweep();
});

function runSweepSync(out: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [sweep, ...VARY, '--out', out, ...TINY], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stderr: r.stderr };
}

/** The table without the images/s column: timing differs between any two runs, the rest must not. */
function withoutSpeed(csv: string): string[][] {
  return csv.trim().split('\n').map((l) => l.split(',').slice(0, 6));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the sweep and calls `act` once `runDir`'s train.log matches `ready`; resolves with its exit status and stderr. */
async function sweepUntil(dir: string, runDir: string, ready: RegExp, act: (child: ReturnType<typeof spawn>) => void): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [sweep, ...VARY, '--out', dir, ...TINY], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const log = existsSync(join(runDir, 'train.log')) ? readFileSync(join(runDir, 'train.log'), 'utf8') : '';
      if (ready.test(log)) {
        clearInterval(t);
        act(child);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`sweep ended before ${runDir} matched ${ready}:\n${stderr}`));
      }
    }, 10);
  });
  return { status: await exited, stderr };
}

describe('vae-sweep', () => {
  const straight = mkdtempSync(join(tmpdir(), 'vae-sweep-'));

  it('trains each value in its own run folder and writes the results table and the plots', () => {
    const t0 = performance.now();
    const r = runSweepSync(straight);
    process.stderr.write(`sweep of 2 tiny runs: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(r.stderr).toContain('[2/2] latent=4: finished in');
    expect(r.status).toBe(0);
    for (const v of ['2', '4']) expect(existsSync(join(straight, 'runs', `latent=${v}`, 'checkpoint.vaeckpt'))).toBe(true);
    const rows = readFileSync(join(straight, 'results.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('latent,test_nelbo,recon,kl,iwae_bound,iw_samples,images_per_sec');
    expect(rows).toHaveLength(3);
    expect(rows.slice(1).map((l) => l.split(',')[0])).toEqual(['2', '4']);
    for (const l of rows.slice(1)) {
      const [, ...nums] = l.split(',').map(Number);
      for (const n of nums) expect(Number.isFinite(n)).toBe(true);
      expect(nums[4]).toBe(20); // iw_samples as passed
      // The ELBO terms add up, and the IWAE bound is no looser than the ELBO it tightens (same test images).
      expect(nums[0]).toBeCloseTo(nums[1] + nums[2], 6);
    }
    // Each column is what vae-train --evaluate itself reports for that run.
    const ev = spawnSync(process.execPath, [join(dirname(sweep), 'cli.js'), ...TINY.slice(0, -2), '--latent=4', '--evaluate', '--out', join(straight, 'runs', 'latent=4'), '--iw-samples', '20'], { encoding: 'utf8' });
    expect(ev.status).toBe(0);
    const e = JSON.parse(ev.stdout);
    expect(rows[2].split(',').slice(0, 6)).toEqual(['4', e.loss, e.recon, e.kl, e.iwNll, e.iwSamples].map(String));
    const md = readFileSync(join(straight, 'results.md'), 'utf8').trim().split('\n');
    expect(md[0]).toBe('| latent | test NELBO | recon | KL | IWAE bound (k = 20) | images/s |');
    expect(md).toHaveLength(4);
    expect(md[2]).toMatch(/^\| 2 \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| \d+ \|$/);
    for (const f of PLOTS) {
      const png = readFileSync(join(straight, 'plots', f));
      expect(png.subarray(0, 8).equals(PNG)).toBe(true);
      expect(png.length).toBeGreaterThan(2000);
    }
    const manifest = JSON.parse(readFileSync(join(straight, 'sweep.json'), 'utf8'));
    expect(manifest).toMatchObject({ version: 1, name: 'latent', values: ['2', '4'], passthrough: TINY.slice(0, -2), iwSamples: 20 });
  });

  it('reruns nothing when the same command is given again', () => {
    const ckpts = ['2', '4'].map((v) => join(straight, 'runs', `latent=${v}`, 'checkpoint.vaeckpt'));
    const before = ckpts.map((p) => statSync(p).mtimeMs);
    const csvBefore = readFileSync(join(straight, 'results.csv'), 'utf8');
    const r = runSweepSync(straight);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('[1/2] latent=2: already finished (3 epochs); skipped');
    expect(r.stderr).toContain('[2/2] latent=4: already finished (3 epochs); skipped');
    expect(r.stderr).not.toMatch(/starting|resuming|evaluating with/);
    expect(r.stderr).toContain('done: 2 runs (0 trained now)');
    expect(ckpts.map((p) => statSync(p).mtimeMs)).toEqual(before);
    expect(readFileSync(join(straight, 'results.csv'), 'utf8')).toBe(csvBefore);
  });

  it('resumes a sweep SIGKILLed during its second run and gives the uninterrupted results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-sweep-kill-'));
    const run2 = join(dir, 'runs', 'latent=4');
    // Killed once the second run has finished its first epoch (of 3), so the kill lands inside its training.
    await sweepUntil(dir, run2, /epoch 1\/3: train/, (c) => c.kill('SIGKILL'));
    // The orphaned vae-train sees its stdin close, stops itself and writes a mid-run checkpoint.
    const pid = Number(readFileSync(join(run2, CHILD_PID), 'utf8'));
    for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect(readFileSync(join(run2, 'train.log'), 'utf8')).toContain('SIGTERM received');
    const mid = await runState(run2);
    expect(mid.kind).toBe('unfinished');
    expect(existsSync(join(dir, 'results.csv'))).toBe(false);

    const r = runSweepSync(dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('[1/2] latent=2: already finished (3 epochs); skipped');
    expect(r.stderr).toMatch(/\[2\/2\] latent=4: resuming at epoch [12]\/3/);
    expect(withoutSpeed(readFileSync(join(dir, 'results.csv'), 'utf8'))).toEqual(withoutSpeed(readFileSync(join(straight, 'results.csv'), 'utf8')));
  });

  it('forwards SIGTERM once to the running training, which checkpoints, and exits 143 without starting the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-sweep-term-'));
    const run1 = join(dir, 'runs', 'latent=2');
    const r = await sweepUntil(dir, run1, /epoch 1\/3: train/, (c) => c.kill('SIGTERM'));
    expect(r.status).toBe(143);
    expect(r.stderr).toContain('vae-sweep: SIGTERM received; stopping 1 running training(s) after their current step');
    expect(r.stderr).toContain('vae-sweep: interrupted by SIGTERM; rerun the same command to continue where it stopped');
    const log = readFileSync(join(run1, 'train.log'), 'utf8');
    expect(log).toContain('vae-train: SIGTERM received, stopping after the current step');
    // One signal per child: a second would make vae-train exit without its checkpoint.
    expect(log).not.toContain('second SIGTERM');
    expect(log).toMatch(/interrupted by SIGTERM: wrote .*checkpoint\.vaeckpt/);
    expect((await runState(run1)).kind).toBe('unfinished');
    expect(existsSync(join(dir, 'runs', 'latent=4'))).toBe(false);
  });
});
