import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bench = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'train-bench.mjs');

describe('bench:train', () => {
  it('refuses to run without its PyTorch peer and says how to install it, instead of skipping', () => {
    const r = spawnSync(process.execPath, [bench], { env: { ...process.env, VAE_BENCH_PYTHON: '/nonexistent/python3' }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/sudo apt-get install python3-torch/);
  });
});
