import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_FILE } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { MAX_MODEL_FILE_BYTES, readModelFile } from '../src/read-model-file.js';
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

describe('vae-export --check reads only regular files, of bounded size', () => {
  it('refuses a FIFO and a directory without opening them for a blocking read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
    execFileSync('mkfifo', [join(dir, 'pipe.onnx')]);
    const c = await cli('--check', join(dir, 'pipe.onnx'), dir);
    expect(c.code).toBe(1);
    expect(c.stdout).toContain(`${join(dir, 'pipe.onnx')}: not a regular file (a FIFO); --check reads .onnx files only`);
    expect(c.stdout).toContain(`${dir}: not a regular file (a directory); --check reads .onnx files only`);
  });

  it('refuses /dev/zero at once instead of reading it into memory', async () => {
    const t0 = Date.now();
    const c = await cli('--check', '/dev/zero');
    expect(c.code).toBe(1);
    expect(c.stdout).toBe('/dev/zero: not a regular file (a character device); --check reads .onnx files only\n');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses a file over the size limit before allocating for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
    const f = join(dir, 'big.onnx');
    writeFileSync(f, new Uint8Array(11));
    expect(await readModelFile(f, 10)).toEqual({ ok: false, reason: '11 bytes, over the 10-byte limit of one protobuf message' });
    expect(await readModelFile(f, 11)).toEqual({ ok: true, bytes: new Uint8Array(11) });
    expect(MAX_MODEL_FILE_BYTES).toBe(2 ** 31 - 1);
    // a sparse file just over protobuf's 2 GiB limit: refused from its size, nothing read
    const huge = join(dir, 'huge.onnx');
    execFileSync('truncate', ['-s', String(MAX_MODEL_FILE_BYTES + 1), huge]);
    const c = await cli('--check', huge);
    expect(c.stdout).toBe(`${huge}: ${MAX_MODEL_FILE_BYTES + 1} bytes, over the ${MAX_MODEL_FILE_BYTES}-byte limit of one protobuf message\n`);
  });
});
