import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchConfigError } from '@vae/format';
import { CheckpointError, readCheckpoint } from '@vae/format/checkpoint';
import type { TrainOptions } from '../src/train/train.js';
import { train } from '../src/train/train.js';
import { estimateRunMemory } from '../src/train/memory-estimate.js';
import { buildArchSpec } from '@vae/format';
import { freshCli } from './helpers/fresh-cli.js';

const tiny: Omit<TrainOptions, 'out'> = { arch: 'small', batch: 16, trainLimit: 32, testLimit: 16, seed: 7, epochs: 1, log: () => {}, progress: null, plots: false, backend: 'cpu', threads: 1 };
const tmp = () => mkdtempSync(join(tmpdir(), 'vae-res-'));

describe('--res-blocks', () => {
  it('trains small with 2 blocks and a wide latent (128), records them in the spec, prints parameters and fp32 bytes, and refuses a resume with other blocks', async () => {
    const out = tmp();
    const lines: string[] = [];
    await train({ ...tiny, out, resBlocks: 2, latent: 128, log: (l) => lines.push(l) });
    const { header } = await readCheckpoint(out);
    expect(header.arch.config).toMatchObject({ arch: 'small', latent: 128, resBlocks: 2 });
    expect(header.arch.decoder.map((l) => l.kind)).toEqual(['dense', 'reshape', 'residual', 'residual', 'conv2dTranspose', 'conv2dTranspose', 'conv2dTranspose']);
    expect(header.tensors.some((t) => t.name === 'encoder/res1_b/kernel')).toBe(true);
    // Every trained tensor of a BatchNorm-free model is an ONNX weight.
    const n = [...header.tensors].filter((t) => t.group === 'params').reduce((a, t) => a + t.shape.reduce((x: number, y: number) => x * y, 1), 0);
    expect(lines).toContain(`model: ${n.toLocaleString('en-US')} parameters, ${(4 * n).toLocaleString('en-US')} bytes (${((4 * n) / 1e6).toFixed(2)} MB) of fp32 weights in the ONNX graphs`);
    expect(lines.some((l) => l.includes('arch small (latent 128, channels 8/16/32, 2 residual blocks)'))).toBe(true);
    await expect(train({ ...tiny, out, epochs: 2, resume: true, resBlocks: 1, latent: 128 })).rejects.toThrow(CheckpointError);
  }, 120_000);

  it('leaves a run without the flag (or with --res-blocks 0) free of resBlocks in its checkpoint', async () => {
    const out = tmp();
    await train({ ...tiny, out, resBlocks: 0 });
    const { header } = await readCheckpoint(out);
    expect('resBlocks' in header.arch.config).toBe(false);
    expect(header.arch.decoder.some((l) => l.kind === 'residual')).toBe(false);
  }, 120_000);

  it('refuses blocks on mlp with an ArchConfigError before reading any data', async () => {
    const run = train({ ...tiny, out: tmp(), arch: 'mlp', resBlocks: 1, dataset: join(tmp(), 'no-such-data') });
    await expect(run).rejects.toThrow(ArchConfigError);
    await expect(train({ ...tiny, out: tmp(), arch: 'mlp', resBlocks: 1 })).rejects.toThrow('resBlocks 1 needs a conv arch (small or base); mlp has no conv feature map to put residual conv blocks on');
  });
});

describe('estimateRunMemory with residual blocks', () => {
  it('counts each block\'s two conv outputs and its sum (3 x 4x4x32 per image for small) and its weights', () => {
    const plain = estimateRunMemory(buildArchSpec({ arch: 'small' }), { batch: 128, iwSamples: 0 });
    const res = estimateRunMemory(buildArchSpec({ arch: 'small', resBlocks: 2 }), { batch: 128, iwSamples: 0 });
    expect(res.parameters - plain.parameters).toBe(4 * 2 * (9 * 32 * 32 + 32));
    expect(res.activationPhase).toBe('a training batch of 128');
    // 4 blocks x 3 maps of 512 values, 128 images, 4 copies of 4 bytes each.
    expect(res.activationBytes - plain.activationBytes).toBe(4 * 3 * 512 * 128 * 4 * 4);
  });
});

describe('estimateRunMemory with a VampPrior', () => {
  it('adds the mixture density\'s [N, K, latent] tensors of the training step (6 copies) and of evaluation (3 copies)', () => {
    const plain = estimateRunMemory(buildArchSpec({ arch: 'small' }), { batch: 128 * 16, iwSamples: 0 });
    const vamp = estimateRunMemory(buildArchSpec({ arch: 'small', prior: { kind: 'vamp', components: 4096 } }), { batch: 128 * 16, iwSamples: 0, priorRows: 128 * 16 });
    expect(vamp.activationPhase).toBe("a training batch of 2048 with the VampPrior's 4096-component density");
    // 2048 samples x 4096 components x 32 latents x 4 bytes x 6 copies, on top of the same batch's activations.
    expect(vamp.activationBytes - plain.activationBytes).toBe(2048 * 4096 * 32 * 4 * 6);
    // That is what the default --max-memory must now refuse (small, batch 128, --iw-train 16, K 4096).
    expect(vamp.totalBytes).toBeGreaterThan(4 * 2 ** 30);
    const evalOnly = estimateRunMemory(buildArchSpec({ arch: 'small', prior: { kind: 'vamp', components: 4096 } }), { batch: 1, iwSamples: 1000, priorRows: 1 });
    expect(evalOnly.activationPhase).toBe("the VampPrior's 4096-component density over 256 evaluation samples");
    expect(evalOnly.activationBytes).toBe(256 * 4096 * 32 * 4 * 3);
  });
});

describe('vae-train --res-blocks (real child process)', () => {
  it('documents the flag, and refuses it on mlp (ArchConfigError, exit 2) and out of range (TrainOptionsError) naming what was wrong', async () => {
    const cli = await freshCli();
    const run = (args: string[]) => spawnSync(process.execPath, [cli, '--backend', 'cpu', '--threads', '1', '--no-plots', ...args], { encoding: 'utf8', timeout: 120_000 });
    expect(run(['--help']).stdout).toContain('--res-blocks N            residual blocks at the lowest resolution of encoder and\n                            decoder');
    const mlp = run(['--out', join(tmp(), 'run'), '--arch', 'mlp', '--res-blocks', '2']);
    expect(mlp.status).toBe(2);
    expect(mlp.stderr).toBe('vae-train: ArchConfigError: resBlocks 2 needs a conv arch (small or base); mlp has no conv feature map to put residual conv blocks on\n');
    const big = run(['--out', join(tmp(), 'run'), '--arch', 'base', '--res-blocks', '9']);
    expect(big.status).toBe(2);
    expect(big.stderr).toBe('vae-train: TrainOptionsError: --res-blocks expects a decimal integer in [0, 8], got "9"\n');
  }, 180_000);
});
