/**
 * The `celeba` architecture (RGB, BatchNorm after every conv and every deconv
 * but the last) through the exporter, at a tiny size: shapes from the spec,
 * BatchNorm folded into the convs (no BatchNormalization node, no bn/*
 * initializers), fp16/int8 made from the folded weights, typed errors for
 * missing or misshapen BatchNorm weights, and the manifest's `data` entry.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestGraph } from '@vae/format';
import { parseManifest, weightShapes } from '@vae/format';
import { CHECKPOINT_FILE } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import { buildExport, decodeModel, exportCheckpoint, ExportError, exportVariantFromGraphs, foldBatchNorm, runCli, validateModelBytes, withoutBatchNorm } from '../src/index.js';
import { probeDecoder, probeEncoder } from '../src/probe-forward.js';
import { probeBatch } from '../src/check-finite-outputs.js';
import type { FixtureOptions } from './fixtures.js';
import { makeCheckpoint, makeCheckpointBytes, refusal } from './fixtures.js';

/** A celeba small enough for unit tests: 16x16 RGB, four stages down to 1x1. */
export const TINY_CELEBA: FixtureOptions = { arch: 'celeba', config: { imageShape: [16, 16, 3], channels: [4, 8, 8, 8], latent: 6 } };

const createdAt = new Date('2026-02-03T04:05:06.000Z');
const ops = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.map((n) => n.op_type);
const inits = (bytes: Uint8Array) => decodeModel(bytes).graph!.initializer!.map((t) => `${t.name}[${(t.dims ?? []).join(',')}]`);
const io = (g: ManifestGraph) => [...g.inputs, ...g.outputs].map((v) => `${v.name}[${v.shape.join(',')}]`);

describe('celeba export', () => {
  it.each(['fp32', 'fp16', 'int8'] as const)('%s: shapes come from the spec (x [N,3,16,16], z [N,6]) and the validator accepts both graphs', (precision) => {
    const b = buildExport(makeCheckpoint(TINY_CELEBA), { precision, createdAt });
    expect(b.manifest.imageShape).toEqual([3, 16, 16]);
    expect(io(b.manifest.graphs.encoder)).toEqual(['x[N,3,16,16]', 'mu[N,6]', 'logvar[N,6]']);
    expect(io(b.manifest.graphs.decoder)).toEqual(['z[N,6]', 'x[N,3,16,16]', 'logits[N,3,16,16]']);
    for (const which of ['encoder', 'decoder'] as const) {
      const r = validateModelBytes(b[which]);
      expect(r.ok, JSON.stringify(r.problems)).toBe(true);
      expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    }
    const meta = Object.fromEntries(decodeModel(b.decoder).metadata_props!.map((p) => [p.key, p.value]));
    expect(meta['vae.image_shape']).toBe('[3,16,16]');
    expect(parseManifest(JSON.stringify(b.manifest))).toEqual(b.manifest);
  });

  it.each(['fp32', 'fp16', 'int8'] as const)('%s: BatchNorm leaves no node and no initializer: the graphs are those of the same net without BatchNorm', (precision) => {
    const ckpt = makeCheckpoint(TINY_CELEBA);
    const b = buildExport(ckpt, { precision, createdAt });
    const { spec, params } = foldBatchNorm(ckpt.header.arch, ckpt.tensors);
    const plain = buildExport({ header: { ...ckpt.header, arch: spec }, tensors: params }, { precision, createdAt });
    for (const which of ['encoder', 'decoder'] as const) {
      expect(ops(b[which])).not.toContain('BatchNormalization');
      expect(ops(b[which])).toEqual(ops(plain[which]));
      expect(inits(b[which])).toEqual(inits(plain[which]));
      expect(inits(b[which]).some((n) => n.includes('/bn/'))).toBe(false);
      // Byte for byte: nothing of the BatchNorm is left, so the graph is no larger than the plain net's.
      expect(Buffer.from(b[which]).equals(Buffer.from(plain[which])), `${which} bytes`).toBe(true);
    }
  });

  it('fp16 and int8 variants made from the folded fp32 graphs are byte for byte the direct exports, and the fp32 graphs re-export exactly', () => {
    const ckpt = makeCheckpoint(TINY_CELEBA);
    const b = buildExport(ckpt, { name: 'tiny', createdAt });
    for (const p of ['fp16', 'int8'] as const) {
      // exportVariantFromGraphs first re-exports the fp32 graphs from their recovered weights and refuses unless they come out byte for byte.
      const v = exportVariantFromGraphs(b.manifest, b.encoder, b.decoder, p);
      const direct = buildExport(ckpt, { name: 'tiny', createdAt, precision: p });
      expect(Buffer.from(v.encoder).equals(Buffer.from(direct.encoder)), `${p} encoder`).toBe(true);
      expect(Buffer.from(v.decoder).equals(Buffer.from(direct.decoder)), `${p} decoder`).toBe(true);
    }
  });

  it('the probe pass (the exporter refuses non-finite outputs with it) runs the folded weights', () => {
    const ckpt = makeCheckpoint(TINY_CELEBA);
    const { spec, params } = foldBatchNorm(ckpt.header.arch, ckpt.tensors);
    const { x, z } = probeBatch(ckpt.header.arch);
    expect(probeEncoder(ckpt.header.arch, ckpt.tensors, x).outputs.mu.data).toEqual(probeEncoder(spec, params, x).outputs.mu.data);
    expect(probeDecoder(ckpt.header.arch, ckpt.tensors, z).outputs.x.data).toEqual(probeDecoder(spec, params, z).outputs.x.data);
    // and BatchNorm changes them: the fold is not a no-op on these statistics
    const unfolded = new Map([...ckpt.tensors].filter(([n]) => !n.includes('/bn/')));
    expect(probeDecoder(withoutBatchNorm(ckpt.header.arch), unfolded, z).outputs.x.data).not.toEqual(probeDecoder(spec, params, z).outputs.x.data);
  });
});

describe('celeba BatchNorm weights', () => {
  it('a missing BatchNorm weight in a checkpoint file is a typed error naming it and its shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-celeba-'));
    writeFileSync(join(dir, CHECKPOINT_FILE), makeCheckpointBytes({ ...TINY_CELEBA, editParams: (p) => p.delete('encoder/conv2/bn/variance') }));
    const err = await exportCheckpoint({ checkpoint: dir, out: join(dir, 'out') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe('checkpoint');
    expect((err as ExportError).message).toBe(`${join(dir, CHECKPOINT_FILE)}: missing parameter encoder/conv2/bn/variance [8] required by arch "celeba"`);
  });

  it.each([
    ['missing', (p: Map<string, Float32Array>) => p.delete('decoder/deconv2/bn/gamma'), 'checkpoint', 'checkpoint has no parameter decoder/deconv2/bn/gamma [8], which the BatchNorm of its layer needs'],
    ['misshapen', (p: Map<string, Float32Array>) => p.set('encoder/conv1/bn/mean', new Float32Array(3)), 'checkpoint', 'parameter encoder/conv1/bn/mean has 3 values, expected 4 for [4]'],
    ['non-finite', (p: Map<string, Float32Array>) => p.get('decoder/deconv3/bn/beta')!.fill(NaN, 1, 2), 'non-finite', 'parameter decoder/deconv3/bn/beta has a non-finite value (NaN) at flat index 1; the checkpoint is unusable (training diverged?)'],
    ['negative-variance', (p: Map<string, Float32Array>) => p.get('encoder/conv3/bn/variance')!.fill(-1, 2, 3), 'checkpoint', 'parameter encoder/conv3/bn/variance[2] is -1, so variance + eps (0.00001) is -0.99999; expected a running variance >= 0 with variance + eps > 0'],
  ] as const)('a %s BatchNorm weight in memory is a typed ExportError naming it and what was expected', (_, edit, code, message) => {
    const ckpt = makeCheckpoint(TINY_CELEBA);
    const tensors = new Map([...ckpt.tensors].map(([n, t]) => [n, new Float32Array(t)]));
    edit(tensors);
    const e = refusal(() => buildExport({ header: ckpt.header, tensors }));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('weightShapes lists every BatchNorm weight the exporter folds (tfjs conv2dTranspose kernels [kh,kw,out,in])', () => {
    const ckpt = makeCheckpoint(TINY_CELEBA);
    const shapes = weightShapes(ckpt.header.arch);
    expect(shapes.get('decoder/deconv1/kernel')).toEqual([4, 4, 8, 8]);
    expect(shapes.get('decoder/deconv4/kernel')).toEqual([4, 4, 3, 4]);
    expect(shapes.has('decoder/deconv4/bn/gamma')).toBe(false);
    expect(foldBatchNorm(ckpt.header.arch, ckpt.tensors).folded).toEqual([
      'encoder/conv1', 'encoder/conv2', 'encoder/conv3', 'encoder/conv4', 'decoder/deconv1', 'decoder/deconv2', 'decoder/deconv3',
    ]);
  });
});

describe('manifest data entry', () => {
  it('is absent for an IDX model exported without --data-name (the committed manifests keep their fields)', () => {
    expect('data' in buildExport(makeCheckpoint({ arch: 'small' })).manifest).toBe(false);
  });

  it("takes crop and background from an image-folder run's dataset spec, the name from --data-name or the folder, never its full path", () => {
    const folder = 'image-folder:' + JSON.stringify({ dir: '/home/me/img_align_celeba', crop: 148, background: '#000000', grey: false, testFraction: 0.1, labels: null });
    const ckpt = makeCheckpoint({ ...TINY_CELEBA, dataset: folder });
    const built = buildExport(ckpt);
    expect(built.manifest.data).toEqual({ name: 'img_align_celeba', crop: 148, background: '#000000' });
    expect(built.manifest.dataset).toBe('img_align_celeba');
    expect(buildExport(ckpt, { data: { name: 'CelebA' } }).manifest.data).toEqual({ name: 'CelebA', crop: 148, background: '#000000' });
    const noCrop = makeCheckpoint({ ...TINY_CELEBA, dataset: folder.replace('"crop":148', '"crop":null') });
    expect(buildExport(noCrop).manifest.data).toEqual({ name: 'img_align_celeba', background: '#000000' });
    const plain = makeCheckpoint(TINY_CELEBA);
    expect(buildExport(plain, { data: { name: 'emoji (Noto Color Emoji)' } }).manifest.data).toEqual({ name: 'emoji (Noto Color Emoji)' });
  });

  it('refuses a data entry parseManifest would refuse, as a usage error naming the field', () => {
    const e = refusal(() => buildExport(makeCheckpoint(TINY_CELEBA), { data: { name: 'x', crop: -5 } }));
    expect(e.code).toBe('usage');
    expect(e.message).toBe("the manifest's data.crop is -5, expected an integer in [1, 65536] (pixels of the centre square) (as given)");
    const f = refusal(() => buildExport(makeCheckpoint(TINY_CELEBA), { data: { name: '' } }));
    expect(f.message).toBe("the manifest's data.name is \"\", expected a non-empty string of at most 256 characters (as given)");
  });

  it('vae-export --data-name writes it into model.json, and --variants keeps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-celeba-cli-'));
    writeFileSync(join(dir, CHECKPOINT_FILE), makeCheckpointBytes(TINY_CELEBA));
    const out = join(dir, 'emoji');
    const err: string[] = [];
    const io = { stdout: () => {}, stderr: (t: string) => void err.push(t) };
    expect(await runCli(['--checkpoint', dir, '--out', out, '--data-name', 'emoji (Noto Color Emoji)', '--quiet'], io), err.join('')).toBe(0);
    expect(parseManifest(readFileSync(join(out, 'model.json'))).data).toEqual({ name: 'emoji (Noto Color Emoji)' });
    expect(await runCli(['--model', out, '--variants', 'fp16', '--quiet'], io), err.join('')).toBe(0);
    const m = parseManifest(readFileSync(join(out, 'model.json')));
    expect(m.data).toEqual({ name: 'emoji (Noto Color Emoji)' });
    expect(Object.keys(m.variants!)).toEqual(['fp16']);
  });
});
