/**
 * Test models: a randomly initialised checkpoint (built with
 * `@vae/format/checkpoint`) exported by `@vae/onnx-export` into a temp folder.
 * SDK sources never import the exporter; only tests do.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchName, ImageShape } from '@vae/format';
import { buildArchSpec, weightShapes } from '@vae/format';
import type { CheckpointHeader } from '@vae/format/checkpoint';
import { decodeCheckpoint, encodeCheckpoint } from '@vae/format/checkpoint';
import { buildExport } from '@vae/onnx-export';
import type { ModelManifest } from '../src/manifest.js';

export interface FixtureModel {
  dir: string;
  manifest: ModelManifest;
  encoder: Uint8Array;
  decoder: Uint8Array;
}

/** mulberry32: a tiny seeded uniform generator for test data. */
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

const cache = new Map<string, FixtureModel>();

/**
 * Exports a random `arch` model with `latent` dims into a fresh temp folder
 * (cached per process); with `classes`, a conditional one (both graphs take `y`);
 * with `vampComponents`, a VampPrior model (model.json gets `prior`).
 */
export function fixtureModel(opts: { arch?: ArchName; latent?: number; seed?: number; classes?: number; imageShape?: ImageShape; vampComponents?: number } = {}): FixtureModel {
  const key = JSON.stringify(opts);
  const hit = cache.get(key);
  if (hit) return hit;
  const spec = buildArchSpec({ arch: opts.arch ?? 'small', ...(opts.latent ? { latent: opts.latent } : {}), ...(opts.classes ? { classes: opts.classes } : {}), ...(opts.imageShape ? { imageShape: opts.imageShape } : {}), ...(opts.vampComponents ? { prior: { kind: 'vamp' as const, components: opts.vampComponents } } : {}) });
  const r = rng(opts.seed ?? 1);
  const tensors = [...weightShapes(spec)].map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = n / shape[shape.length - 1];
    const scale = name.endsWith('/bias') ? 0.1 : Math.sqrt(6 / fanIn);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (r() * 2 - 1) * scale;
    return { name, group: 'params' as const, shape, data };
  });
  // Every field: the checkpoint reader checks the header against its schema.
  const header = {
    arch: spec,
    train: { epochs: 1, batch: 128, lr: 1e-3, beta: 1, klWarmup: 0, seed: 1, dataset: 'mnist', recon: 'bernoulli', trainLimit: null, testLimit: null, iwSamples: 0 },
    data: { files: [] },
    epoch: 0,
    step: 0,
    optimizer: { name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    metrics: null,
    history: [],
    backend: 'cpu',
    createdAt: '2024-01-01T00:00:00.000Z',
  } satisfies Omit<CheckpointHeader, 'tensors' | 'format' | 'formatVersion'>;
  const built = buildExport(decodeCheckpoint(encodeCheckpoint(header, tensors)), { name: 'fixture', createdAt: new Date(0) });
  const dir = mkdtempSync(join(tmpdir(), 'vae-sdk-fixture-'));
  writeFileSync(join(dir, 'encoder.onnx'), built.encoder);
  writeFileSync(join(dir, 'decoder.onnx'), built.decoder);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(built.manifest, null, 2));
  const model = { dir, manifest: built.manifest, encoder: built.encoder, decoder: built.decoder };
  cache.set(key, model);
  return model;
}
