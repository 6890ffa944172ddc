import { describe, expect, it } from 'vitest';
import type { ModelManifest } from './manifest.js';
import { ManifestError, parseManifest } from './parse-manifest.js';

/** An fp32 manifest, latent 8, with fp16 and int8 variants beside its graphs. */
function manifest(): ModelManifest {
  const image = ['N', 1, 28, 28];
  const code = ['N', 8];
  const v = (name: string, shape: (number | string)[]) => ({ name, shape, dtype: 'float32' as const });
  const graphs = (suffix: string, hex: string) => ({
    encoder: { file: `encoder${suffix}.onnx`, sha256: hex.repeat(64), bytes: 10, inputs: [v('x', image)], outputs: [v('mu', code), v('logvar', code)] },
    decoder: { file: `decoder${suffix}.onnx`, sha256: hex.repeat(64), bytes: 10, inputs: [v('z', code)], outputs: [v('x', image), v('logits', image)] },
  });
  return {
    format: 'vae-onnx-model',
    formatVersion: 1,
    name: 'test',
    arch: 'small',
    archConfig: {},
    latent: 8,
    imageShape: [1, 28, 28],
    dataset: 'mnist',
    training: { epochs: 1, metrics: null },
    precision: 'fp32',
    onnx: { opset: 17, irVersion: 8, producer: { name: 'test', version: '0' } },
    graphs: graphs('', 'a'),
    variants: { fp16: graphs('_fp16', 'b'), int8: graphs('_int8', 'c') },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

const message = (m: unknown) => {
  try {
    parseManifest(m as ModelManifest);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as Error).message;
  }
  throw new Error('parseManifest accepted it');
};

describe('parseManifest variants', () => {
  it('accepts fp16 and int8 variants with the same inputs and outputs as graphs', () => {
    const m = manifest();
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
  });

  it('refuses an unknown variant key, a variant repeating the manifest precision, and a variant graph with other I/O', () => {
    const a = manifest();
    (a.variants as Record<string, unknown>).int4 = a.variants!.int8;
    expect(message(a)).toBe('model.json: variants has "int4", expected keys among fp32, fp16, int8');
    const b = manifest();
    (b.variants as Record<string, unknown>).fp32 = b.graphs;
    expect(message(b)).toBe("model.json: variants.fp32 repeats the manifest's own precision (fp32 is graphs)");
    const c = manifest();
    c.variants!.int8!.decoder.inputs = [{ name: 'z', shape: ['N', 9], dtype: 'float32' }];
    expect(message(c)).toBe('model.json graphs.decoder (variants.int8): z has shape [N,9], expected [N,8] (latent 8)');
    const d = manifest();
    (d as { variants: unknown }).variants = [];
    expect(message(d)).toBe('model.json: variants is [], expected { "fp16": { encoder, decoder }, ... }');
  });
});
