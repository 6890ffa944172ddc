import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ArchConfigError, buildArchSpec, expandResidual, weightShapes } from './arch-spec.js';
import { checkArchSpec } from './check-arch-spec.js';

const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
const conv3 = (name: string, c: number, hw: number, activation: 'relu' | 'linear') => ({
  kind: 'conv2d', name, inChannels: c, outChannels: c, kernelSize: 3, stride: 1,
  pads: { top: 1, bottom: 1, left: 1, right: 1 }, inputShape: [hw, hw, c], outputShape: [hw, hw, c], activation,
});

describe('resBlocks: residual conv blocks at the lowest resolution', () => {
  it('puts small resBlocks 2 after conv3 (4x4x32) and after the decoder reshape, each relu(x + conv_b(relu(conv_a(x))))', () => {
    const spec = buildArchSpec({ arch: 'small', resBlocks: 2 });
    expect(spec.config.resBlocks).toBe(2);
    expect(spec.encoder.trunk.map((l) => l.name)).toEqual(['encoder/conv1', 'encoder/conv2', 'encoder/conv3', 'encoder/res0', 'encoder/res1', 'encoder/flatten']);
    expect(spec.decoder.map((l) => l.name)).toEqual(['decoder/fc', 'decoder/reshape', 'decoder/res0', 'decoder/res1', 'decoder/deconv1', 'decoder/deconv2', 'decoder/deconv3']);
    expect(spec.encoder.trunk[3]).toEqual({ kind: 'residual', name: 'encoder/res0', layers: [conv3('encoder/res0_a', 32, 4, 'relu'), conv3('encoder/res0_b', 32, 4, 'linear')], activation: 'relu' });
    expect(spec.decoder[3]).toEqual({ kind: 'residual', name: 'decoder/res1', layers: [conv3('decoder/res1_a', 32, 4, 'relu'), conv3('decoder/res1_b', 32, 4, 'linear')], activation: 'relu' });
    const shapes = weightShapes(spec);
    const res = [...shapes].filter(([n]) => n.includes('/res'));
    expect(res).toEqual(['encoder/res0', 'encoder/res1', 'decoder/res0', 'decoder/res1'].flatMap((b) =>
      ['a', 'b'].flatMap((c) => [[`${b}_${c}/kernel`, [3, 3, 32, 32]], [`${b}_${c}/bias`, [32]]])));
    // The flatten and the heads see the same 4x4x32 map as without blocks.
    expect(spec.encoder.mu.inFeatures).toBe(512);
  });

  it('gives base resBlocks 1 two 3x3x128x128 convs per side at 3x3, 590,336 parameters more than base', () => {
    const count = (s: ReturnType<typeof buildArchSpec>) => [...weightShapes(s).values()].reduce((a, v) => a + v.reduce((x, y) => x * y, 1), 0);
    const plain = buildArchSpec({ arch: 'base' });
    const res = buildArchSpec({ arch: 'base', resBlocks: 1 });
    expect(weightShapes(res).get('decoder/res0_b/kernel')).toEqual([3, 3, 128, 128]);
    expect(expandResidual(res.encoder.trunk).map((l) => l.name)).toEqual(['encoder/conv1', 'encoder/conv2', 'encoder/conv3', 'encoder/res0_a', 'encoder/res0_b', 'encoder/flatten']);
    expect(count(res) - count(plain)).toBe(2 * 2 * (3 * 3 * 128 * 128 + 128));
  });

  it('leaves resBlocks 0 (or absent) byte for byte the spec of the commit before blocks existed', () => {
    // SHA-256 of JSON.stringify(buildArchSpec({ arch })) at 16c137c, before resBlocks was added.
    const before = {
      small: '99516f9eef98c948255a91038d0621db5ec62c65b65e65c00c6d3217cce929cf',
      base: '8e9989d5a33447cc4874fcc6b3a08304ed7b37097746dff9a46ad8ad3dc30fe4',
      mlp: 'e8cb2a76f97309f091a4ba881107400eafe8828c180e2e78d2bba2b2e8abe744',
      celeba: 'e2ca628119ccaba0c618514cb82b10dfc1f17a9f4f68442041001b6f56da8879',
    } as const;
    for (const [arch, hash] of Object.entries(before) as [keyof typeof before, string][]) {
      expect(sha(buildArchSpec({ arch })), arch).toBe(hash);
      expect(sha(buildArchSpec({ arch, resBlocks: 0 })), `${arch} resBlocks 0`).toBe(hash);
    }
    expect(sha(buildArchSpec({ arch: 'small', classes: 10, latent: 64, resBlocks: 0 }))).toBe('2b36e8779c71837e2c5e9bf3766242b9d4a4ce399aee093486f6f41a47642eb0');
    expect('resBlocks' in buildArchSpec({ arch: 'base', resBlocks: 0 }).config).toBe(false);
  });

  it('refuses resBlocks on mlp and celeba with an ArchConfigError saying why', () => {
    expect(() => buildArchSpec({ arch: 'mlp', resBlocks: 1 })).toThrow(ArchConfigError);
    expect(() => buildArchSpec({ arch: 'mlp', resBlocks: 1 })).toThrow('resBlocks 1 needs a conv arch (small or base); mlp has no conv feature map to put residual conv blocks on');
    expect(() => buildArchSpec({ arch: 'celeba', resBlocks: 2 })).toThrow(/^resBlocks 2 needs a conv arch \(small or base\); celeba's convs carry BatchNorm/);
  });

  it('refuses a resBlocks that is not an integer in [0, 8], naming the field', () => {
    for (const bad of [-1, 9, 1.5, Number.NaN]) {
      expect(() => buildArchSpec({ arch: 'small', resBlocks: bad })).toThrow(ArchConfigError);
      expect(() => buildArchSpec({ arch: 'small', resBlocks: bad })).toThrow(`resBlocks must be an integer in [0, 8], got ${bad}`);
    }
  });

  it('checkArchSpec accepts a resBlocks spec read back from JSON and names a tampered block conv', () => {
    const spec = JSON.parse(JSON.stringify(buildArchSpec({ arch: 'base', resBlocks: 1, latent: 64 })));
    expect(checkArchSpec(spec)).toBe(spec);
    spec.decoder[2].layers[1].activation = 'relu';
    expect(() => checkArchSpec(spec)).toThrow(ArchConfigError);
    expect(() => checkArchSpec(spec)).toThrow(/decoder\[2\]\.layers\[1\]\.activation is "relu"/);
  });
});
