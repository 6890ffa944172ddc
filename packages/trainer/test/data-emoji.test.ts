/**
 * `pnpm data:emoji` without the network: a clear error when npm is missing
 * (leaving nothing behind), and a second run that finds the folder and does
 * nothing (it needs no npm at all then).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'data-emoji.mjs');
const noNpm = (cacheDir: string) => spawnSync(process.execPath, [SCRIPT, '--cache-dir', cacheDir], { encoding: 'utf8', env: { PATH: '/nonexistent' } });

describe('pnpm data:emoji', () => {
  it('says npm is missing, exits 1 and leaves no temporary folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'vae-emoji-'));
    const r = noNpm(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('data:emoji: npm is not on PATH; fetching the emoji package needs it (install Node.js with npm, or put npm on PATH)\n');
    expect(readdirSync(root)).toEqual([]);
  });

  it('does nothing when the folder is already there', () => {
    const root = mkdtempSync(join(tmpdir(), 'vae-emoji-'));
    const done = join(root, 'emoji-datasource-google-16.0.0');
    mkdirSync(join(done, 'images'), { recursive: true });
    writeFileSync(join(done, 'labels.csv'), 'file,label\n');
    const r = noNpm(root);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`already prepared: ${done}\n  vae-train --dataset ${join(done, 'images')} --labels ${join(done, 'labels.csv')}\n`);
    expect(readdirSync(root)).toEqual(['emoji-datasource-google-16.0.0']);
  });
});
