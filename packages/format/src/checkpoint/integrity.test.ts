/**
 * The checkpoint is checked whole: one sha256 covers header and data, and the
 * header is validated field by field, so damage is always a CheckpointError
 * that names what is wrong, never a raw TypeError or a silently different model.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildArchSpec, weightShapes } from '../arch-spec.js';
import { Xoshiro128 } from '../xoshiro128.js';
import type { CheckpointHeader } from './format.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from './format.js';
import { readCheckpoint } from './io.js';

/** Uniforms in [0, 1) from the project's own seeded generator, so every run flips the same bits. */
function rng(seed: number): () => number {
  const x = new Xoshiro128(seed);
  return () => x.nextUint32() / 2 ** 32;
}

const metrics = (epoch: number) => ({ epoch, trainLoss: 120 - epoch, trainRecon: 100 - epoch, trainKL: 20, testLoss: 118 - epoch, testRecon: 98 - epoch, testKL: 20, imagesPerSec: 400, seconds: 12.5, backend: 'cpu', klWeight: 1 });

/** A checkpoint as the trainer writes it: params and Adam slots, two epochs of history. */
function header(): Omit<CheckpointHeader, 'tensors' | 'format' | 'formatVersion'> {
  return {
    arch: buildArchSpec({ arch: 'small' }),
    train: { epochs: 5, batch: 128, lr: 1e-3, beta: 1, klWarmup: 0, seed: 1, dataset: '/data/mnist', recon: 'bernoulli', trainLimit: null, testLimit: 1000, iwSamples: 0 },
    data: { files: [{ path: '/data/mnist/train-images-idx3-ubyte', bytes: 47040016, sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db' }] },
    epoch: 2,
    step: 938,
    optimizer: { name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    metrics: metrics(2),
    history: [metrics(1), metrics(2)],
    command: 'vae-train --out runs/x',
    backend: 'cpu',
    createdAt: '2024-01-01T00:00:00.000Z',
  };
}

function tensors(seed = 1) {
  const r = rng(seed);
  const shapes = [...weightShapes(buildArchSpec({ arch: 'small' }))];
  const make = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5);
  return [
    ...shapes.map(([name, shape]) => ({ name, group: 'params' as const, shape, data: make(shape) })),
    ...shapes.flatMap(([name, shape]) => (['m', 'v'] as const).map((k) => ({ name: `${name}/${k}`, group: 'optimizer' as const, shape, data: make(shape) }))),
  ];
}

/** Bytes of a checkpoint whose header JSON is `edit`ed, with a valid checksum: the schema alone must catch it. */
function withHeader(edit: (h: Record<string, any>) => void): Uint8Array {
  const good = encodeCheckpoint(header(), tensors());
  const len = new DataView(good.buffer).getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + len)));
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const dataStart = Math.ceil((12 + len) / 4) * 4;
  const data = good.subarray(dataStart, good.length - 32);
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const out = new Uint8Array(start + data.length + 32);
  out.set(good.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, start);
  return reseal(out);
}

/** Recomputes the trailing whole-file checksum, as a writer that got the header wrong would. */
function reseal(bytes: Uint8Array): Uint8Array {
  bytes.set(createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest(), bytes.length - 32);
  return bytes;
}

function decodeError(bytes: Uint8Array): CheckpointError {
  try {
    decodeCheckpoint(bytes, 'ckpt');
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('decodeCheckpoint accepted the file');
}

describe('checkpoint integrity', () => {
  it('round-trips a trainer-shaped checkpoint', () => {
    const t = tensors();
    const c = decodeCheckpoint(encodeCheckpoint(header(), t));
    expect(c.header.epoch).toBe(2);
    for (const x of t) expect(c.tensors.get(x.name)).toEqual(x.data);
  });

  it('one checksum covers the whole file: 2,000 single-bit flips across header and data, 0 accepted, 0 untyped errors', () => {
    const good = encodeCheckpoint(header(), tensors());
    const headerEnd = 12 + new DataView(good.buffer).getUint32(8, true);
    const r = rng(2024);
    const codes: Record<string, number> = {};
    let accepted = 0;
    let untyped = 0;
    let inHeader = 0;
    for (let i = 0; i < 2000; i++) {
      const bad = good.slice();
      // Half the flips in the preamble and header, half anywhere in data and checksum.
      const pos = i % 2 ? Math.floor(r() * headerEnd) : headerEnd + Math.floor(r() * (good.length - headerEnd));
      if (pos < headerEnd) inHeader++;
      bad[pos] ^= 1 << Math.floor(r() * 8);
      try {
        decodeCheckpoint(bad);
        accepted++;
      } catch (e) {
        if (e instanceof CheckpointError) codes[e.code] = (codes[e.code] ?? 0) + 1;
        else untyped++;
      }
    }
    console.log(`2000 bit flips (${inHeader} in preamble/header): accepted ${accepted}, untyped errors ${untyped}, CheckpointError codes ${JSON.stringify(codes)}`);
    expect(accepted).toBe(0);
    expect(untyped).toBe(0);
  });

  it('a header damaged under a valid checksum is still a CheckpointError, and never a different model', () => {
    const good = encodeCheckpoint(header(), tensors());
    const len = new DataView(good.buffer).getUint32(8, true);
    const ref = decodeCheckpoint(good).header;
    const r = rng(7);
    let accepted = 0;
    let untyped = 0;
    const codes: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const bad = good.slice();
      bad[12 + Math.floor(r() * len)] ^= 1 << Math.floor(r() * 8);
      reseal(bad);
      try {
        const { header: h } = decodeCheckpoint(bad);
        accepted++;
        // What got through may only be a different number in a setting or a metric, never another model.
        expect(h.arch).toEqual(ref.arch);
        expect(h.tensors).toEqual(ref.tensors);
        expect(h.epoch).toBe(ref.epoch);
      } catch (e) {
        if (e instanceof CheckpointError) {
          codes[e.code] = (codes[e.code] ?? 0) + 1;
          expect(e.message).toMatch(/^header |header field [\w.[\]]+: expected|missing parameter|parameter .* has shape/);
        } else untyped++;
      }
    }
    console.log(`2000 resealed header flips: accepted ${accepted} (same model, a changed number or string), untyped errors ${untyped}, CheckpointError codes ${JSON.stringify(codes)}`);
    expect(untyped).toBe(0);
  });

  it('refuses an activation outside the enum (gelu) naming the field', () => {
    const e = decodeError(withHeader((h) => void (h.arch.decoder[0].activation = 'gelu')));
    expect(e.code).toBe('bad-header');
    expect(e.message).toBe('ckpt: header field arch.decoder[0].activation: expected one of "relu", "linear", got "gelu"');
  });

  it('refuses a deleted train block instead of resuming with defaults', () => {
    const e = decodeError(withHeader((h) => void delete h.train));
    expect(e.code).toBe('bad-header');
    expect(e.message).toBe('ckpt: header field train: expected a value (the field is required), got nothing');
  });

  it('refuses tensor offsets that do not tile the data exactly (one shifted by 8 bytes)', () => {
    const e = decodeError(withHeader((h) => void (h.tensors[3].offset += 2)));
    expect(e.code).toBe('bad-header');
    const ref = decodeCheckpoint(encodeCheckpoint(header(), tensors())).header.tensors[3].offset;
    expect(e.message).toBe(`ckpt: header field tensors[3].offset: expected ${ref} (right after the previous tensor), got ${ref + 2}`);
  });

  it('refuses a layer that is not what its config builds, an unknown field, a wrong type and a history out of step', () => {
    expect(decodeError(withHeader((h) => void (h.arch.encoder.trunk[1].stride = 1))).message).toBe('ckpt: header field arch.encoder.trunk[1].stride: expected 2, which arch.config builds, got 1');
    expect(decodeError(withHeader((h) => void (h.train.surprise = true))).message).toBe('ckpt: header field train.surprise: expected no such field, got true');
    expect(decodeError(withHeader((h) => void (h.train.lr = '0.001'))).message).toBe('ckpt: header field train.lr: expected a finite number > 0, got "0.001"');
    expect(decodeError(withHeader((h) => void (h.train.recon = 'laplace'))).message).toBe('ckpt: header field train.recon: expected one of "bernoulli", "mse", got "laplace"');
    expect(decodeError(withHeader((h) => void (h.epoch = 3))).message).toBe('ckpt: header field history.length: expected one entry per completed epoch (3), got 2');
    expect(decodeError(withHeader((h) => void (h.metrics.testLoss = 1))).message).toBe('ckpt: header field metrics.testLoss: expected 116 (the last history entry), got 1');
    expect(decodeError(withHeader((h) => void (h.tensors = null))).message).toBe('ckpt: header field tensors: expected an array, got null');
    expect(decodeError(withHeader((h) => void (h.tensors[0].group = 'extra'))).message).toBe('ckpt: header field tensors[0].group: expected one of "params", "optimizer", got "extra"');
  });

  it('says a format-1 checkpoint is too old instead of reading a header its checksum never covered', () => {
    const v1 = encodeCheckpoint(header(), tensors());
    v1[7] = '1'.charCodeAt(0);
    const e = decodeError(v1);
    expect(e.code).toBe('version');
    expect(e.message).toBe('ckpt: checkpoint format version 1 is too old: this trainer reads version 2, whose checksum covers the header too. Retrain, or export it with the release that wrote it');
  });

  it('reads only a regular file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-ckpt-'));
    execFileSync('mkfifo', [join(dir, 'pipe.vaeckpt')]);
    const err = await readCheckpoint(join(dir, 'pipe.vaeckpt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).message).toBe(`${join(dir, 'pipe.vaeckpt')}: is not a regular file`);
    writeFileSync(join(dir, 'ok.vaeckpt'), encodeCheckpoint(header(), tensors()));
    expect((await readCheckpoint(join(dir, 'ok.vaeckpt'))).header.step).toBe(938);
  });
});
