/**
 * Conditional exports: the graphs take the one-hot label y [N,K] beside x and
 * z, the label joins after the (re-ordered) flat features and after z, the
 * manifest carries `condition`, and unconditional exports stay as they were.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchName, ModelManifest } from '@vae/format';
import { buildArchSpec, parseManifest } from '@vae/format';
import { CHECKPOINT_FILE, checkpointParams } from '@vae/format/checkpoint';
import { describe, expect, it } from 'vitest';
import { FASHION_CLASS_NAMES } from '../src/export.js';
import type { ModelProto, TensorProto } from '../src/index.js';
import { buildExport, chwToHwcPermutation, DataType, decodeModel, ExportError, runCli, validateModel } from '../src/index.js';
import { probeDecoder, probeEncoder } from '../src/probe-forward.js';
import { makeCheckpoint, makeCheckpointBytes, randomParams, refusal } from './fixtures.js';

const ARCHS: ArchName[] = ['small', 'base', 'mlp'];
const LATENT: Record<ArchName, number> = { small: 32, base: 32, mlp: 20 } as Record<ArchName, number>;

function graphInputs(m: ModelProto) {
  return m.graph!.input!.map((v) => ({
    name: v.name,
    elem: v.type!.tensor_type!.elem_type,
    dims: v.type!.tensor_type!.shape!.dim!.map((d) => (d.dim_param ? d.dim_param : Number(d.dim_value))),
  }));
}

function initializer(m: ModelProto, name: string): Float32Array {
  const t = m.graph!.initializer!.find((i) => i.name === name) as TensorProto | undefined;
  if (!t) throw new Error(`no initializer ${name}`);
  const raw = t.raw_data!;
  expect(t.data_type).toBe(DataType.FLOAT);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

describe.each(ARCHS)('a conditional %s export', (arch) => {
  const latent = LATENT[arch];
  for (const precision of ['fp32', 'fp16'] as const) {
    it(`${precision}: the encoder takes x [N,1,28,28] and y [N,K] float32, the decoder z [N,latent] and y [N,K]; outputs are unchanged`, () => {
      const built = buildExport(makeCheckpoint({ arch, classes: 10 }), { precision });
      const enc = decodeModel(built.encoder);
      const dec = decodeModel(built.decoder);
      expect(graphInputs(enc)).toEqual([
        { name: 'x', elem: DataType.FLOAT, dims: ['N', 1, 28, 28] },
        { name: 'y', elem: DataType.FLOAT, dims: ['N', 10] },
      ]);
      expect(graphInputs(dec)).toEqual([
        { name: 'z', elem: DataType.FLOAT, dims: ['N', latent] },
        { name: 'y', elem: DataType.FLOAT, dims: ['N', 10] },
      ]);
      expect(enc.graph!.output!.map((o) => o.name)).toEqual(['mu', 'logvar']);
      expect(dec.graph!.output!.map((o) => o.name)).toEqual(['x', 'logits']);
      const m = built.manifest;
      expect(m.graphs.encoder.inputs).toEqual([
        { name: 'x', shape: ['N', 1, 28, 28], dtype: 'float32' },
        { name: 'y', shape: ['N', 10], dtype: 'float32' },
      ]);
      expect(m.graphs.decoder.inputs).toEqual([
        { name: 'z', shape: ['N', latent], dtype: 'float32' },
        { name: 'y', shape: ['N', 10], dtype: 'float32' },
      ]);
      expect(m.graphs.encoder.outputs).toEqual([
        { name: 'mu', shape: ['N', latent], dtype: 'float32' },
        { name: 'logvar', shape: ['N', latent], dtype: 'float32' },
      ]);
      expect(m.graphs.decoder.outputs.map((o) => o.name)).toEqual(['x', 'logits']);
      expect(m.condition).toEqual({ type: 'class', classes: 10, names: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
      expect(parseManifest(JSON.stringify(m))).toEqual(m);
      expect(built.reports.encoder.ok && built.reports.decoder.ok).toBe(true);
    });
  }

  it('appends y after the features: Concat(features, y) on axis 1 feeds both heads and the first decoder layer', () => {
    const spec = buildArchSpec({ arch, classes: 4 });
    const built = buildExport(makeCheckpoint({ arch, classes: 4 }));
    for (const [graph, readers] of [
      [decodeModel(built.encoder), ['encoder/mu/Gemm', 'encoder/logvar/Gemm']],
      [decodeModel(built.decoder), [`${spec.decoder[0].name}/Gemm`]],
    ] as const) {
      const nodes = graph.graph!.node!;
      const concat = nodes.filter((n) => n.op_type === 'Concat');
      expect(concat).toHaveLength(1);
      expect(concat[0].input).toHaveLength(2);
      expect(concat[0].input![0]).not.toBe('y');
      expect(concat[0].input![1]).toBe('y');
      expect(concat[0].attribute).toEqual([expect.objectContaining({ name: 'axis', i: 1 })]);
      const consumers = nodes.filter((n) => n.input!.includes(concat[0].output![0])).map((n) => n.name);
      expect(consumers).toEqual(readers);
    }
  });

  it('re-orders only the feature rows of the heads: the K label rows, and the first decoder layer\'s latent and label rows, keep the trainer\'s order', () => {
    // The label rows of the heads and of the decoder's first dense layer stay
    // in place while the feature rows are re-ordered; check both directly.
    const spec = buildArchSpec({ arch, classes: 3 });
    const params = randomParams(spec, 5);
    const built = buildExport(makeCheckpoint({ arch, classes: 3, params }));
    const enc = decodeModel(built.encoder);
    const dec = decodeModel(built.decoder);
    const head = spec.encoder.mu;
    const features = head.inFeatures - 3;
    const tf = params.get(`${head.name}/kernel`)!;
    const onnx = initializer(enc, `${head.name}/kernel`);
    const last = spec.encoder.trunk.at(-1)!;
    const perm = arch === 'mlp' ? null : chwToHwcPermutation((last as { inputShape: [number, number, number] }).inputShape);
    const out = head.outFeatures;
    for (let j = 0; j < features; j++) {
      const src = perm ? perm[j] : j;
      expect(onnx.subarray(j * out, (j + 1) * out), `feature row ${j}`).toEqual(tf.subarray(src * out, (src + 1) * out));
    }
    for (let k = 0; k < 3; k++) {
      const r = features + k;
      expect(onnx.subarray(r * out, (r + 1) * out), `label row ${k}`).toEqual(tf.subarray(r * out, (r + 1) * out));
    }
    const fc = spec.decoder[0] as { name: string; inFeatures: number; outFeatures: number };
    const fcOnnx = initializer(dec, `${fc.name}/kernel`);
    const fcTf = params.get(`${fc.name}/kernel`)!;
    // Rows: latent then label, in order; columns are re-ordered only when a reshape follows.
    expect(fc.inFeatures).toBe(latent + 3);
    if (spec.decoder[1]?.kind !== 'reshape') expect(fcOnnx).toEqual(fcTf);
    else {
      const colPerm = chwToHwcPermutation((spec.decoder[1] as { outputShape: [number, number, number] }).outputShape);
      for (const r of [0, latent, latent + 2]) for (const o of [0, 1, fc.outFeatures - 1]) expect(fcOnnx[r * fc.outFeatures + o]).toBe(fcTf[r * fc.outFeatures + colPerm[o]]);
    }
  });
});

describe('the label changes what the conditional graphs compute', () => {
  it('the probe forward pass gives different mu and x for different labels of the same input', () => {
    const spec = buildArchSpec({ arch: 'small', classes: 10 });
    const params = randomParams(spec, 3);
    const x = { data: new Float32Array(2 * 784).fill(0.5), dims: [2, 28, 28, 1] };
    const z = { data: new Float32Array(2 * 32).fill(0.3), dims: [2, 32] };
    const y = { data: new Float32Array(20), dims: [2, 10] };
    y.data[2] = 1; // item 0: class 2
    y.data[10 + 7] = 1; // item 1: class 7
    const mu = probeEncoder(spec, params, x, 'fp32', y).outputs.mu.data;
    const px = probeDecoder(spec, params, z, 'fp32', y).outputs.x.data;
    const d = (a: Float32Array, n: number) => Math.max(...Array.from({ length: n }, (_, i) => Math.abs(a[i] - a[n + i])));
    expect(d(mu, 32)).toBeGreaterThan(1e-3);
    expect(d(px, 784)).toBeGreaterThan(1e-3);
  });
});

describe('the manifest condition entry', () => {
  it('names the classes "0".."K-1" by default, and writes the same entry into both graphs\' metadata', () => {
    const built = buildExport(makeCheckpoint({ classes: 3 }));
    expect(built.manifest.condition).toEqual({ type: 'class', classes: 3, names: ['0', '1', '2'] });
    for (const g of [built.encoder, built.decoder]) {
      const meta = Object.fromEntries(decodeModel(g).metadata_props!.map((p) => [p.key, p.value]));
      expect(JSON.parse(meta['vae.condition'])).toEqual(built.manifest.condition);
    }
  });

  it('uses Fashion-MNIST\'s class names for a fashion model with 10 classes, and digits for one with another count', () => {
    const fashion = buildExport(makeCheckpoint({ classes: 10, dataset: 'fashion' }));
    expect(fashion.manifest.condition).toEqual({ type: 'class', classes: 10, names: [...FASHION_CLASS_NAMES] });
    expect(fashion.manifest.condition!.names[9]).toBe('Ankle boot');
    expect(parseManifest(JSON.stringify(fashion.manifest)).condition).toEqual(fashion.manifest.condition);
    expect(buildExport(makeCheckpoint({ classes: 3, dataset: 'fashion' })).manifest.condition!.names).toEqual(['0', '1', '2']);
  });

  it('takes classNames over the defaults', () => {
    const built = buildExport(makeCheckpoint({ classes: 3, dataset: 'fashion' }), { classNames: ['cat', 'dog', 'bird'] });
    expect(built.manifest.condition).toEqual({ type: 'class', classes: 3, names: ['cat', 'dog', 'bird'] });
    expect(parseManifest(JSON.stringify(built.manifest))).toEqual(built.manifest);
  });

  it('refuses a wrong number of class names with an ExportError naming the count expected', () => {
    const e = refusal(() => buildExport(makeCheckpoint({ classes: 10 }), { classNames: ['a', 'b', 'c'] }));
    expect(e.code).toBe('usage');
    expect(e.message).toMatch(/^class names must be 10 non-empty strings \(the checkpoint's classes\), got 3: \["a","b","c"\]/);
    const empty = refusal(() => buildExport(makeCheckpoint({ classes: 2 }), { classNames: ['a', ''] }));
    expect(empty.code).toBe('usage');
    expect(empty.message).toMatch(/^class names must be 2 non-empty strings/);
  });

  it('refuses class names that are not an array (from plain JS) naming the count expected', () => {
    const e = refusal(() => buildExport(makeCheckpoint({ classes: 3 }), { classNames: 'abc' as unknown as string[] }));
    expect(e.code).toBe('usage');
    expect(e.message).toBe('class names must be an array of 3 strings, got string');
  });

  it('refuses class names for an unconditional model with an ExportError saying it takes none', () => {
    const e = refusal(() => buildExport(makeCheckpoint(), { classNames: ['0', '1'] }));
    expect(e.code).toBe('usage');
    expect(e.message).toBe('2 class names were given, but the checkpoint holds an unconditional model, which takes none (expected 0)');
  });
});

describe('unconditional exports keep their graphs', () => {
  it.each(ARCHS)('%s: no y input, no condition entry, no vae.condition metadata', (arch) => {
    const built = buildExport(makeCheckpoint({ arch }));
    expect('condition' in built.manifest).toBe(false);
    expect(built.manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x']);
    expect(built.manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z']);
    for (const g of [built.encoder, built.decoder]) {
      const m = decodeModel(g);
      expect(m.graph!.input!.map((v) => v.name)).not.toContain('y');
      expect(m.graph!.node!.some((n) => n.op_type === 'Concat')).toBe(false);
      expect(m.metadata_props!.map((p) => p.key)).not.toContain('vae.condition');
    }
  });
});

describe('the probe refuses non-finite conditional graphs', () => {
  it('refuses finite weights that overflow float32 in a conditional decoder, as for an unconditional one', () => {
    const spec = buildArchSpec({ arch: 'small', classes: 10 });
    const params = randomParams(spec, 7);
    for (const name of ['decoder/fc/kernel', 'decoder/deconv1/kernel']) {
      const k = params.get(name)!;
      for (let i = 0; i < k.length; i++) k[i] *= 1e20;
    }
    const e = refusal(() => buildExport(makeCheckpoint({ classes: 10, params })));
    expect(e.code).toBe('non-finite');
    expect(e.message).toMatch(/^the fp32 decoder graph gives non-finite values on the exporter's probe batch: output logits and x are non-finite; the first non-finite value \(Infinity\) appears at layer decoder\/deconv1 /);
  });

  it('refuses a label row of the mu head that float16 stores as Infinity (0 × Infinity is NaN for every item), and accepts it in fp32', () => {
    const spec = buildArchSpec({ arch: 'small', classes: 10 });
    const params = randomParams(spec, 7);
    const features = spec.encoder.mu.inFeatures - 10;
    params.get('encoder/mu/kernel')![(features + 9) * 32] = 1e5;
    const ckpt = makeCheckpoint({ classes: 10, params });
    const e = refusal(() => buildExport(ckpt, { precision: 'fp16' }));
    expect(e.code).toBe('non-finite');
    expect(e.message).toMatch(/^the fp16 encoder graph gives non-finite values on the exporter's probe batch: output mu is non-finite; the first non-finite value \(NaN\) appears at layer encoder\/mu for probe input 0 \(all 0, label 0\)\. /);
    expect(e.message).toContain('its stored weight encoder/mu/kernel holds 100000, which float16 (largest finite 65504) stores as Infinity');
    expect(buildExport(ckpt, { precision: 'fp32' }).manifest.condition!.classes).toBe(10);
  });

  it('probes every class: a label row that overflows float32 only for the last class is refused, naming that probe item and label', () => {
    // Only label 9 reads this row (0 × 3e38 is 0 for the other labels), so a
    // probe batch of the first four labels would pass it.
    const spec = buildArchSpec({ arch: 'small', classes: 10 });
    const params = randomParams(spec, 7);
    const fc = params.get('decoder/fc/kernel')!;
    const out = spec.decoder[0].kind === 'dense' ? spec.decoder[0].outFeatures : 0;
    fc.fill(3e38, (32 + 9) * out, (32 + 10) * out);
    const e = refusal(() => buildExport(makeCheckpoint({ classes: 10, params })));
    expect(e.code).toBe('non-finite');
    expect(e.message).toMatch(/^the fp32 decoder graph gives non-finite values on the exporter's probe batch: output logits and x are non-finite; the first non-finite value \((-)?Infinity\) appears at layer decoder\/deconv1 for probe input 9 \(N\(0,1\) \(seed 2\), label 9\)\. /);
    expect(e.message).toContain('their products overflow float32');
  });
});

describe('vae-export --class-names', () => {
  async function cli(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    return { code, stdout, stderr };
  }
  const run = (classes?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-cond-'));
    writeFileSync(join(dir, CHECKPOINT_FILE), makeCheckpointBytes(classes ? { classes } : {}));
    return dir;
  };

  it('writes the given names into model.json and says the model is conditional', async () => {
    const dir = run(3);
    const out = join(dir, 'out');
    const r = await cli('--checkpoint', dir, '--out', out, '--class-names', 'cat, dog ,bird');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^exported out: small, latent 32, conditional on 3 classes, fp32, opset 17/m);
    const m = parseManifest(readFileSync(join(out, 'model.json'))) as ModelManifest;
    expect(m.condition).toEqual({ type: 'class', classes: 3, names: ['cat', 'dog', 'bird'] });
  });

  it('defaults to 0..K-1 without --class-names', async () => {
    const dir = run(3);
    const out = join(dir, 'out');
    expect((await cli('--checkpoint', dir, '--out', out, '--quiet')).code).toBe(0);
    expect(parseManifest(readFileSync(join(out, 'model.json'))).condition).toEqual({ type: 'class', classes: 3, names: ['0', '1', '2'] });
  });

  it('exits 1 naming the count expected for a wrong number of names, and for names on an unconditional model', async () => {
    const dir = run(3);
    const r = await cli('--checkpoint', dir, '--out', join(dir, 'out'), '--class-names', 'a,b');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vae-export: usage: class names must be 3 non-empty strings \(the checkpoint's classes\), got 2: \["a","b"\]\nNothing was written\.\n$/);
    const u = run();
    const ru = await cli('--checkpoint', u, '--out', join(u, 'out'), '--class-names', 'a,b');
    expect(ru.code).toBe(1);
    expect(ru.stderr).toBe('vae-export: usage: 2 class names were given, but the checkpoint holds an unconditional model, which takes none (expected 0)\nNothing was written.\n');
  });
});

describe('checkpointParams of a conditional checkpoint', () => {
  it('holds the label rows: the heads and the first decoder layer have features + K rows', () => {
    const ckpt = makeCheckpoint({ classes: 10 });
    const params = checkpointParams(ckpt);
    const spec = ckpt.header.arch;
    expect(params.get('encoder/mu/kernel')!.length).toBe(spec.encoder.mu.inFeatures * 32);
    expect(spec.encoder.mu.inFeatures).toBe(4 * 4 * 32 + 10);
  });
});

describe('the validator checks the label Concat', () => {
  it('passes conditional graphs with no warnings (Concat is known, its output shape [N, features + K] is checked)', () => {
    for (const arch of ARCHS) {
      const built = buildExport(makeCheckpoint({ arch, classes: 10 }));
      expect(built.reports.encoder.problems, `${arch} encoder`).toEqual([]);
      expect(built.reports.decoder.problems, `${arch} decoder`).toEqual([]);
    }
  });

  it('reports a y input one class too wide: the Concat gives [N,523] and the mu Gemm expects 522 rows', () => {
    const m = decodeModel(buildExport(makeCheckpoint({ classes: 10 })).encoder);
    m.graph!.input![1].type!.tensor_type!.shape!.dim![1] = { dim_value: 11 };
    const errors = validateModel(m).problems.filter((p) => p.severity === 'error');
    expect(errors).toContainEqual({ severity: 'error', where: 'node encoder/mu/Gemm (Gemm)', message: 'A [N,523] has 523 columns but B [522,32] has 522 rows' });
  });

  it('reports Concat inputs that differ off the axis, and of different ranks', () => {
    const m = decodeModel(buildExport(makeCheckpoint({ classes: 10 })).decoder);
    m.graph!.input![1].type!.tensor_type!.shape!.dim![0] = { dim_value: 3 };
    m.graph!.input![0].type!.tensor_type!.shape!.dim![0] = { dim_value: 2 };
    expect(validateModel(m).problems).toContainEqual({ severity: 'error', where: 'node decoder/concat_y/Concat (Concat)', message: 'inputs differ in dimension 0 (off the concat axis 1): [2,32], [3,10]' });
    m.graph!.input![1].type!.tensor_type!.shape!.dim!.push({ dim_value: 1 });
    expect(validateModel(m).problems).toContainEqual({ severity: 'error', where: 'node decoder/concat_y/Concat (Concat)', message: 'inputs have different ranks: [2,32] and [3,10,1]' });
  });
});
