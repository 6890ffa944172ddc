import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initClassifierParams } from './classifier-model.js';
import { CLASSIFIER_SPEC, classifierWeightShapes } from './classifier-spec.js';
import { ClassifierFileError, decodeClassifierWeights, encodeClassifierWeights, readClassifierWeights, writeClassifierWeights } from './weights-file.js';

const params = initClassifierParams(3);
const dir = () => mkdtempSync(join(tmpdir(), 'vae-cls-'));

describe('classifier weights file', () => {
  it('round-trips every weight bit for bit, with the info it was given', async () => {
    const path = join(dir(), 'c.weights');
    await writeClassifierWeights(path, params, { testAccuracy: 0.99 });
    const { header, params: back } = await readClassifierWeights(path);
    expect(header.info).toEqual({ testAccuracy: 0.99 });
    expect([...back.keys()]).toEqual([...classifierWeightShapes().keys()]);
    for (const [name, v] of params) expect(back.get(name)).toEqual(v);
  });

  it('refuses a file that is not a classifier weights file, naming the magic it expected', () => {
    expect(() => decodeClassifierWeights(new TextEncoder().encode('VAECKPT2 something else'), 'x.weights')).toThrow(ClassifierFileError);
    expect(() => decodeClassifierWeights(new Uint8Array(3), 'x.weights')).toThrow('x.weights: not a classifier weights file; expected it to start with "VAECLF01"');
  });

  it('refuses a header length beyond the file before reading it', () => {
    const bytes = encodeClassifierWeights(params);
    new DataView(bytes.buffer).setUint32(8, 0xffffffff, true);
    expect(() => decodeClassifierWeights(bytes, 'big.weights')).toThrow(/^big\.weights: header length 4294967295 exceeds the file \(\d+ bytes\) or the 65536-byte limit$/);
  });

  it('refuses a truncated file, naming the size it expected', () => {
    const bytes = encodeClassifierWeights(params);
    const cut = bytes.subarray(0, bytes.length - 4);
    let err: unknown;
    try {
      decodeClassifierWeights(cut, 'cut.weights');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClassifierFileError);
    expect((err as Error).message).toBe(`cut.weights: is ${cut.length} bytes; expected ${bytes.length} for a ${new DataView(bytes.buffer).getUint32(8, true)}-byte header and 197482 float32 weights`);
  });

  it('refuses weights written for another layer spec', () => {
    const bytes = encodeClassifierWeights(params);
    const len = new DataView(bytes.buffer).getUint32(8, true);
    const json = new TextDecoder().decode(bytes.subarray(12, 12 + len));
    const other = json.replace('"outFeatures":128', '"outFeatures":129');
    expect(other).not.toBe(json);
    const changed = bytes.slice();
    changed.set(new TextEncoder().encode(other), 12);
    expect(() => decodeClassifierWeights(changed, 'other.weights')).toThrow("other.weights: its layer spec differs from CLASSIFIER_SPEC; expected the spec this code builds");
  });

  it('refuses a non-finite weight, naming it', () => {
    const bytes = encodeClassifierWeights(params);
    const len = new DataView(bytes.buffer).getUint32(8, true);
    new DataView(bytes.buffer).setFloat32(12 + len + 4 * 5, Number.NaN, true);
    expect(() => decodeClassifierWeights(bytes, 'nan.weights')).toThrow('nan.weights: conv1/kernel[5] is NaN; expected finite weights');
  });

  it('refuses a directory instead of reading it', async () => {
    const d = dir();
    await expect(readClassifierWeights(d)).rejects.toThrow(new ClassifierFileError(d, `refused (${d} is a directory); expected a regular file of at most 16777216 bytes`));
  });

  it('has the documented parameter count', () => {
    const n = [...classifierWeightShapes(CLASSIFIER_SPEC).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(n).toBe(197482);
  });

  it('leaves no partial file behind: a reader finds the old file or the new one', async () => {
    const path = join(dir(), 'c.weights');
    writeFileSync(path, 'old');
    await writeClassifierWeights(path, params);
    expect((await readClassifierWeights(path)).params.get('fc2/bias')).toEqual(params.get('fc2/bias'));
  });
});
