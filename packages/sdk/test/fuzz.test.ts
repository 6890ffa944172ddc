/**
 * Fuzzing VAE.load with random and mutated model bytes. Every outcome must be
 * a loaded model or a typed VAEError: never another exception, a hang, or a
 * native crash of this worker process.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../src/node.js';
import { VAE, VAEError } from '../src/node.js';
import { fixtureModel } from './fixtures.js';

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fx = fixtureModel();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A manifest that vouches for `encoder`/`decoder`, so mutated bytes get past the checksum into ONNX Runtime's parser. */
function forged(encoder: Uint8Array, decoder: Uint8Array): ModelManifest {
  const m = JSON.parse(JSON.stringify(fx.manifest)) as ModelManifest;
  m.graphs.encoder.sha256 = sha(encoder);
  m.graphs.encoder.bytes = encoder.length;
  m.graphs.decoder.sha256 = sha(decoder);
  m.graphs.decoder.bytes = decoder.length;
  return m;
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  let b = src.slice();
  if (kind === 0) {
    // flip a few bytes anywhere (structure and weights)
    for (let i = 0, k = 1 + Math.floor(r() * 8); i < k; i++) b[Math.floor(r() * b.length)] ^= 1 + Math.floor(r() * 255);
  } else if (kind === 1) {
    b = b.subarray(0, Math.floor(r() * b.length));
  } else if (kind === 2) {
    // flips in the first 512 bytes: graph structure, op types, attributes
    for (let i = 0, k = 1 + Math.floor(r() * 4); i < k; i++) b[Math.floor(r() * Math.min(512, b.length))] = Math.floor(r() * 256);
  } else if (kind === 3) {
    const at = Math.floor(r() * b.length);
    const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256));
    const out = new Uint8Array(b.length + junk.length);
    out.set(b.subarray(0, at));
    out.set(junk, at);
    out.set(b.subarray(at), at + junk.length);
    b = out;
  } else {
    // overwrite a varint length field area with 0xff (huge lengths)
    const at = Math.floor(r() * b.length);
    b.fill(0xff, at, Math.min(b.length, at + 1 + Math.floor(r() * 8)));
  }
  return b.length ? b : new Uint8Array([0]);
}

async function expectTyped(load: Promise<VAE>): Promise<'loaded' | string> {
  try {
    const v = await load;
    // A mutation that only changed weights still gives a runnable model.
    await v.sample(2, { seed: 1 }).catch((e) => {
      if (!(e instanceof VAEError) && !(e instanceof Error)) throw e;
    });
    await v.dispose();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof VAEError)) throw new Error(`untyped error from VAE.load: ${(e as Error)?.stack ?? e}`);
    return e.name;
  }
}

describe('fuzz VAE.load', () => {
  it('random bytes (any length) as graphs or manifest give typed errors', async () => {
    const r = rng(1);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const rand = Uint8Array.from({ length: Math.floor(r() * 4096) + 1 }, () => Math.floor(r() * 256));
      const which = i % 3;
      const src =
        which === 0
          ? { manifest: fx.manifest, encoder: rand, decoder: fx.decoder }
          : which === 1
            ? { manifest: forged(fx.encoder, rand), encoder: fx.encoder, decoder: rand }
            : { manifest: rand, encoder: fx.encoder, decoder: fx.decoder };
      const o = await expectTyped(VAE.load(src, { device: 'cpu' }));
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    console.log('random bytes:', outcomes);
    expect(outcomes.loaded ?? 0).toBe(0);
  });

  it('mutated graphs, checksum-rejected and forged past the checksum, never crash the process', async () => {
    const r = rng(2);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const target = i % 2 === 0 ? 'encoder' : 'decoder';
      const bytes = mutate(fx[target], r);
      const enc = target === 'encoder' ? bytes : fx.encoder;
      const dec = target === 'decoder' ? bytes : fx.decoder;
      const manifest = i % 5 === 0 ? fx.manifest : forged(enc, dec);
      const o = await expectTyped(VAE.load({ manifest, encoder: enc, decoder: dec }, { device: 'cpu' }));
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    console.log('mutated graphs:', outcomes);
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(400);
  });

  it('mutated manifests give typed errors', async () => {
    const r = rng(3);
    const text = JSON.stringify(fx.manifest);
    for (let i = 0; i < 100; i++) {
      const chars = [...text];
      for (let k = 0; k < 3; k++) chars[Math.floor(r() * chars.length)] = String.fromCharCode(32 + Math.floor(r() * 94));
      const o = await expectTyped(VAE.load({ manifest: chars.join(''), encoder: fx.encoder, decoder: fx.decoder }, { device: 'cpu' }));
      expect(typeof o).toBe('string');
    }
  });
});
