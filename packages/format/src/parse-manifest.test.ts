import { describe, expect, it } from 'vitest';
import { GRAPH_IO } from './graph-io.js';
import type { ModelManifest } from './manifest.js';
import { decodeManifestPrior, formatShape, ManifestError, parseManifest, sameShape } from './parse-manifest.js';
import { base64ToFloat32, float32ToBase64 } from './float32-base64.js';

/** A minimal manifest as the exporter writes it, latent 8. */
function manifest(): ModelManifest {
  const image = ['N', 1, 28, 28];
  const code = ['N', 8];
  const v = (name: string, shape: (number | string)[]) => ({ name, shape, dtype: 'float32' as const });
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
    graphs: {
      encoder: { file: 'encoder.onnx', sha256: 'a'.repeat(64), bytes: 10, inputs: [v('x', image)], outputs: [v('mu', code), v('logvar', code)] },
      decoder: { file: 'decoder.onnx', sha256: 'b'.repeat(64), bytes: 10, inputs: [v('z', code)], outputs: [v('x', image), v('logits', image)] },
    },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

const failure = (input: Parameters<typeof parseManifest>[0]) => {
  try {
    parseManifest(input);
  } catch (e) {
    return e as Error;
  }
  throw new Error('parseManifest accepted it');
};

describe('parseManifest', () => {
  it('accepts the manifest as an object, as text and as UTF-8 bytes', () => {
    const m = manifest();
    expect(parseManifest(m)).toBe(m);
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
    expect(parseManifest(new TextEncoder().encode(JSON.stringify(m)))).toEqual(m);
  });

  it('requires the graph I/O names of GRAPH_IO', () => {
    expect(Object.values(GRAPH_IO).sort()).toEqual(['logits', 'logvar', 'mu', 'x', 'y', 'z']);
    const m = manifest();
    m.graphs.encoder.outputs = m.graphs.encoder.outputs.filter((o) => o.name !== GRAPH_IO.logvar);
    const e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json graphs.encoder: outputs lack "logvar", expected logvar[N,8]');
  });

  it('names the first wrong field and what was expected', () => {
    const cases: [(m: ModelManifest) => void, string][] = [
      [(m) => ((m as { formatVersion: number }).formatVersion = 2), 'model.json: formatVersion is 2, expected 1'],
      [(m) => (m.latent = 0), 'model.json: latent is 0, expected a positive integer'],
      [(m) => (m.graphs.decoder.file = '../../etc/passwd'), 'model.json graphs.decoder: file is "../../etc/passwd", expected a plain file name beside model.json'],
      [(m) => (m.graphs.decoder.inputs[0].shape = ['N', 9]), 'model.json graphs.decoder: z has shape [N,9], expected [N,8] (latent 8)'],
    ];
    for (const [breakIt, message] of cases) {
      const m = manifest();
      breakIt(m);
      const e = failure(m);
      expect(e).toBeInstanceOf(ManifestError);
      expect(e.name).toBe('ManifestError');
      expect(e.message).toBe(message);
    }
  });

  it('reports text that is not JSON with the parser error as the cause', () => {
    const e = failure('{ nope');
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toMatch(/^model\.json is not valid JSON \(.+\); expected a vae-onnx-model manifest$/);
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('shape helpers', () => {
  it('a symbolic dimension matches any symbol or -1, a number only itself', () => {
    expect(sameShape(['batch', 8], ['N', 8])).toBe(true);
    expect(sameShape([-1, 8], ['N', 8])).toBe(true);
    expect(sameShape([4, 8], ['N', 8])).toBe(false);
    expect(sameShape(['N', 9], ['N', 8])).toBe(false);
    expect(sameShape(['N'], ['N', 8])).toBe(false);
    expect(formatShape(['N', 1, 28, 28])).toBe('[N,1,28,28]');
  });
});

describe('parseManifest on conditional models', () => {
  const conditional = (): ModelManifest => {
    const m = manifest();
    const y = { name: GRAPH_IO.y, shape: ['N', 10], dtype: 'float32' as const };
    m.condition = { type: 'class', classes: 10, names: Array.from({ length: 10 }, (_, i) => String(i)) };
    m.graphs.encoder.inputs.push({ ...y });
    m.graphs.decoder.inputs.push({ ...y });
    return m;
  };

  it('accepts a condition with y [N,K] on both graphs', () => {
    expect(parseManifest(JSON.stringify(conditional())).condition?.classes).toBe(10);
  });

  it('rejects a condition whose names do not number its classes', () => {
    const m = conditional();
    m.condition!.names = ['0', '1'];
    const e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toMatch(/condition: names must be 10 non-empty strings/);
  });

  it('rejects a conditional manifest whose decoder lacks y', () => {
    const m = conditional();
    m.graphs.decoder.inputs.pop();
    expect(failure(m).message).toMatch(/graphs\.decoder: inputs lack "y", expected y\[N,10\]/);
  });

  it('rejects y whose width disagrees with condition.classes', () => {
    const m = conditional();
    m.graphs.encoder.inputs[1].shape = ['N', 9];
    expect(failure(m).message).toMatch(/y has shape \[N,9\], expected \[N,10\] \(condition\.classes\)/);
  });

  it('rejects a graph input y on a manifest without a condition', () => {
    const m = conditional();
    delete m.condition;
    expect(failure(m).message).toMatch(/inputs include "y" \(a label\), but model\.json has no condition/);
  });

  it('rejects a condition that disagrees with archConfig.classes', () => {
    const m = conditional();
    m.archConfig = { classes: 12 };
    expect(failure(m).message).toMatch(/classes is 10, but archConfig\.classes is 12/);
  });
});

/** The fixture manifest with fp16 and int8 variants beside its graphs (same I/O, other files). */
function withVariants(): ModelManifest {
  const m = manifest();
  const variant = (suffix: string, hex: string) => ({
    encoder: { ...structuredClone(m.graphs.encoder), file: `encoder${suffix}.onnx`, sha256: hex.repeat(64) },
    decoder: { ...structuredClone(m.graphs.decoder), file: `decoder${suffix}.onnx`, sha256: hex.repeat(64) },
  });
  m.variants = { fp16: variant('_fp16', 'c'), int8: variant('_int8', 'd') };
  return m;
}

const message = (m: unknown) => {
  const e = failure(m as ModelManifest);
  expect(e).toBeInstanceOf(ManifestError);
  return e.message;
};

describe('parseManifest variants', () => {
  it('accepts fp16 and int8 variants with the same inputs and outputs as graphs', () => {
    const m = withVariants();
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
  });

  it('refuses an unknown variant key, a variant repeating the manifest precision, and a variant graph with other I/O', () => {
    const a = withVariants();
    (a.variants as Record<string, unknown>).int4 = a.variants!.int8;
    expect(message(a)).toBe('model.json: variants has "int4", expected keys among fp32, fp16, int8');
    const b = withVariants();
    (b.variants as Record<string, unknown>).fp32 = b.graphs;
    expect(message(b)).toBe("model.json: variants.fp32 repeats the manifest's own precision (fp32 is graphs)");
    const c = withVariants();
    c.variants!.int8!.decoder.inputs = [{ name: 'z', shape: ['N', 9], dtype: 'float32' }];
    expect(message(c)).toBe('model.json graphs.decoder (variants.int8): z has shape [N,9], expected [N,8] (latent 8)');
    const d = withVariants();
    (d as { variants: unknown }).variants = [];
    expect(message(d)).toBe('model.json: variants is [], expected { "fp16": { encoder, decoder }, ... }');
  });
});

/** The fixture as an RGB 3×64×64 model, its graphs' image I/O declared from that shape. */
function rgb(): ModelManifest {
  const m = manifest();
  const image = ['N', 3, 64, 64];
  m.imageShape = [3, 64, 64];
  m.graphs.encoder.inputs[0].shape = image;
  for (const o of m.graphs.decoder.outputs) o.shape = image;
  return m;
}

describe('parseManifest data and image shapes', () => {
  it('accepts an RGB [3,64,64] model with data { name, crop, background }, and old manifests without data', () => {
    const m = { ...rgb(), data: { name: 'celeba', crop: 148, background: 'white' } };
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
    expect(parseManifest(JSON.stringify({ ...rgb(), data: { name: 'emoji' } })).data).toEqual({ name: 'emoji' });
    const old = manifest();
    expect('data' in old).toBe(false);
    expect(parseManifest(JSON.stringify(old)).data).toBeUndefined();
  });

  it('declares image I/O from imageShape: a 1x28x28 graph in a [3,64,64] manifest is refused', () => {
    const m = rgb();
    m.graphs.encoder.inputs[0].shape = ['N', 1, 28, 28];
    expect(message(m)).toBe('model.json graphs.encoder: x has shape [N,1,28,28], expected [N,3,64,64] (from imageShape)');
  });

  it('refuses a malformed data entry with a ManifestError naming the field and what was expected', () => {
    const cases: [unknown, string][] = [
      ['celeba', 'model.json data is "celeba", expected { "name": "...", "crop"?: N, "background"?: "..." }'],
      [{}, 'model.json data.name is undefined, expected a non-empty string of at most 256 characters'],
      [{ name: '' }, 'model.json data.name is "", expected a non-empty string of at most 256 characters'],
      [{ name: 'celeba', crop: 0 }, 'model.json data.crop is 0, expected an integer in [1, 65536] (pixels of the centre square)'],
      [{ name: 'celeba', crop: 14.5 }, 'model.json data.crop is 14.5, expected an integer in [1, 65536] (pixels of the centre square)'],
      [{ name: 'celeba', background: 7 }, 'model.json data.background is 7, expected a non-empty colour string of at most 64 characters'],
      [{ name: 'celeba', size: 64 }, 'model.json data has "size", expected only name, crop and background'],
    ];
    for (const [data, msg] of cases) expect(message({ ...rgb(), data })).toBe(msg);
  });
});

describe('parseManifest: prior (VampPrior)', () => {
  /** A vamp manifest, K = 2 over latent 8; values chosen so that any decoding slip shows. */
  const vampManifest = (K = 2) => {
    const m = manifest() as ModelManifest & { archConfig: Record<string, unknown> };
    m.archConfig = { arch: 'small', prior: { kind: 'vamp', components: K } };
    const values = (off: number) => Float32Array.from({ length: K * 8 }, (_, i) => off + i / 8);
    m.prior = {
      kind: 'vamp',
      components: K,
      mean: { dtype: 'float32', shape: [K, 8], base64: float32ToBase64(values(-1)) },
      logVar: { dtype: 'float32', shape: [K, 8], base64: float32ToBase64(values(-3)) },
    };
    return m;
  };

  it('accepts a well-formed prior and decodes its arrays bit for bit', () => {
    const m = parseManifest(JSON.stringify(vampManifest()));
    const d = decodeManifestPrior(m.prior, m.latent);
    expect(d.components).toBe(2);
    expect(Array.from(d.mean)).toEqual(Array.from({ length: 16 }, (_, i) => -1 + i / 8));
    expect(Array.from(d.logVar)).toEqual(Array.from({ length: 16 }, (_, i) => -3 + i / 8));
  });

  it('rejects a shape that disagrees with components or latent, naming prior', () => {
    const m = vampManifest();
    m.prior!.mean.shape = [3, 8];
    let e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json prior.mean.shape is [3,8], expected [2,8] (components, latent)');
    const m2 = vampManifest();
    m2.prior!.logVar.shape = [2, 4];
    e = failure(m2);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json prior.logVar.shape is [2,4], expected [2,8] (components, latent)');
  });

  it('rejects base64 whose byte length disagrees with components x latent, before decoding', () => {
    const m = vampManifest();
    // One component's worth of values under a [2, 8] shape.
    m.prior!.mean.base64 = float32ToBase64(new Float32Array(8));
    const e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json prior.mean.base64 is 44 characters, expected 88 characters (2 x 8 float32, 64 bytes)');
  });

  it('rejects base64 of the right length that is not base64, and non-finite values', () => {
    const m = vampManifest();
    m.prior!.logVar.base64 = '!'.repeat(88);
    let e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json prior.logVar.base64 is 88 characters, expected padded RFC 4648 base64');
    const m2 = vampManifest();
    const v = new Float32Array(16);
    v[5] = NaN;
    m2.prior!.mean.base64 = float32ToBase64(v);
    e = failure(m2);
    expect(e.message).toBe('model.json prior.mean[5] is null, expected a finite number');
  });

  it('rejects a component log-variance outside the encoder\'s clamp, whose exp(logVar/2) would overflow the samples', () => {
    const m = vampManifest();
    const v = new Float32Array(16).fill(-3);
    v[9] = 3e38;
    m.prior!.logVar.base64 = float32ToBase64(v);
    const e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json prior.logVar[9] is 3.0000000054977558e+38, expected within [-20, 10]');
    // A mean that large is only unusual, not an overflow: the clamp is the log-variance's.
    const ok = vampManifest();
    ok.prior!.mean.base64 = float32ToBase64(new Float32Array(16).fill(40));
    expect(() => parseManifest(JSON.stringify(ok))).not.toThrow();
  });

  it('rejects components out of range or different from archConfig, and a missing prior on a vamp archConfig', () => {
    const m = vampManifest();
    m.prior!.components = 3;
    let e = failure(m);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('model.json prior.mean.shape is [2,8], expected [3,8] (components, latent)');
    const big = vampManifest();
    big.prior!.components = 5000;
    expect(failure(big).message).toBe('model.json prior.components is 5000, expected an integer in [1, 4096]');
    const other = vampManifest();
    (other.archConfig as { prior: { components: number } }).prior.components = 4;
    expect(failure(other).message).toBe('model.json: prior has 2 components, archConfig.prior {"kind":"vamp","components":4}; expected the same K, on an unconditional model');
    const missing = vampManifest();
    delete missing.prior;
    const e2 = failure(missing);
    expect(e2).toBeInstanceOf(ManifestError);
    expect(e2.message).toBe('model.json prior is undefined, expected { "kind": "vamp", "components": K, "mean": {...}, "logVar": {...} }');
  });

  it('keeps manifests without a prior valid', () => {
    expect(parseManifest(manifest()).prior).toBeUndefined();
  });
});

describe('float32 base64', () => {
  it('encodes little-endian float32 bytes as RFC 4648 padded base64 (hand-checked)', () => {
    // 1.0f = 00 00 80 3f; 2.0f = 00 00 00 40.
    expect(float32ToBase64(new Float32Array([1]))).toBe('AACAPw==');
    expect(float32ToBase64(new Float32Array([1, 2]))).toBe('AACAPwAAAEA=');
    expect(Array.from(base64ToFloat32('AACAPwAAAEA=')!)).toEqual([1, 2]);
    expect(base64ToFloat32('AACAP')).toBeNull();
  });
});
