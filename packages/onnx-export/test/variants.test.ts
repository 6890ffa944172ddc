/**
 * `vae-export --model DIR --variants fp16,int8`: other precisions of an
 * exported model, made from the weights in its own graphs, written beside it
 * and listed in model.json's `variants`, its own graphs untouched.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '@vae/format';
import { describe, expect, it } from 'vitest';
import { addVariants, buildExport, decodeModel, encodeModel, ExportError, exportVariantFromGraphs, runCli, variantFile } from '../src/index.js';
import { makeCheckpoint } from './fixtures.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function exported(classes?: number) {
  const ckpt = makeCheckpoint({ arch: 'small', ...(classes ? { classes } : {}) });
  const createdAt = new Date('2026-01-02T03:04:05.000Z');
  const b = buildExport(ckpt, { name: 'm', createdAt });
  const dir = mkdtempSync(join(tmpdir(), 'vae-variants-'));
  writeFileSync(join(dir, 'encoder.onnx'), b.encoder);
  writeFileSync(join(dir, 'decoder.onnx'), b.decoder);
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(b.manifest, null, 2)}\n`);
  return { ckpt, createdAt, b, dir };
}

describe('addVariants', () => {
  it.each([undefined, 10])('writes fp16 and int8 graphs identical to exports of the checkpoint itself (classes %s), lists them in model.json and leaves the fp32 files as they were', async (classes) => {
    const { ckpt, createdAt, b, dir } = exported(classes);
    const r = await addVariants(dir, ['int8', 'fp16']);
    expect(Object.keys(r.manifest.variants!)).toEqual(['fp16', 'int8']);
    for (const p of ['fp16', 'int8'] as const) {
      const direct = buildExport(ckpt, { name: 'm', createdAt, precision: p });
      for (const which of ['encoder', 'decoder'] as const) {
        const file = `${which}_${p}.onnx`;
        const bytes = new Uint8Array(readFileSync(join(dir, file)));
        expect(Buffer.from(bytes).equals(Buffer.from(direct[which])), `${file} equals the checkpoint's ${p} export`).toBe(true);
        expect(r.manifest.variants![p]![which]).toEqual({ ...direct.manifest.graphs[which], file });
      }
    }
    expect(Buffer.from(readFileSync(join(dir, 'encoder.onnx'))).equals(Buffer.from(b.encoder))).toBe(true);
    const written = parseManifest(readFileSync(join(dir, 'model.json')));
    expect(written).toEqual(r.manifest);
    const { variants, ...rest } = written;
    expect(variants).toBeDefined();
    expect(rest).toEqual(b.manifest);
  });

  it('refuses the model\'s own precision, an unknown one, and an int8 model as the source', async () => {
    const { b, dir } = exported();
    const e1 = await addVariants(dir, ['fp32']).catch((e: unknown) => e as ExportError);
    expect(e1).toBeInstanceOf(ExportError);
    expect((e1 as ExportError).message).toBe("fp32 is m's own precision (its graphs); list only other variants");
    const e2 = await addVariants(dir, ['int4']).catch((e: unknown) => e as ExportError);
    expect((e2 as ExportError).message).toBe('variant "int4" is not a precision; expected some of fp32, fp16, int8');
    const q = buildExport(makeCheckpoint({ arch: 'small' }), { precision: 'int8' });
    expect(() => exportVariantFromGraphs(q.manifest, q.encoder, q.decoder, 'fp16')).toThrow("model is an int8 model, whose rounded weights cannot give other variants; make them from its fp32 or fp16 graphs");
    void b;
  });

  it('refuses graphs that do not export again byte for byte (not this exporter\'s), naming the graph', () => {
    const { b } = exported();
    // Another writer: the same weights, but a graph the exporter would not write (a changed doc string).
    const model = decodeModel(b.decoder);
    model.doc_string = 'written by someone else';
    const e = (() => {
      try {
        exportVariantFromGraphs(b.manifest, b.encoder, encodeModel(model), 'int8');
      } catch (err) {
        return err as ExportError;
      }
    })();
    expect(e).toBeInstanceOf(ExportError);
    expect(e!.message).toBe("m's decoder does not export again byte for byte from its own weights (another exporter version wrote it?), so its variants would not be the same model; export them from the checkpoint");
  });

  it('vae-export --model without --variants is a usage error', async () => {
    const err: string[] = [];
    expect(await runCli(['--model', 'x'], { stdout: () => {}, stderr: (t) => void err.push(t) })).toBe(2);
    expect(err.join('')).toBe('vae-export: --model needs --variants P,...\n');
  });

  it('names variant files as transformers.js does', () => {
    expect(variantFile('encoder.onnx', 'int8')).toBe('encoder_int8.onnx');
    expect(variantFile('decoder', 'fp16')).toBe('decoder_fp16');
  });
});

describe('the committed models/mnist variants', () => {
  it('are what vae-export --model models/mnist --variants fp16,int8 makes from its fp32 graphs, byte for byte', () => {
    const dir = new URL('../../../models/mnist/', import.meta.url);
    const m = parseManifest(readFileSync(new URL('model.json', dir)));
    expect(m.precision).toBe('fp32');
    const enc = new Uint8Array(readFileSync(new URL(m.graphs.encoder.file, dir)));
    const dec = new Uint8Array(readFileSync(new URL(m.graphs.decoder.file, dir)));
    expect(Object.keys(m.variants ?? {})).toEqual(['fp16', 'int8']);
    for (const p of ['fp16', 'int8'] as const) {
      const again = exportVariantFromGraphs(m, enc, dec, p);
      for (const which of ['encoder', 'decoder'] as const) {
        const entry = m.variants![p]![which];
        const file = new Uint8Array(readFileSync(new URL(entry.file, dir)));
        expect(sha(file), entry.file).toBe(entry.sha256);
        expect(file.length).toBe(entry.bytes);
        expect(sha(again[which]), `${entry.file} is reproducible`).toBe(entry.sha256);
      }
    }
  });
});
