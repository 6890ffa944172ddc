/**
 * `--quantize int8` on ONNX Runtime cpu: the int8 graphs compute what the
 * exporter's probe pass predicts from the dequantized kernels (within 1e-4),
 * and their distance from the fp32 graphs is reported (the same distance the
 * probe predicts, not a tolerance widened to pass). The session keeps
 * DequantizeLinear's own semantics (`session.disable_quant_qdq`), as the SDK's
 * does: ORT's QDQ fusion would also quantize the activations.
 */
import type { ArchName } from '@vae/format';
import { buildArchSpec } from '@vae/format';
import { buildExport } from '@vae/onnx-export';
import { describe, expect, it } from 'vitest';
import { probeBatch } from '../../packages/onnx-export/src/check-finite-outputs.js';
import { probeDecoder, probeEncoder } from '../../packages/onnx-export/src/probe-forward.js';
import { makeCheckpoint, randomParams } from '../../packages/onnx-export/test/fixtures.js';
import { maxAbsDiff, nchwToNhwc, nhwcToNchw, runCpu } from './harness.js';


/** ORT cpu keeping DequantizeLinear's own semantics (see runCpu), on one feed. */
async function run(model: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  return (await runCpu(model, [feeds], { keepQdq: true }))[0];
}

describe('int8 exports on ONNX Runtime cpu', () => {
  it.each([['small'], ['base'], ['mlp']] as [ArchName][])('%s: the int8 graphs match the probe pass within 1e-4; their distance from fp32 is the predicted one', async (arch) => {
    const spec = buildArchSpec({ arch });
    const params = randomParams(spec, 11);
    const ckpt = makeCheckpoint({ arch, params });
    const q = buildExport(ckpt, { precision: 'int8', createdAt: new Date(0) });
    const f = buildExport(ckpt, { precision: 'fp32', createdAt: new Date(0) });
    const { x, z } = probeBatch(spec);
    const xIn = { x: nhwcToNchw(x.data, x.dims) };
    const [qe, fe, qd, fd] = [await run(q.encoder, xIn), await run(f.encoder, xIn), await run(q.decoder, { z }), await run(f.decoder, { z })];
    const pe = probeEncoder(spec, params, x, 'int8');
    const pd = probeDecoder(spec, params, z, 'int8');
    const vsProbe = { mu: maxAbsDiff(pe.outputs.mu.data, qe.mu.data), logvar: maxAbsDiff(pe.outputs.logvar.data, qe.logvar.data), x: maxAbsDiff(pd.outputs.x.data, nchwToNhwc(qd.x)) };
    const vsFp32 = { mu: maxAbsDiff(qe.mu.data, fe.mu.data), logvar: maxAbsDiff(qe.logvar.data, fe.logvar.data), x: maxAbsDiff(qd.x.data, fd.x.data), logits: maxAbsDiff(qd.logits.data, fd.logits.data) };
    const fp32Probe = { mu: probeEncoder(spec, params, x, 'fp32').outputs.mu.data, x: probeDecoder(spec, params, z, 'fp32').outputs.x.data };
    const predicted = { mu: maxAbsDiff(pe.outputs.mu.data, fp32Probe.mu), x: maxAbsDiff(pd.outputs.x.data, fp32Probe.x) };
    console.log(`${arch} int8 on ORT cpu: vs probe ${JSON.stringify(vsProbe)}; max |Δ| vs fp32 ${JSON.stringify(vsFp32)} (probe predicts mu ${predicted.mu.toExponential(3)}, x ${predicted.x.toExponential(3)}); bytes ${q.encoder.length + q.decoder.length} vs ${f.encoder.length + f.decoder.length}`);
    for (const [k, d] of Object.entries(vsProbe)) expect(d, k).toBeLessThan(1e-4);
    expect(Math.abs(vsFp32.mu - predicted.mu)).toBeLessThan(1e-4);
    expect(Math.abs(vsFp32.x - predicted.x)).toBeLessThan(1e-4);
    expect(vsFp32.x).toBeGreaterThan(0);
  });
});
