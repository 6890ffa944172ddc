import { describe, expect, it } from 'vitest';
import { ArchConfigError, buildArchSpec, weightShapes } from './arch-spec.js';

describe('buildArchSpec', () => {
  it('builds small as 28->14->7->4 and decodes back to 28x28x1', () => {
    const spec = buildArchSpec({ arch: 'small' });
    const convs = spec.encoder.trunk.filter((l) => l.kind === 'conv2d');
    expect(convs.map((l) => l.kind === 'conv2d' && l.outputShape)).toEqual([
      [14, 14, 8],
      [7, 7, 16],
      [4, 4, 32],
    ]);
    const deconvs = spec.decoder.filter((l) => l.kind === 'conv2dTranspose');
    expect(deconvs.map((l) => l.kind === 'conv2dTranspose' && [l.outputShape, l.outputPadding])).toEqual([
      [[7, 7, 16], 0],
      [[14, 14, 8], 1],
      [[28, 28, 1], 1],
    ]);
    expect(spec.encoder.mu.inFeatures).toBe(512);
  });

  it('pads base (k4) so that it really decodes 28x28, with output padding 1,0,0', () => {
    const spec = buildArchSpec({ arch: 'base' });
    const deconvs = spec.decoder.filter((l) => l.kind === 'conv2dTranspose');
    expect(deconvs.map((l) => l.kind === 'conv2dTranspose' && l.outputPadding)).toEqual([1, 0, 0]);
    expect(deconvs.at(-1)!.kind === 'conv2dTranspose' && deconvs.at(-1)!.outputShape).toEqual([28, 28, 1]);
    expect(spec.encoder.mu.inFeatures).toBe(3 * 3 * 128);
  });

  it('builds mlp 784-400-20-400-784', () => {
    const shapes = weightShapes(buildArchSpec({ arch: 'mlp' }));
    expect(shapes.get('encoder/fc1/kernel')).toEqual([784, 400]);
    expect(shapes.get('encoder/mu/kernel')).toEqual([400, 20]);
    expect(shapes.get('decoder/out/kernel')).toEqual([400, 784]);
  });

  it('counts 61k parameters for small, like the PyTorch peer', () => {
    const n = [...weightShapes(buildArchSpec({ arch: 'small' })).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(n).toBeGreaterThan(60_000);
    expect(n).toBeLessThan(62_000);
  });

  it('rejects an unknown arch with the list of valid ones', () => {
    expect(() => buildArchSpec({ arch: 'huge' as never })).toThrow(ArchConfigError);
    expect(() => buildArchSpec({ arch: 'huge' as never })).toThrow(/small, base, mlp, celeba/);
  });
});

describe('celeba: the seed\'s 64x64 RGB BatchNorm ConvVAE', () => {
  it('halves 64->32->16->8->4 with BatchNorm after every conv and decodes back to 64x64x3 through a linear dense layer', () => {
    const spec = buildArchSpec({ arch: 'celeba' });
    const convs = spec.encoder.trunk.filter((l) => l.kind === 'conv2d');
    expect(convs.map((l) => l.kind === 'conv2d' && [l.outputShape, l.kernelSize, l.stride, l.pads.top, l.batchNorm])).toEqual(
      [[32, 32, 32], [16, 16, 64], [8, 8, 128], [4, 4, 256]].map((s) => [s, 4, 2, 1, { momentum: 0.1, eps: 1e-5 }]),
    );
    expect(spec.encoder.mu.inFeatures).toBe(4096);
    expect(spec.encoder.mu.outFeatures).toBe(256);
    expect(spec.decoder[0]).toMatchObject({ kind: 'dense', inFeatures: 256, outFeatures: 4096, activation: 'linear' });
    const deconvs = spec.decoder.filter((l) => l.kind === 'conv2dTranspose');
    expect(deconvs.map((l) => l.kind === 'conv2dTranspose' && [l.outputShape, l.outputPadding, l.activation, l.batchNorm !== undefined])).toEqual([
      [[8, 8, 128], 0, 'relu', true],
      [[16, 16, 64], 0, 'relu', true],
      [[32, 32, 32], 0, 'relu', true],
      [[64, 64, 3], 0, 'linear', false],
    ]);
  });

  it('lists gamma, beta and the running mean and variance of each BatchNorm among the weights', () => {
    const shapes = weightShapes(buildArchSpec({ arch: 'celeba' }));
    for (const p of ['gamma', 'beta', 'mean', 'variance']) {
      expect(shapes.get(`encoder/conv4/bn/${p}`)).toEqual([256]);
      expect(shapes.get(`decoder/deconv3/bn/${p}`)).toEqual([32]);
    }
    expect(shapes.has('decoder/deconv4/bn/gamma')).toBe(false);
    expect(shapes.has('encoder/conv1/bn/gamma') && !weightShapes(buildArchSpec({ arch: 'base' })).has('encoder/conv1/bn/gamma')).toBe(true);
  });

  it('takes other sizes and channel counts that are multiples of 16, and refuses the rest by name', () => {
    expect(buildArchSpec({ arch: 'celeba', imageShape: [32, 32, 1] }).decoder.at(-1)).toMatchObject({ outputShape: [32, 32, 1] });
    expect(() => buildArchSpec({ arch: 'celeba', imageShape: [28, 28, 3] })).toThrow(
      new ArchConfigError('celeba with 4 conv stages needs an image size that is a multiple of 16, got 28x28'),
    );
  });
});

describe('conditional specs (classes)', () => {
  it('widens the mu/logvar heads by K label columns and the decoder first dense layer by K', () => {
    for (const arch of ['small', 'base', 'mlp'] as const) {
      const plain = buildArchSpec({ arch });
      const cond = buildArchSpec({ arch, classes: 10 });
      expect(cond.condition).toEqual({ kind: 'one-hot', classes: 10 });
      expect(cond.config.classes).toBe(10);
      expect(cond.encoder.mu.inFeatures).toBe(plain.encoder.mu.inFeatures + 10);
      expect(cond.encoder.logvar.inFeatures).toBe(plain.encoder.logvar.inFeatures + 10);
      const [d0, p0] = [cond.decoder[0], plain.decoder[0]];
      expect(d0.kind === 'dense' && p0.kind === 'dense' && d0.inFeatures - p0.inFeatures).toBe(10);
      expect(weightShapes(cond).get('decoder/' + (arch === 'mlp' ? 'fc1' : 'fc') + '/kernel')![0]).toBe((plain.config.latent) + 10);
    }
  });

  it('keeps an unconditional spec free of any condition key, as checkpoints stored it', () => {
    const spec = buildArchSpec({ arch: 'small' });
    expect('condition' in spec).toBe(false);
    expect('classes' in spec.config).toBe(false);
    expect(JSON.stringify(buildArchSpec({ arch: 'small', classes: 0 }))).toBe(JSON.stringify(spec));
  });

  it('rejects a class count that is not an integer in [2, 256]', () => {
    for (const k of [1, 2.5, 257, -3]) {
      expect(() => buildArchSpec({ arch: 'small', classes: k })).toThrow(ArchConfigError);
      expect(() => buildArchSpec({ arch: 'small', classes: k })).toThrow(/classes must be an integer in \[2, 256\]/);
    }
  });
});
