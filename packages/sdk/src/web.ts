/**
 * Browser entry point of `@vae/sdk`: registers the onnxruntime-web backend and
 * the bundled model's URL, then re-exports the core. Bundlers pick this file
 * through the `browser`/`default` export conditions, so onnxruntime-node is
 * never part of a browser bundle.
 *
 * @example
 * ```ts
 * import { VAE, tile, toImageData } from '@vae/sdk';
 * const vae = await VAE.load(undefined, { device: 'auto' }); // webgpu, else wasm
 * ctx.putImageData(toImageData(tile(await vae.sample(16, { seed: 1 }), 4)) as ImageData, 0, 0);
 * ```
 *
 * @packageDocumentation
 */
import { webBackend } from './backends/onnx-web.js';
import { registerBackend } from './backends/registry.js';
import { setPlatformName } from './env.js';
import { setPlatform } from './platform.js';

registerBackend(webBackend);
setPlatformName('browser');
setPlatform({
  stringsArePaths: false,
  // Resolved against this module's URL, so a bundler (or a CDN) serves the
  // package's own copy of the model.
  defaultModel: () => new URL('../models/mnist/model.json', import.meta.url),
});

export * from './index.js';
