/**
 * Test checkpoints built with the trainer's own `encodeCheckpoint` and seeded
 * random weights, so exporter tests need neither tfjs nor a training run.
 */
import type { ArchConfig, ArchName, ArchSpec } from '@vae/format';
import { buildArchSpec, weightShapes } from '@vae/format';
import type { CheckpointHeader, EpochMetrics } from '@vae/format/checkpoint';
import { decodeCheckpoint, encodeCheckpoint } from '@vae/format/checkpoint';
import { expect } from 'vitest';
import { ExportError } from '../src/errors.js';

/** mulberry32: small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * BatchNorm parameters far from their initial 1/0/0/1, so that a fold that
 * ignores one (or applies it along the wrong axis) shows: `[lo, hi)` per suffix.
 */
const BATCH_NORM_RANGES: Record<string, [number, number]> = {
  '/bn/gamma': [0.5, 1.5],
  '/bn/beta': [-0.3, 0.3],
  '/bn/mean': [-0.4, 0.4],
  '/bn/variance': [0.25, 2.5],
};

/**
 * Uniform weights scaled by fan-in, and non-zero biases so that bias layout
 * bugs show; BatchNorm parameters drawn from {@link BATCH_NORM_RANGES}.
 */
export function randomParams(spec: ArchSpec, seed = 1): Map<string, Float32Array> {
  const r = rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of weightShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const bn = Object.entries(BATCH_NORM_RANGES).find(([suffix]) => name.endsWith(suffix));
    if (bn) {
      const [lo, hi] = bn[1];
      out.set(name, Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
      continue;
    }
    const fanIn = shape.length === 4 ? shape[0] * shape[1] * (name.includes('deconv') ? shape[3] : shape[2]) : shape[0];
    const scale = name.endsWith('/bias') ? 0.1 : Math.sqrt(6 / fanIn);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
    out.set(name, a);
  }
  return out;
}

/**
 * Random weights with the decoder's fc and deconv1 kernels scaled by 1e20:
 * every weight is finite, but their products (~1e40) overflow float32 in deconv1.
 */
export function hugeDecoderParams(spec: ArchSpec, seed = 7): Map<string, Float32Array> {
  const params = randomParams(spec, seed);
  for (const name of ['decoder/fc/kernel', 'decoder/deconv1/kernel']) {
    const k = params.get(name)!;
    for (let i = 0; i < k.length; i++) k[i] *= 1e20;
  }
  return params;
}

/** Fake but plausible metrics of one epoch. */
export function fakeMetrics(epoch: number): EpochMetrics {
  return { epoch, trainLoss: 120 - epoch, trainRecon: 100 - epoch, trainKL: 20, testLoss: 118 - epoch, testRecon: 98 - epoch, testKL: 20, imagesPerSec: 400, seconds: 12.5, backend: 'cpu' };
}

/** Options of {@link makeCheckpointBytes}. */
export interface FixtureOptions {
  arch?: ArchName;
  /** The rest of the architecture's config (e.g. a tiny celeba: `{ imageShape: [16, 16, 3], channels: [4, 8, 8, 8] }`). */
  config?: Partial<Omit<ArchConfig, 'arch' | 'classes'>>;
  /** A conditional VAE's number of classes (absent: unconditional). */
  classes?: number;
  seed?: number;
  /** Edit the spec before encoding (e.g. to add an unsupported layer). */
  editSpec?: (spec: ArchSpec) => void;
  /** Edit the parameters before encoding (e.g. to add a NaN). */
  editParams?: (params: Map<string, Float32Array>) => void;
  params?: Map<string, Float32Array>;
  /** `train.dataset` (default `'mnist'`). */
  dataset?: string;
  /** A mid-epoch position, as a checkpoint written on SIGINT has. */
  position?: CheckpointHeader['position'];
}

/** A complete, valid checkpoint file as bytes. */
export function makeCheckpointBytes(opts: FixtureOptions = {}): Uint8Array {
  const config = { arch: opts.arch ?? 'small', ...opts.config, ...(opts.classes !== undefined ? { classes: opts.classes } : {}) } as const;
  const spec = buildArchSpec(config);
  opts.editSpec?.(spec);
  const params = opts.params ?? randomParams(buildArchSpec(config), opts.seed ?? 1);
  opts.editParams?.(params);
  // Every field: the checkpoint reader checks the header against its schema.
  const header: Omit<CheckpointHeader, 'tensors' | 'format' | 'formatVersion'> = {
    arch: spec,
    train: { epochs: 3, batch: 128, lr: 1e-3, beta: 1, klWarmup: 0, seed: 1, dataset: opts.dataset ?? 'mnist', recon: 'bernoulli', trainLimit: null, testLimit: null, iwSamples: 0 },
    data: { files: [{ path: '/data/train-images-idx3-ubyte', bytes: 47040016, sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db' }] },
    epoch: 3,
    step: 1407,
    optimizer: { name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    metrics: fakeMetrics(3),
    history: [fakeMetrics(1), fakeMetrics(2), fakeMetrics(3)],
    backend: 'cpu',
    createdAt: '2024-01-01T00:00:00.000Z',
    ...(opts.position ? { position: opts.position } : {}),
  };
  return encodeCheckpoint(
    header,
    [...params].map(([name, data]) => ({ name, group: 'params' as const, shape: weightShapes(spec).get(name) ?? [data.length], data })),
  );
}

/** The same, decoded. */
export function makeCheckpoint(opts: FixtureOptions = {}) {
  return decodeCheckpoint(makeCheckpointBytes(opts));
}

/** The ExportError `fn` throws; fails the test when it throws anything else or nothing. */
export function refusal(fn: () => unknown): ExportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ExportError);
    return e as ExportError;
  }
  throw new Error('expected the export to be refused');
}
