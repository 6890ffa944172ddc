import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_FILE } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { makeCheckpointBytes } from './fixtures.js';

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('vae-export CLI', () => {
  it('--help explains both modes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--checkpoint RUN_DIR --out MODEL_DIR/);
    expect(r.stdout).toMatch(/--check FILE/);
    expect(r.stdout).toMatch(/--fp16/);
  });

  it('bad usage exits 2 with a hint', async () => {
    expect((await cli()).stderr).toMatch(/--checkpoint is required/);
    expect((await cli('--checkpoint', 'x')).code).toBe(2);
    expect((await cli('--checkpoint', 'x', '--out', 'y', '--opset', '30')).stderr).toMatch(/--opset must be an integer in 13..21/);
    expect((await cli('--bogus')).code).toBe(2);
    expect((await cli('--check')).code).toBe(2);
  });

  it('exports with progress lines, then --check passes the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
    writeFileSync(join(dir, CHECKPOINT_FILE), makeCheckpointBytes());
    const out = join(dir, 'models', 'mnist');
    const r = await cli('--checkpoint', dir, '--out', out, '--fp16');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^read .*checkpoint.vaeckpt: arch small, epoch 3/m);
    expect(r.stdout).toMatch(/^exported mnist: small, latent 32, fp16, opset 17/m);
    expect(readdirSync(out).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'model.json']);
    const c = await cli('--check', join(out, 'encoder.onnx'), join(out, 'decoder.onnx'));
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/encoder.onnx: OK \(IR 8, opset 17, \d+ nodes/);
  });

  it('--check lists problems and exits 1 for a broken file; export errors say nothing was written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
    writeFileSync(join(dir, 'junk.onnx'), new Uint8Array([0x3a, 0x05, 1]));
    const c = await cli('--check', join(dir, 'junk.onnx'), join(dir, 'missing.onnx'));
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/junk.onnx: INVALID/);
    expect(c.stdout).toMatch(/missing.onnx: cannot read \(ENOENT\)/);
    const e = await cli('--checkpoint', dir, '--out', join(dir, 'out'));
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^vae-export: checkpoint: .*no checkpoint.vaeckpt in this directory[\s\S]*Nothing was written/);
  });
});
