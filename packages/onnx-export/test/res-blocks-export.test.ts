/**
 * Residual-block models through the exporter's variants path: `--variants`
 * rebuilds the spec from model.json's archConfig and recovers the tfjs
 * weights from the graphs, so the blocks' convs must come back exactly.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addVariants, buildExport, decodeModel } from '../src/index.js';
import { makeCheckpoint } from './fixtures.js';

describe('resBlocks exports', () => {
  it('addVariants writes fp16 and int8 graphs of a small resBlocks 2 model identical to exports of its checkpoint', async () => {
    const ckpt = makeCheckpoint({ arch: 'small', config: { resBlocks: 2, latent: 64 } });
    const createdAt = new Date('2026-01-02T03:04:05.000Z');
    const b = buildExport(ckpt, { name: 'm', createdAt });
    expect(b.manifest.archConfig).toMatchObject({ arch: 'small', resBlocks: 2, latent: 64 });
    expect(decodeModel(b.decoder).graph!.initializer!.some((t) => t.name === 'decoder/res1_b/kernel')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'vae-res-variants-'));
    writeFileSync(join(dir, 'encoder.onnx'), b.encoder);
    writeFileSync(join(dir, 'decoder.onnx'), b.decoder);
    writeFileSync(join(dir, 'model.json'), `${JSON.stringify(b.manifest, null, 2)}\n`);
    await addVariants(dir, ['fp16', 'int8']);
    for (const p of ['fp16', 'int8'] as const) {
      const direct = buildExport(ckpt, { name: 'm', createdAt, precision: p });
      for (const which of ['encoder', 'decoder'] as const) {
        const bytes = readFileSync(join(dir, `${which}_${p}.onnx`));
        expect(Buffer.from(bytes).equals(Buffer.from(direct[which])), `${which}_${p}.onnx`).toBe(true);
      }
    }
  });
});
