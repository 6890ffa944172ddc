import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileReadRefusedError, readRegularFile } from './read-regular-file.js';

const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as FileReadRefusedError);

describe('readRegularFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-read-'));

  it('reads a regular file within the bound, byte for byte', async () => {
    writeFileSync(join(dir, 'a.bin'), Buffer.from([1, 2, 3, 255]));
    expect(Array.from(await readRegularFile(join(dir, 'a.bin'), 4))).toEqual([1, 2, 3, 255]);
  });

  it('refuses a FIFO at once instead of blocking, and /dev/zero and a folder, naming what each is', { timeout: 10_000 }, async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const [path, kind] of [[fifo, 'a FIFO'], ['/dev/zero', 'a character device'], [dir, 'a directory']]) {
      const e = await refusal(readRegularFile(path, 1 << 20));
      expect(e, path).toBeInstanceOf(FileReadRefusedError);
      expect({ code: e!.code, kind: e!.kind, message: e!.message }).toEqual({ code: 'ENOTREG', kind, message: `${path} is ${kind}` });
    }
  });

  it('refuses a file over the bound from its size, before reading it', async () => {
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(11));
    const e = await refusal(readRegularFile(join(dir, 'big.bin'), 10));
    expect(e).toBeInstanceOf(FileReadRefusedError);
    expect({ code: e!.code, size: e!.size, message: e!.message }).toEqual({ code: 'EFBIG', size: 11, message: `${join(dir, 'big.bin')} is 11 bytes` });
  });

  it("passes a missing path's ENOENT through for the caller to word", async () => {
    const e = await refusal(readRegularFile(join(dir, 'nope'), 10));
    expect((e as unknown as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
