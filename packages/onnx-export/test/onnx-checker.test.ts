/**
 * An outside opinion: ONNX's own checker (Debian's python3-onnx 1.12, which
 * accepts IR <= 8 and opset <= 17) with full shape inference on every graph.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExport } from '../src/index.js';
import type { FixtureOptions } from './fixtures.js';
import { makeCheckpoint } from './fixtures.js';

const PY = '/usr/bin/python3';
/** Explicit opt-out for machines without Debian's python3-onnx; CI (`.ci/run`) installs it. */
const OPT_OUT = 'VAE_SKIP_ONNX_CHECKER';
const skip = process.env[OPT_OUT] === '1';
const probe = spawnSync(PY, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
const unavailable = probe.status === 0 ? null : `python3-onnx is not installed (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); apt-get install python3-onnx (or set ${OPT_OUT}=1 to skip this check)`;

describe('onnx.checker (python3-onnx)', () => {
  it.skipIf(skip)('accepts every exported graph with full_check', () => {
    if (unavailable) throw new Error(unavailable);
    const dir = mkdtempSync(join(tmpdir(), 'vae-onnx-checker-'));
    const files: string[] = [];
    // celeba at a tiny size (16x16 RGB, BatchNorm folded into every conv): its shapes are the spec's, not MNIST's.
    const fixtures = [{ arch: 'small' }, { arch: 'base' }, { arch: 'mlp' }, { arch: 'celeba', config: { imageShape: [16, 16, 3], channels: [4, 8, 8, 8], latent: 6 } }] as const;
    for (const fixture of fixtures) {
      const arch = fixture.arch;
      for (const precision of ['fp32', 'fp16', 'int8'] as const) {
        const b = buildExport(makeCheckpoint(fixture as FixtureOptions), { precision });
        for (const [which, bytes] of [['encoder', b.encoder], ['decoder', b.decoder]] as const) {
          const f = join(dir, `${arch}-${precision}-${which}.onnx`);
          writeFileSync(f, bytes);
          files.push(f);
        }
      }
    }
    const script = [
      'import sys, onnx',
      'for f in sys.argv[1:]:',
      '    m = onnx.load(f)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)',
      '    print("ok", f.rsplit("/", 1)[-1], "ir", m.ir_version, "opset", m.opset_import[0].version)',
    ].join('\n');
    const r = spawnSync(PY, ['-c', script, ...files], { encoding: 'utf8' });
    console.log(`onnx ${probe.stdout.trim()} checker:\n${r.stdout}${r.stderr}`);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^ok /gm)).toHaveLength(files.length);
  });
});
