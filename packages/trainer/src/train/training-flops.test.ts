import { describe, expect, it } from 'vitest';
import { buildArchSpec } from '@vae/format';
import { trainingFlops } from './training-flops.js';

describe('trainingFlops', () => {
  it('counts the small arch by hand: 3 convs, 2 heads, dense + 3 transposed convs; 2 passes for the first layer, 3 for the rest', () => {
    const spec = buildArchSpec({ arch: 'small' });
    // Encoder: 28x28x1 -> 14x14x8 -> 7x7x16 -> 4x4x32 (k3 s2), flatten 512, heads 512 -> 32 each.
    const conv1 = 14 * 14 * 9 * 1 * 8;
    const conv2 = 7 * 7 * 9 * 8 * 16;
    const conv3 = 4 * 4 * 9 * 16 * 32;
    const heads = 2 * 512 * 32;
    // Decoder: dense 32 -> 512, then transposed convs scatter from 4x4x32, 7x7x16, 14x14x8.
    const dense = 32 * 512;
    const t1 = 4 * 4 * 9 * 32 * 16;
    const t2 = 7 * 7 * 9 * 16 * 8;
    const t3 = 14 * 14 * 9 * 8 * 1;
    const forward = conv1 + conv2 + conv3 + heads + dense + t1 + t2 + t3;
    const { forwardMacs, flops } = trainingFlops(spec);
    expect(forwardMacs).toBe(forward);
    expect(flops).toBe(2 * (2 * conv1 + 3 * (forward - conv1)));
  });

  it('counts each residual block as its two 3x3 same convs at the lowest resolution (small: 4x4x32), 3 passes each', () => {
    const plain = trainingFlops(buildArchSpec({ arch: 'small' }));
    const res = trainingFlops(buildArchSpec({ arch: 'small', resBlocks: 2 }));
    // 2 blocks on each side, 2 convs per block, each 4 * 4 * 3 * 3 * 32 * 32 multiply-adds; none is the first layer.
    const blockConvs = 2 * 2 * 2 * (4 * 4 * 9 * 32 * 32);
    expect(res.forwardMacs - plain.forwardMacs).toBe(blockConvs);
    expect(res.flops - plain.flops).toBe(2 * 3 * blockConvs);
  });

  it('grows with the classes of a conditional model (the label enters both heads and the decoder)', () => {
    const plain = trainingFlops(buildArchSpec({ arch: 'small' })).forwardMacs;
    const cvae = trainingFlops(buildArchSpec({ arch: 'small', classes: 10 })).forwardMacs;
    expect(cvae - plain).toBe(2 * 10 * 32 + 10 * 512);
  });
});

describe('trainingFlops with a VampPrior', () => {
  it('adds the K pseudo-inputs through the encoder, three passes each, shared out over the batch', () => {
    const plain = trainingFlops(buildArchSpec({ arch: 'small' }));
    const vamp = trainingFlops(buildArchSpec({ arch: 'small', prior: { kind: 'vamp', components: 100 } }), { batch: 128 });
    // The small encoder by hand: three convs and the two heads.
    const encoder = 14 * 14 * 9 * 1 * 8 + 7 * 7 * 9 * 8 * 16 + 4 * 4 * 9 * 16 * 32 + 2 * 512 * 32;
    expect(vamp.forwardMacs).toBe(plain.forwardMacs);
    expect(vamp.priorForwardMacs).toBe(100 * encoder);
    expect(vamp.flops - plain.flops).toBeCloseTo((2 * 3 * 100 * encoder) / 128, 6);
    expect(plain.priorForwardMacs).toBe(0);
  });
});
