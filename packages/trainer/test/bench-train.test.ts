import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { judgeBlas } from '../bench/blas-verdict.mjs';
import { peerEnv } from '../bench/peer-process.mjs';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const bench = join(benchDir, 'train-bench.mjs');
const REFERENCE = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';

describe('bench:train', () => {
  it('refuses to run without its PyTorch peer and says how to install it, instead of skipping', () => {
    const r = spawnSync(process.execPath, [bench], { env: { ...process.env, VAE_BENCH_PYTHON: '/nonexistent/python3' }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/sudo apt-get install python3-torch/);
  });

  it('refuses to print a ratio when PyTorch runs on the reference BLAS, exits 3 and gives the apt-get line for OpenBLAS', () => {
    const r = spawnSync(process.execPath, [bench, '--arch', 'small', '--steps', '1', '--rounds', '1', '--warmup', '1'], {
      env: { ...process.env, VAE_BENCH_FAKE_BLAS: REFERENCE },
      encoding: 'utf8',
    });
    expect(r.stdout).toContain(`PyTorch BLAS (read from the peer's /proc/self/maps after a matmul): the reference BLAS (${REFERENCE})`);
    expect(r.stderr).toContain(`bench:train: PyTorch is running on the reference (Netlib) BLAS, ${REFERENCE}; a speed ratio against it would flatter the project, so none is reported.`);
    expect(r.stderr).toContain('  sudo apt-get install libopenblas0-pthread');
    expect(r.stdout).not.toMatch(/ratio/);
    expect(r.status).toBe(3);
  });

  it('rejects an architecture it does not benchmark, naming the ones it does', () => {
    const r = spawnSync(process.execPath, [bench, '--arch', 'small,tiny'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--arch tiny is not benchmarked (expected a comma-separated list of small, base, celeba)');
  });
});

describe('the PyTorch peer', () => {
  it('runs with one OpenBLAS and one OpenMP thread whatever the caller set, so torch.set_num_threads alone gives it threads', () => {
    const env = peerEnv({ PATH: '/usr/bin', OPENBLAS_NUM_THREADS: '4', OMP_NUM_THREADS: '8' });
    expect(env).toEqual({ PATH: '/usr/bin', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' });
  });

  it('reports the BLAS mapped in its own process (OpenBLAS here, with 1 thread) and the threads torch was given', () => {
    const r = spawnSync('/usr/bin/python3', [join(benchDir, 'torch_peer.py'), 'blas', '--threads', '2'], {
      env: peerEnv({ ...process.env, OPENBLAS_NUM_THREADS: '4' }),
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.threads).toBe(2);
    expect(report.env).toEqual({ OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' });
    expect(report.blas.openblasThreads).toBe(1);
    expect(report.blas.torchBlasInfo).toBe('generic');
    expect(report.blas.mapped.some((p: string) => /\/libblas\.so\.3$/.test(p))).toBe(true);
    expect(judgeBlas(report.blas)).toMatchObject({ ok: true, name: expect.stringMatching(/^OpenBLAS 0\.\d+\.\d+, 1 OpenBLAS thread \(/) });
  });
});
