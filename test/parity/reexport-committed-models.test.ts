/**
 * Unconditional models keep their graphs: the committed models/mnist and
 * models/mnist-small were exported before the exporter learnt conditional
 * graphs. Their tfjs weights are recovered from the ONNX initializers (undoing
 * the kernel permutations and the flatten/reshape row and column re-ordering),
 * put back in a checkpoint with the header fields the graphs record, and
 * exported again: every byte of both graphs must come out the same. The
 * committed conditional models/mnist-cvae is checked the same way.
 */
import { readFileSync } from 'node:fs';
import type { ArchName, ModelManifest } from '@vae/format';
import { buildArchSpec, parseManifest } from '@vae/format';
// The exporter's own inverse of its weight transforms: a wrong inverse could not re-export byte for byte.
import { buildExport, graphWeights, recoverParams } from '@vae/onnx-export';
import { describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../packages/onnx-export/test/fixtures.js';

const root = new URL('../../models/', import.meta.url);

/** Re-exports a committed model from the weights recovered from its own graphs. */
function reexport(dir: string) {
  const manifest = parseManifest(readFileSync(new URL(`${dir}/model.json`, root))) as ModelManifest;
  const files = { encoder: new Uint8Array(readFileSync(new URL(`${dir}/encoder.onnx`, root))), decoder: new Uint8Array(readFileSync(new URL(`${dir}/decoder.onnx`, root))) };
  const initializers = graphWeights(files.encoder, files.decoder);
  const spec = buildArchSpec(manifest.archConfig as { arch: ArchName; classes?: number });
  expect(JSON.stringify(spec.config)).toBe(JSON.stringify(manifest.archConfig));
  const classes = spec.config.classes;
  const ckpt = makeCheckpoint({ arch: spec.config.arch, ...(classes ? { classes } : {}), params: recoverParams(spec, initializers), dataset: manifest.dataset });
  // The header fields the graphs record: epochs and test loss.
  ckpt.header.epoch = manifest.training.epochs;
  ckpt.header.metrics = { ...ckpt.header.metrics!, epoch: manifest.training.epochs, testLoss: manifest.training.metrics!.testLoss };
  const again = buildExport(ckpt, { name: manifest.name, createdAt: new Date(manifest.createdAt), precision: manifest.precision, opset: manifest.onnx.opset, ...(manifest.condition ? { classNames: manifest.condition.names } : {}) });
  return { manifest, files, again };
}

function expectSameBytes({ manifest, files, again }: ReturnType<typeof reexport>) {
  for (const which of ['encoder', 'decoder'] as const) {
    expect(again[which].length, `${which} bytes`).toBe(files[which].length);
    expect(Buffer.from(again[which]).equals(Buffer.from(files[which])), `${which} is byte-identical`).toBe(true);
    expect(again.manifest.graphs[which].sha256).toBe(manifest.graphs[which].sha256);
  }
}

describe.each(['mnist', 'mnist-small'])('committed models/%s', (dir) => {
  it('exports again byte for byte from its own weights: the unconditional graphs are unchanged (no y, no condition)', () => {
    const r = reexport(dir);
    expect(r.manifest.condition).toBeUndefined();
    expect('condition' in r.again.manifest).toBe(false);
    expect(r.again.manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x']);
    expect(r.again.manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z']);
    expectSameBytes(r);
  });
});

describe('committed models/mnist-cvae', () => {
  it('exports again byte for byte from its own weights, recovered with the label rows kept after the re-ordered features', () => {
    const r = reexport('mnist-cvae');
    expect(r.manifest.condition?.classes).toBe(10);
    expect(r.again.manifest.condition).toEqual(r.manifest.condition);
    expect(r.again.manifest.graphs.encoder.inputs.map((v) => v.name)).toEqual(['x', 'y']);
    expect(r.again.manifest.graphs.decoder.inputs.map((v) => v.name)).toEqual(['z', 'y']);
    expectSameBytes(r);
  });
});
