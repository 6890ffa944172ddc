/**
 * The browser entry's bundled-model reference. Bundlers only emit an asset for
 * a literal `new URL('…', import.meta.url)`, so each of the three files needs
 * its own (one URL for model.json left the graphs behind in Vite builds; the
 * browser test builds an app with Vite and loads it with `VAE.load()`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { ImageDataLike } from './images.js';
import { toImageData as nodeToImageData } from './node.js';

vi.mock('onnxruntime-web', () => ({}));
vi.mock('onnxruntime-web/wasm', () => ({}));

describe('browser entry', () => {
  it('references model.json, encoder.onnx and decoder.onnx of every bundled model each with a literal new URL(…, import.meta.url)', async () => {
    const src = readFileSync(new URL('./web.ts', import.meta.url), 'utf8');
    for (const name of ['mnist', 'mnist-cvae']) {
      for (const f of ['model.json', 'encoder.onnx', 'decoder.onnx']) expect(src).toContain(`new URL('../models/${name}/${f}', import.meta.url)`);
    }
    // A fresh module graph: in this one the Node entry (imported above) is installed, and in Node it wins.
    vi.resetModules();
    await import('./web.js');
    const { platform } = await import('./platform.js');
    const def = platform.defaultModel!() as Record<string, URL>;
    expect(Object.keys(def).sort()).toEqual(['decoder', 'encoder', 'manifest']);
    expect(def.manifest.href).toMatch(/\/packages\/sdk\/models\/mnist\/model\.json$/);
    expect(def.encoder.href).toMatch(/\/packages\/sdk\/models\/mnist\/encoder\.onnx$/);
    expect(def.decoder.href).toMatch(/\/packages\/sdk\/models\/mnist\/decoder\.onnx$/);
    expect((platform.defaultModel!('mnist') as Record<string, URL>).manifest.href).toBe(def.manifest.href);
    const cvae = platform.defaultModel!('mnist-cvae') as Record<string, URL>;
    expect(cvae.manifest.href).toMatch(/\/packages\/sdk\/models\/mnist-cvae\/model\.json$/);
    expect(cvae.encoder.href).toMatch(/\/packages\/sdk\/models\/mnist-cvae\/encoder\.onnx$/);
    expect(cvae.decoder.href).toMatch(/\/packages\/sdk\/models\/mnist-cvae\/decoder\.onnx$/);
  });

  it('toImageData is typed ImageData with DOM typings (no cast for putImageData), ImageDataLike from the Node entry', async () => {
    const { toImageData } = await import('./web.js');
    const img = { data: new Float32Array(784), shape: [1, 1, 28, 28] as const };
    // Type-level (checked by `tsc`): straight into putImageData, no `as ImageData`.
    expectTypeOf(toImageData(img)).toEqualTypeOf<ImageData>();
    expectTypeOf(nodeToImageData(img)).toEqualTypeOf<ImageDataLike>();
    const put = (_: ImageData) => {};
    put(toImageData(img));
    // Node has no ImageData global: a plain object of the same shape.
    expect(toImageData(img)).toEqual({ data: expect.any(Uint8ClampedArray), width: 28, height: 28 });
  });
});
