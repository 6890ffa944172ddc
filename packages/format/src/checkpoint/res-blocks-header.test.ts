import { describe, expect, it } from 'vitest';
import type { ArchSpec } from '../arch-spec.js';
import { buildArchSpec, weightShapes } from '../arch-spec.js';
import type { CheckpointHeader } from './format.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from './format.js';

function checkpoint(spec: ArchSpec): Uint8Array {
  const header: Omit<CheckpointHeader, 'tensors' | 'format' | 'formatVersion'> = {
    arch: spec,
    train: { epochs: 1, batch: 8, lr: 1e-3, beta: 1, klWarmup: 0, seed: 1, dataset: 'mnist', recon: 'bernoulli', trainLimit: null, testLimit: null, iwSamples: 0 },
    data: { files: [] },
    epoch: 0,
    step: 1,
    optimizer: { name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    metrics: null,
    history: [],
    backend: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const tensors = [...weightShapes(spec)].map(([name, shape]) => ({ name, group: 'params' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }));
  return encodeCheckpoint(header, tensors);
}

describe('checkpoint header with residual blocks', () => {
  it('reads back a resBlocks 2 spec (nested residual layers) as written', () => {
    const spec = buildArchSpec({ arch: 'small', resBlocks: 2 });
    expect(decodeCheckpoint(checkpoint(spec)).header.arch).toEqual(spec);
  });

  it('refuses a header whose resBlocks is out of range, or whose block holds other layers than its config builds, naming the field', () => {
    const spec = buildArchSpec({ arch: 'small', resBlocks: 1 });
    const nine = { ...spec, config: { ...spec.config, resBlocks: 9 } };
    expect(() => decodeCheckpoint(checkpoint(nine))).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(checkpoint(nine))).toThrow('header field arch.config.resBlocks: expected an integer in 1..8, got 9');
    const short = structuredClone(spec);
    (short.decoder[2] as { layers: unknown[] }).layers.pop();
    expect(() => decodeCheckpoint(checkpoint(short))).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(checkpoint(short))).toThrow('header field arch.decoder[2].layers.length: expected 2..2 entries, got 1');
  });
});
