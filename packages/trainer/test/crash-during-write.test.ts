import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '@vae/format/checkpoint';
import { freshCli } from './helpers/fresh-cli.js';

const hook = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'crash-on-checkpoint-write.mjs');

describe('a crash in the middle of a checkpoint write', () => {
  it('leaves the previous checkpoint intact (temp file + rename, never written in place)', async () => {
    const cli = await freshCli();
    const dir = mkdtempSync(join(tmpdir(), 'vae-crash-'));
    const args = ['--arch', 'mlp', '--batch', '64', '--train-limit', '256', '--test-limit', '50', '--seed', '5', '--epochs', '3', '--backend', 'cpu', '--no-plots', '--out', dir];
    // The 2nd checkpoint write (end of epoch 2) is cut in half by SIGKILL.
    const child = spawn(process.execPath, ['--import', hook, cli, ...args], {
      env: { ...process.env, VAE_TEST_CRASH_ON_CHECKPOINT_WRITE: '2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
    expect(signal, `the child was not killed during the write (exit ${code}):\n${stderr}`).toBe('SIGKILL');
    // Killed after training epoch 2 and before its summary line, which follows the checkpoint write.
    expect(stderr).toMatch(/epoch 2\/3 .* 100% 256\/256/);
    expect(stderr).not.toMatch(/epoch 2\/3: train/);
    // The checkpoint is the complete epoch-1 one: it decodes (checksum over the data) and says epoch 1.
    const ck = await readCheckpoint(dir);
    expect(ck.header.epoch).toBe(1);
    expect(ck.header.history.map((m) => m.epoch)).toEqual([1]);
    // The half-written bytes went to a temp file, which is all that is left of the write.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
  }, 120_000);
});
