/**
 * Finite but huge weights: the exporter runs its own forward pass of the graphs
 * on a probe batch and refuses when they would give non-finite values.
 * (test/parity/probe-forward.test.ts shows ONNX Runtime gives NaN/Infinity on
 * these same checkpoints, and that the forward pass matches it.)
 */
import { buildArchSpec } from '@vae/format';
import { checkpointParams } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import { PROBE_BATCH, checkFiniteOutputs } from '../src/check-finite-outputs.js';
import { buildExport } from '../src/index.js';
import { hugeDecoderParams, makeCheckpoint, randomParams, refusal } from './fixtures.js';

describe('buildExport refuses graphs that give non-finite values on the probe batch', () => {
  it('refuses finite weights whose products overflow float32 in the decoder, naming graph, output and layer', () => {
    const params = hugeDecoderParams(buildArchSpec({ arch: 'small' }));
    const e = refusal(() => buildExport(makeCheckpoint({ params })));
    expect(e.code).toBe('non-finite');
    expect(e.message).toMatch(/^the fp32 decoder graph gives non-finite values on the exporter's probe batch: output logits and x are non-finite; the first non-finite value \(Infinity\) appears at layer decoder\/deconv1 for probe input 1 \(N\(0,1\) \(seed 2\)\)\. Expected finite values for every probe input \(zeros, /);
    expect(e.message).toContain('overflow float32');
  });

  it('refuses encoder conv weights scaled so that activations overflow, naming the encoder', () => {
    const params = randomParams(buildArchSpec({ arch: 'small' }), 7);
    for (const name of ['encoder/conv1/kernel', 'encoder/conv2/kernel', 'encoder/conv3/kernel']) {
      const k = params.get(name)!;
      for (let i = 0; i < k.length; i++) k[i] *= 1e15;
    }
    const e = refusal(() => buildExport(makeCheckpoint({ params })));
    expect(e.code).toBe('non-finite');
    expect(e.message).toMatch(/^the fp32 encoder graph gives non-finite values on the exporter's probe batch: output mu and logvar are non-finite; the first non-finite value \(Infinity\) appears at layer encoder\/conv3 for probe input 1 \(mid-grey 0\.5\)\. /);
  });

  it('refuses a weight of 1e5 for fp16 export (float16 stores it as Infinity) and accepts it for fp32', () => {
    const params = randomParams(buildArchSpec({ arch: 'small' }), 7);
    params.get('decoder/fc/kernel')![0] = 1e5;
    const ckpt = makeCheckpoint({ params });
    const e = refusal(() => buildExport(ckpt, { precision: 'fp16' }));
    expect(e.code).toBe('non-finite');
    expect(e.message).toMatch(/^the fp16 decoder graph gives non-finite values on the exporter's probe batch: output logits and x are non-finite; the first non-finite value \(NaN\) appears at layer decoder\/fc for probe input 0 \(zeros\)\. /);
    expect(e.message).toContain('its stored weight decoder/fc/kernel holds 100000, which float16 (largest finite 65504) stores as Infinity; export with --precision fp32');
    const ok = buildExport(ckpt, { precision: 'fp32' });
    expect(ok.manifest.precision).toBe('fp32');
  });

  // Its cost is a few images through the network, not a timing target: speed figures live in the
  // benchmarks, because a wall-clock bound fails on a loaded shared machine (4.8 s seen here under load).
  it('probes a fixed handful of inputs, whatever the architecture', () => {
    expect(PROBE_BATCH.images).toHaveLength(4);
    expect(PROBE_BATCH.latents).toHaveLength(4);
    const ckpt = makeCheckpoint({ arch: 'base' });
    const t1 = performance.now();
    checkFiniteOutputs(ckpt.header.arch, checkpointParams(ckpt), 'fp32');
    console.log(`base: the probe took ${(performance.now() - t1).toFixed(1)} ms (printed, not asserted)`);
  });
});
