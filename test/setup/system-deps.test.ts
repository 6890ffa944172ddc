import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plan, REQUIREMENTS } from './system-deps.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./system-deps.mjs', import.meta.url));

describe('system-deps (first step of the README test command)', () => {
  it('is the first thing `pnpm test` runs, so the README command needs no .ci/run', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test.startsWith('node test/setup/system-deps.mjs &&')).toBe(true);
  });

  it('checks every Debian package the tests use, OpenBLAS and libonnx-testdata included', () => {
    expect(REQUIREMENTS.map((r) => r.pkg).sort()).toEqual(
      ['chromium', 'fonts-dejavu-core', 'libonnx-testdata', 'libopenblas0-pthread', 'libvulkan1', 'python3-onnx', 'python3-torch'].sort(),
    );
  });

  it('tells a non-root user the exact apt-get command and stops', () => {
    const d = plan(['chromium', 'python3-onnx'], { isRoot: false, hasApt: true });
    expect(d.action).toBe('stop');
    expect(d.action === 'stop' && d.message).toContain('sudo apt-get install -y chromium python3-onnx');
  });

  it('installs the missing packages itself when it runs as root', () => {
    expect(plan(['libvulkan1'], { isRoot: true, hasApt: true })).toEqual({ action: 'install', command: ['apt-get', 'install', '-y', 'libvulkan1'] });
  });

  it('does nothing when everything is present', () => {
    expect(plan([], { isRoot: false, hasApt: false })).toEqual({ action: 'none' });
  });

  it('stops with a clear message where there is no apt-get', () => {
    const d = plan(['chromium'], { isRoot: true, hasApt: false });
    expect(d.action === 'stop' && d.message).toMatch(/missing system packages chromium and no apt-get/);
  });

  it('exits 0 on this machine, where .ci/run has nothing left to install', () => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
