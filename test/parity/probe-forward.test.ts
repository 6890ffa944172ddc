/**
 * The exporter's own forward pass (used to refuse graphs that give non-finite
 * outputs) against ONNX Runtime running the exported graphs, and proof that the
 * huge-weight checkpoints the exporter refuses really give NaN/Infinity in ORT.
 */
import type { ArchName } from '@vae/format';
import { buildArchSpec } from '@vae/format';
import { buildExport } from '@vae/onnx-export';
import { describe, expect, it } from 'vitest';
import { probeBatch } from '../../packages/onnx-export/src/check-finite-outputs.js';
import { probeDecoder, probeEncoder } from '../../packages/onnx-export/src/probe-forward.js';
import { hugeDecoderParams, makeCheckpoint, randomParams } from '../../packages/onnx-export/test/fixtures.js';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, runCpu } from './harness.js';

describe('probe forward pass matches ONNX Runtime on the exported graphs', () => {
  it.each([
    ['small', 'fp32'],
    ['mlp', 'fp32'],
    ['base', 'fp32'],
    ['small', 'fp16'],
    ['base', 'fp16'],
  ] as [ArchName, 'fp32' | 'fp16'][])('%s %s: encoder and decoder outputs within 1e-4', async (arch, precision) => {
    const spec = buildArchSpec({ arch });
    const params = randomParams(spec, 7);
    const built = buildExport(makeCheckpoint({ arch, params }), { precision, createdAt: new Date(0) });
    const { x, z } = probeBatch(spec);
    const [enc] = await runCpu(built.encoder, [{ x: nhwcToNchw(x.data, x.dims) }]);
    const [dec] = await runCpu(built.decoder, [{ z: { data: z.data, dims: z.dims } }]);
    const pe = probeEncoder(spec, params, x, precision);
    const pd = probeDecoder(spec, params, z, precision);
    const diffs = {
      mu: maxAbsDiff(pe.outputs.mu.data, enc.mu.data),
      logvar: maxAbsDiff(pe.outputs.logvar.data, enc.logvar.data),
      logits: maxAbsDiff(pd.outputs.logits.data, nchwToNhwc(dec.logits)),
      x: maxAbsDiff(pd.outputs.x.data, nchwToNhwc(dec.x)),
    };
    console.log(`probe vs ORT ${arch} ${precision}: ${JSON.stringify(diffs)}`);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-4);
    expect(pe.firstNonFinite).toBeNull();
    expect(pd.firstNonFinite).toBeNull();
  });
});

describe('the checkpoints the exporter refuses for huge weights do give non-finite outputs in ONNX Runtime', () => {
  const nonFinite = (a: Float32Array) => a.filter((v) => !Number.isFinite(v)).length;

  it('decoder fc and deconv1 kernels scaled by 1e20 (fp32, each weight finite): ORT logits hold Infinity/NaN', async () => {
    const spec = buildArchSpec({ arch: 'small' });
    const params = hugeDecoderParams(spec);
    // translateArch alone (no probe) still writes these graphs: the weights are each finite.
    const { translateArch, encodeModel } = await import('@vae/onnx-export');
    const models = translateArch(spec, params, { precision: 'fp32' });
    const { z } = probeBatch(spec);
    const [dec] = await runCpu(encodeModel(models.decoder), [{ z: { data: z.data, dims: z.dims } }]);
    console.log(`ORT on the 1e20×1e20 checkpoint: ${nonFinite(dec.logits.data)} of ${dec.logits.data.length} logits non-finite`);
    expect(nonFinite(dec.logits.data)).toBeGreaterThan(0);
    expect(probeDecoder(spec, params, z, 'fp32').firstNonFinite?.layer).toBe('decoder/deconv1');
  });

  it('a weight of 1e5 exported as fp16: ORT outputs hold Infinity/NaN, and are finite as fp32', async () => {
    const spec = buildArchSpec({ arch: 'small' });
    const params = randomParams(spec, 7);
    params.get('decoder/fc/kernel')![0] = 1e5;
    const { translateArch, encodeModel } = await import('@vae/onnx-export');
    const { z } = probeBatch(spec);
    const feeds = [{ z: { data: z.data, dims: z.dims } }];
    const [half] = await runCpu(encodeModel(translateArch(spec, params, { precision: 'fp16' }).decoder), feeds);
    const [full] = await runCpu(encodeModel(translateArch(spec, params, { precision: 'fp32' }).decoder), feeds);
    console.log(`ORT with a 1e5 weight: fp16 ${nonFinite(half.logits.data)} non-finite logits, fp32 ${nonFinite(full.logits.data)}`);
    expect(nonFinite(half.logits.data)).toBeGreaterThan(0);
    expect(nonFinite(full.logits.data)).toBe(0);
  });
});
