/**
 * Fuzzing VAE.load with random and mutated model bytes. Every outcome must be
 * a loaded model or a typed VAEError: never another exception, a hang, or a
 * native crash of this worker process.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../src/node.js';
import { VAE, VAEError } from '../src/node.js';
import { fixtureModel, rng } from './fixtures.js';

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
  // A copy: the fixture's bytes are Node Buffers, whose slice() is a view, so
  // mutating src.slice() used to corrupt the shared fixture for every later case.
  let b = Uint8Array.from(src);
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

const SDK_ERRORS = new Set(['VAEInputError', 'VAEModelError', 'VAESourceError', 'VAEDeviceError', 'VAEDisposedError']);

/** An SDK error: a VAEError subclass (not the bare base class), with a code and a message naming what was expected. */
function checkTyped(e: unknown, during: string): VAEError {
  if (!(e instanceof VAEError) || !SDK_ERRORS.has(e.name) || e.constructor === VAEError) {
    throw new Error(`untyped error from ${during}: ${(e as Error)?.stack ?? e}`);
  }
  expect(e.code, e.name).toMatch(/^(input|model|source|device|disposed)$/);
  expect(e.message, `${e.name} from ${during}`).toMatch(/expected|needs|must/);
  return e;
}

interface Outcome {
  /** 'loaded', 'loaded, sample threw <name>' or the load error's class name. */
  kind: string;
  error?: VAEError;
  /** 2 samples (seed 1) when the model loaded and ran. */
  pixels?: Float32Array;
}

/** Loads, and when that works samples twice: every failure must be a typed SDK error. */
async function attempt(load: Promise<VAE>): Promise<Outcome> {
  let v: VAE;
  try {
    v = await load;
  } catch (e) {
    const err = checkTyped(e, 'VAE.load');
    return { kind: err.name, error: err };
  }
  try {
    // A mutation that only changed weights gives a model that loads; running it must not throw untyped errors either.
    const s = await v.sample(2, { seed: 1 });
    return { kind: 'loaded', pixels: s.data };
  } catch (e) {
    const err = checkTyped(e, 'vae.sample on a loaded mutated model');
    return { kind: `loaded, sample threw ${err.name}`, error: err };
  } finally {
    await v.dispose();
  }
}

const tally = (outcomes: Outcome[]) => outcomes.reduce<Record<string, number>>((t, o) => ((t[o.kind] = (t[o.kind] ?? 0) + 1), t), {});
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe('fuzz VAE.load', () => {
  it('random bytes (any length) as graphs or manifest are VAEModelErrors naming what was expected', async () => {
    const r = rng(1);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 60; i++) {
      const rand = Uint8Array.from({ length: Math.floor(r() * 4096) + 1 }, () => Math.floor(r() * 256));
      const which = i % 3;
      const src =
        which === 0
          ? { manifest: fx.manifest, encoder: rand, decoder: fx.decoder }
          : which === 1
            ? { manifest: forged(fx.encoder, rand), encoder: fx.encoder, decoder: rand }
            : { manifest: rand, encoder: fx.encoder, decoder: fx.decoder };
      const o = await attempt(VAE.load(src, { device: 'cpu' }));
      outcomes.push(o);
      expect(o.kind, `case ${i}`).toBe('VAEModelError');
      const m = o.error!.message;
      if (which === 0) expect(m).toMatch(/encoder\.onnx is \d+ bytes, expected \d+ as model\.json says|encoder\.onnx has sha256 .* expected/);
      if (which === 1) expect(m).toMatch(/ONNX Runtime cannot load decoder\.onnx: .*; expected a valid ONNX graph matching model\.json/);
      if (which === 2) expect(m).toMatch(/model\.json/);
    }
    console.log('random bytes:', tally(outcomes));
  });

  it('mutated graphs: checksum-rejected ones are VAEModelErrors; forged past the checksum they load and run or fail typed, never crash', async () => {
    const r = rng(2);
    const outcomes: Outcome[] = [];
    let reachedOrt = 0;
    for (let i = 0; i < 400; i++) {
      const target = i % 2 === 0 ? 'encoder' : 'decoder';
      const bytes = mutate(fx[target], r);
      const enc = target === 'encoder' ? bytes : fx.encoder;
      const dec = target === 'decoder' ? bytes : fx.decoder;
      const vouched = i % 5 !== 0;
      const manifest = vouched ? forged(enc, dec) : fx.manifest;
      const o = await attempt(VAE.load({ manifest, encoder: enc, decoder: dec }, { device: 'cpu' }));
      outcomes.push(o);
      if (!vouched && !same(bytes, fx[target])) {
        expect(o.kind, `case ${i}`).toBe('VAEModelError');
        expect(o.error!.message).toMatch(new RegExp(`${target}\\.onnx (is \\d+ bytes, expected \\d+ as model\\.json says|has sha256 .* a different or corrupted model)`));
      } else {
        expect(['loaded', 'VAEModelError', 'loaded, sample threw VAEModelError'], `case ${i}`).toContain(o.kind);
      }
      if (o.error && /ONNX Runtime cannot (load|run)/.test(o.error.message)) reachedOrt++;
    }
    console.log('mutated graphs:', tally(outcomes), `${reachedOrt} rejected by ONNX Runtime itself`);
    // The fixture itself is untouched, so every case mutated only what it meant to.
    expect([sha(fx.encoder), sha(fx.decoder)]).toEqual([fx.manifest.graphs.encoder.sha256, fx.manifest.graphs.decoder.sha256]);
    // The forged manifests really got mutated bytes into the runtime's parser.
    expect(reachedOrt).toBeGreaterThan(50);
  });

  it('mutated manifests load the same model or give VAEModelErrors', async () => {
    const r = rng(3);
    const text = JSON.stringify(fx.manifest);
    const want = (await attempt(VAE.load(fx.dir, { device: 'cpu' }))).pixels!;
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 100; i++) {
      const chars = [...text];
      for (let k = 0; k < 3; k++) chars[Math.floor(r() * chars.length)] = String.fromCharCode(32 + Math.floor(r() * 94));
      const o = await attempt(VAE.load({ manifest: chars.join(''), encoder: fx.encoder, decoder: fx.decoder }, { device: 'cpu' }));
      outcomes.push(o);
      expect(['loaded', 'VAEModelError'], `case ${i}: ${o.error?.message}`).toContain(o.kind);
      // A manifest that still passes every check describes the same graphs: same samples.
      if (o.kind === 'loaded') expect(Buffer.from(o.pixels!.buffer).equals(Buffer.from(want.buffer)), `case ${i}`).toBe(true);
    }
    console.log('mutated manifests:', tally(outcomes));
    expect(tally(outcomes).VAEModelError).toBeGreaterThan(0);
  });
});
