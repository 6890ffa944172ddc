import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildArchSpec, weightShapes } from '../arch-spec.js';
import type { CheckpointHeader } from './format.js';
import { CheckpointError, checkpointParams, decodeCheckpoint, encodeCheckpoint } from './format.js';

const spec = buildArchSpec({ arch: 'mlp', latent: 2, channels: [3] });

function header(): Omit<CheckpointHeader, 'tensors' | 'format' | 'formatVersion'> {
  return {
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
}

function bytes(): Uint8Array {
  let k = 0;
  const tensors = [...weightShapes(spec)].map(([name, shape]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (k++ % 7) / 7);
    return { name, group: 'params' as const, shape, data };
  });
  return encodeCheckpoint(header(), tensors);
}

/** Rewrites the JSON header in place (same length, so the data section stays put) and reseals the whole-file checksum, so only the header checks can catch it. */
function withHeader(b: Uint8Array, edit: (h: CheckpointHeader) => void): Uint8Array {
  const len = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + len))) as CheckpointHeader;
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h).padEnd(len, ' '));
  expect(json.length).toBe(len);
  const out = b.slice();
  out.set(json, 12);
  out.set(createHash('sha256').update(out.subarray(0, out.length - 32)).digest(), out.length - 32);
  return out;
}

const failure = (b: Uint8Array) => {
  try {
    decodeCheckpoint(b, 'run/checkpoint.vaeckpt');
  } catch (e) {
    return e as CheckpointError;
  }
  throw new Error('decodeCheckpoint accepted it');
};

describe('checkpoint file', () => {
  it('round-trips every parameter bit for bit', () => {
    const b = bytes();
    const ckpt = decodeCheckpoint(b);
    const params = checkpointParams(ckpt);
    expect([...params.keys()]).toEqual([...weightShapes(spec).keys()]);
    expect(params.get('decoder/out/bias')!.length).toBe(784);
    expect(decodeCheckpoint(encodeCheckpoint(header(), [...params].map(([name, data]) => ({ name, group: 'params' as const, shape: weightShapes(spec).get(name)!, data }))))).toEqual(ckpt);
  });

  it('keeps the training-technique settings, and refuses ones out of range naming the field', () => {
    const params = [...weightShapes(spec)].map(([name, shape]) => ({ name, group: 'params' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }));
    const techniques = { binarize: 'dynamic', freeBits: 0.25, lrSchedule: 'cosine', lrWarmup: 0.5, lrMin: 1e-5, iwTrain: 5 } as const;
    const withTrain = (extra: object) => encodeCheckpoint({ ...header(), train: { ...header().train, ...extra } }, params);
    expect(decodeCheckpoint(withTrain(techniques)).header.train).toEqual({ ...header().train, ...techniques });
    for (const [extra, msg] of [
      [{ binarize: 'always' }, 'header field train.binarize: expected one of "dynamic", "static", got "always"'],
      [{ freeBits: -1 }, 'header field train.freeBits: expected a finite number > 0, got -1'],
      [{ lrSchedule: 'step' }, 'header field train.lrSchedule: expected one of "constant", "cosine", got "step"'],
      [{ iwTrain: 1 }, 'header field train.iwTrain: expected an integer in 2..100000, got 1'],
    ] as const) {
      const e = failure(withTrain(extra));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.message).toBe(`run/checkpoint.vaeckpt: ${msg}`);
    }
  });

  it('refuses a flipped data byte by the whole-file checksum', () => {
    const b = bytes();
    b[b.length - 3] ^= 0x40;
    const e = failure(b);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.code).toBe('checksum');
    expect(e.message).toMatch(/^run\/checkpoint\.vaeckpt: file sha256 [0-9a-f]{12}… does not match the stored [0-9a-f]{12}… \(the file is damaged or truncated\)$/);
  });

  it('refuses an index whose tensors overlap, even under a valid checksum', () => {
    const b = withHeader(bytes(), (h) => {
      h.tensors[1].offset = 0;
    });
    const e = failure(b);
    expect(e).toBeInstanceOf(CheckpointError);
    expect(e.code).toBe('bad-header');
    expect(e.message).toBe(`run/checkpoint.vaeckpt: header field tensors[1].offset: expected ${784 * 3} (right after the previous tensor), got 0`);
  });

  it('refuses a shape that is not non-negative integers', () => {
    const e = failure(withHeader(bytes(), (h) => (h.tensors[0].shape = [-1, 3])));
    expect(e.code).toBe('bad-header');
    expect(e.message).toBe('run/checkpoint.vaeckpt: header field tensors[0].shape[0]: expected an integer in 0..2147483647, got -1');
  });

  it('refuses other files by their magic', () => {
    const b = bytes();
    b[0] = 0x50;
    const e = failure(b);
    expect(e.code).toBe('bad-magic');
    expect(e.message).toBe('run/checkpoint.vaeckpt: not a VAE checkpoint: expected magic "VAECKPT2"');
  });
});
