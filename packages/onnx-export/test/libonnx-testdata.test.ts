/**
 * `vae-export --check` claims to validate any `.onnx` file, so it must accept
 * every model in ONNX's own test data (Debian's libonnx-testdata, all of which
 * pass onnx.checker), through the real CLI path and without one stack trace.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { INTERNAL_WARNING } from '../src/validate.js';

const ROOT = '/usr/share/libonnx-testdata/data';
/** A file the package ships; test/setup/system-deps.mjs probes the same one. */
const PROBE = `${ROOT}/node/test_abs/model.onnx`;

describe('vae-export --check over libonnx-testdata', () => {
  it('accepts every model, with no internal validator failure and no stack trace', async () => {
    if (!existsSync(PROBE)) throw new Error(`libonnx-testdata is not installed (no ${PROBE}); apt-get install libonnx-testdata, or run node test/setup/system-deps.mjs as root`);
    const files = (readdirSync(ROOT, { recursive: true }) as string[]).filter((f) => f.endsWith('.onnx')).sort().map((f) => join(ROOT, f));
    expect(files.length).toBeGreaterThan(1000); // 1,072 in Debian's 1.12.0 package
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--check', ...files], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    const reports = stdout.split(/\n(?=\/)/); // one block per file: its summary line, then its problems
    const rejected = reports.filter((r) => !/^\S+: OK \(/.test(r));
    console.log(`libonnx-testdata: ${files.length} models, ${files.length - rejected.length} accepted, ${rejected.length} rejected`);
    expect(rejected.slice(0, 5)).toEqual([]);
    expect(stdout.match(/^\S+: OK \(/gm)).toHaveLength(files.length);
    expect(stdout).not.toContain(INTERNAL_WARNING);
    expect(stdout).not.toMatch(/^\s+at /m);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 120_000);
});
