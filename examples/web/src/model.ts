/**
 * Which model the demo loads.
 *
 * As any web app would: `VAE.load()` with no source, i.e. the MNIST model
 * shipped inside `@vae/sdk`. The SDK's browser entry names its three files with
 * literal `new URL(…, import.meta.url)`s, so Vite emits them as assets of this
 * app (the 2 KB manifest inlined as a data: URL) and the page works offline.
 *
 * Tests and benchmarks in a checkout without a trained model set
 * `VAE_DEMO_MODEL_DIR`; vite.config.ts then aliases `@vae/sdk/models/mnist/` to
 * that folder, and the glob below finds its files (without the alias it matches
 * nothing, and Vite notes that the pattern is not a path). They are loaded as
 * one URL per file, `VAE.load({ manifest, encoder, decoder })`.
 */
import type { ModelUrls } from '@vae/sdk';

const fixture = import.meta.glob<string>('@vae/sdk/models/mnist/*.{json,onnx}', { eager: true, query: '?url', import: 'default' });
const file = (name: string) => Object.entries(fixture).find(([path]) => path.endsWith(`/${name}`))?.[1];

/** `undefined` (the SDK's own model) unless VAE_DEMO_MODEL_DIR points the build at another folder. */
export const demoModel: ModelUrls | undefined =
  file('model.json') && file('encoder.onnx') && file('decoder.onnx')
    ? { manifest: file('model.json')!, encoder: file('encoder.onnx')!, decoder: file('decoder.onnx')! }
    : undefined;
