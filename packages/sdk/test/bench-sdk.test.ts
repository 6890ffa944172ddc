import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const benchDir = join(root, 'packages', 'sdk', 'bench');
const REFERENCE = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';
const mnist = join(root, 'models', 'mnist');
const tmp = mkdtempSync(join(tmpdir(), 'vae-bench-sdk-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs torch_decode.py on a model folder's files with the given stdin lines. */
const torchDecode = (manifest: string, decoder: string, stdin: string) =>
  spawnSync('/usr/bin/python3', [join(benchDir, 'torch_decode.py'), manifest, decoder, '1'], {
    input: stdin,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
  });

describe('bench:sdk', () => {
  it('refuses to print a ratio when PyTorch runs on the reference BLAS, exits 3 and gives the apt-get line for OpenBLAS', () => {
    const r = spawnSync(process.execPath, [join(benchDir, 'sdk-bench.mjs')], {
      env: { ...process.env, VAE_BENCH_FAKE_BLAS: REFERENCE },
      encoding: 'utf8',
    });
    expect(r.stdout).toContain(`PyTorch BLAS (read from the peer's /proc/self/maps after a matmul): the reference BLAS (${REFERENCE})`);
    expect(r.stderr).toContain(`bench:sdk: PyTorch is running on the reference (Netlib) BLAS, ${REFERENCE}; a speed ratio against it would flatter the project, so none is reported.`);
    expect(r.stderr).toContain('  sudo apt-get install libopenblas0-pthread');
    expect(r.stdout).not.toMatch(/PyTorch eager|SDK \/ PyTorch/);
    expect(r.status).toBe(3);
  });
});

describe('torch_decode.py: the PyTorch side of bench:sdk', () => {
  it('is a plain nn.Module holding exactly decoder.onnx\'s weights, on the threads it was given', () => {
    const r = torchDecode(join(mnist, 'model.json'), join(mnist, 'decoder.onnx'), '');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const hello = JSON.parse(r.stdout.trim().split('\n')[0]);
    expect(hello.module).toBe('torch_peer.ConvVAE decoder (nn.Module)');
    expect(hello.threads).toBe(1);
    // fc 32x1152 + 1152, deconv1 128x64x4x4 + 64, deconv2 64x32x4x4 + 32, deconv3 32x1x4x4 + 1.
    expect(hello.params).toBe(32 * 1152 + 1152 + 128 * 64 * 16 + 64 + 64 * 32 * 16 + 32 + 32 * 16 + 1);
  });

  it('refuses a decoder.onnx with an initializer it cannot map to the module, naming it', () => {
    const bad = join(tmp, 'decoder-extra.onnx');
    const make = spawnSync('/usr/bin/python3', ['-c', [
      'import sys, onnx, numpy as np',
      'from onnx import numpy_helper',
      'm = onnx.load(sys.argv[1])',
      "m.graph.initializer.append(numpy_helper.from_array(np.zeros(3, np.float32), 'decoder/extra'))",
      'onnx.save(m, sys.argv[2])',
    ].join('\n'), join(mnist, 'decoder.onnx'), bad], { encoding: 'utf8' });
    expect(make.status).toBe(0);
    const r = torchDecode(join(mnist, 'model.json'), bad, '');
    expect(r.stderr.trim()).toBe("decoder.onnx initializers not mapped to the nn.Module: ['decoder/extra']");
    expect(r.status).toBe(1);
  });
});
