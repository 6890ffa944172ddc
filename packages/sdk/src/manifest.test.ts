import { ManifestError, parseManifest as parseFormat } from '@vae/format';
import { describe, expect, it } from 'vitest';
import { VAEError, VAEModelError } from './errors.js';
import { parseManifest } from './manifest.js';

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error');
};

describe("the SDK's parseManifest", () => {
  it("throws the SDK's VAEModelError with the contracts package's message", () => {
    for (const bad of ['{ nope', '{"format":"other"}', JSON.stringify({ format: 'vae-onnx-model', formatVersion: 1, latent: 8, imageShape: [1, 28, 28], graphs: {} })]) {
      const ours = errorOf(() => parseManifest(bad));
      const theirs = errorOf(() => parseFormat(bad));
      expect(theirs).toBeInstanceOf(ManifestError);
      expect(ours).toBeInstanceOf(VAEModelError);
      expect(ours).toBeInstanceOf(VAEError);
      expect((ours as VAEModelError).code).toBe('model');
      expect(ours.message).toBe(theirs.message);
    }
    expect(errorOf(() => parseManifest('{ nope')).cause).toBeInstanceOf(SyntaxError);
    expect(errorOf(() => parseManifest('{"format":"other"}')).message).toBe('model.json: format is "other", expected "vae-onnx-model"');
  });
});
